package models

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// After a first sync on a busy dashboard the date indexes wait for a quiet moment (their build
// stops every write for a moment), then the worker builds them; if it never gets quiet they are
// built once they have waited indexMaxDefer.
func TestPageIndexesWaitForAQuietMoment(t *testing.T) {
	skipOnPostgres(t, "the indexes are looked for in sqlite_master (indexShapes)")
	f := newFixture(t)
	ctx := context.Background()
	want := indexShapes(t, f.store)
	dateIndexes := func() (n int) {
		for _, s := range indexShapes(t, f.store) {
			for _, ix := range followerPageIndexes {
				if strings.HasPrefix(s, ix.name+":") {
					n++
				}
			}
		}
		return n
	}
	f.wx.setAudience(testPeople(300), nil)
	f.svc.NoteWriteRequest() // an operator saving a draft
	runSync(t, f.svc, SyncFull)
	if j, _ := f.svc.LatestFollowerSync(ctx); j.Phase != phaseDone {
		t.Fatalf("the sync did not finish: %+v", j)
	}
	if n := dateIndexes(); n != 0 {
		t.Fatalf("%d date indexes built while writes were coming", n)
	}
	f.svc.pageIndexTick(ctx, false)
	if n := dateIndexes(); n != 0 {
		t.Fatalf("%d date indexes built by the worker while writes were coming", n)
	}
	// Quiet: the worker's next tick builds them, and stops looking.
	f.svc.lastWrite.Store(time.Now().Add(-2 * indexQuiet).UnixNano())
	f.svc.pageIndexTick(ctx, true) // not while a sync runs
	if n := dateIndexes(); n != 0 {
		t.Fatal("date indexes built while a sync runs")
	}
	f.svc.pageIndexTick(ctx, false)
	if got := indexShapes(t, f.store); !slices.Equal(got, want) {
		t.Fatalf("indexes after a quiet moment:\n%v\nwant\n%v", got, want)
	}
	if f.svc.indexesPending.Load() {
		t.Error("the worker still looks for missing indexes")
	}

	// Never quiet: built once they have waited long enough.
	for _, ix := range followerPageIndexes {
		f.store.gdb.Exec("DROP INDEX " + ix.name)
	}
	f.svc.NoteWriteRequest()
	if done, err := f.svc.buildPageIndexesWhenQuiet(ctx); done || err != nil {
		t.Fatalf("built while busy: %v, %v", done, err)
	}
	f.svc.indexesMissingSince.Store(time.Now().Add(-indexMaxDefer - time.Second).UnixNano())
	f.svc.NoteWriteRequest()
	f.svc.pageIndexTick(ctx, false)
	if got := indexShapes(t, f.store); !slices.Equal(got, want) {
		t.Fatalf("indexes after waiting %v:\n%v\nwant\n%v", indexMaxDefer, got, want)
	}
}
