package models

import "testing"

// The profile's UploadPath picks the news source once; the two differ in what the plan says and
// in what a mass send does to the media id.
func TestNewsSources(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		path                        string
		cover, news                 string
		coverCounted, consumed      bool
		callsFresh3, callsNotFresh3 int
	}{
		// The seed: one uploadnews serves every batch, and a fresh one serves the next send.
		{UploadNews, EndpointUploadThumb, EndpointUploadNews, true, false, 0, 1},
		// Today: a draft per batch (a mass send takes it); one not yet sent serves the first.
		{UploadDraft, EndpointAddMaterial, EndpointAddDraft, false, true, 2, 3},
	}
	for _, c := range cases {
		src := f.svc.sourceFor(c.path)
		if src.path() != c.path || src.coverEndpoint() != c.cover || src.newsEndpoint() != c.news ||
			src.coverCounted() != c.coverCounted || src.consumedOnSend() != c.consumed ||
			src.newsCalls(3, true) != c.callsFresh3 || src.newsCalls(3, false) != c.callsNotFresh3 {
			t.Errorf("%s: source %T does not match %+v", c.path, src, c)
		}
	}
}
