package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func versionsOf(t *testing.T, f *fixture, id uint) []DraftVersion {
	t.Helper()
	vs, err := f.svc.DraftVersions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func withContent(in DraftInput, content string) DraftInput {
	arts := append([]ArticleInput(nil), in.Articles...)
	arts[0].Content = content
	in.Articles = arts
	return in
}

// Two saves based on the same revision (two tabs): one wins, the other is refused with the
// current revision and who saved it, and nothing of it is written. Overwriting with the new base
// then works.
func TestSaveDraftRevisionConflict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, err := f.store.CreateOperator(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := f.store.CreateOperator(ctx, "bob", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	in := f.draftInputT(t, 1)
	d, err := f.svc.SaveDraft(ctx, 0, in, alice.ID)
	if err != nil || d.Revision != 1 {
		t.Fatalf("new draft = revision %d, %v; want 1", d.Revision, err)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, op := range []uint{alice.ID, bob.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := withContent(in, fmt.Sprintf("<p>tab %d</p>", i))
			mine.Base = 1
			_, errs[i] = f.svc.SaveDraft(ctx, d.ID, mine, op)
		}()
	}
	wg.Wait()
	var wins, conflicts int
	var ce *ConflictError
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.As(err, &ce):
			conflicts++
		default:
			t.Fatalf("save: %v", err)
		}
	}
	if wins != 1 || conflicts != 1 {
		t.Fatalf("two saves on revision 1: %d won, %d refused (%v); want 1 and 1", wins, conflicts, errs)
	}
	winner := "tab 0"
	if errs[0] != nil {
		winner = "tab 1"
	}
	got, _ := f.svc.Draft(ctx, d.ID)
	if got.Revision != 2 || !strings.Contains(got.Articles[0].Content, winner) {
		t.Fatalf("draft after the race = revision %d %q; want 2 with %s", got.Revision, got.Articles[0].Content, winner)
	}
	wantBy := map[string]string{"tab 0": "alice", "tab 1": "bob"}[winner]
	if ce.Revision != 2 || ce.By != wantBy || !ce.At.Equal(f.clock.Now().UTC()) {
		t.Fatalf("conflict = %+v; want revision 2 by %s", ce, wantBy)
	}
	if n := len(versionsOf(t, f, d.ID)); n != 2 {
		t.Fatalf("versions after the race = %d; want 2 (the refused save keeps none)", n)
	}

	// Keep mine: the loser sends the current revision as its base.
	loser := withContent(in, "<p>mine after all</p>")
	loser.Base = ce.Revision
	if d2, err := f.svc.SaveDraft(ctx, d.ID, loser, bob.ID); err != nil || d2.Revision != 3 {
		t.Fatalf("overwrite = revision %d, %v; want 3", d2.Revision, err)
	}
	// A save that changes nothing is no conflict whatever its base, and no new revision.
	same := loser
	same.Base = 1
	if d3, err := f.svc.SaveDraft(ctx, d.ID, same, alice.ID); err != nil || d3.Revision != 3 {
		t.Fatalf("unchanged save on an old base = revision %d, %v; want 3, no error", d3.Revision, err)
	}
	// Base 0 (a client that knows no revisions) is not checked.
	if _, err := f.svc.SaveDraft(ctx, d.ID, withContent(in, "<p>legacy</p>"), alice.ID); err != nil {
		t.Fatalf("save without a base: %v", err)
	}
	// A deleted draft is not found, not a conflict.
	if err := f.svc.DeleteDraft(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	late := withContent(in, "<p>late</p>")
	late.Base = 4
	if _, err := f.svc.SaveDraft(ctx, d.ID, late, alice.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("save of a deleted draft = %v; want ErrNotFound", err)
	}
}

// The last 20 saves are kept; an autosave that changes nothing makes no version and no revision;
// autosaves within a minute by one operator make one version, a manual save always its own.
func TestDraftVersionsKeepTwentyAndCoalesce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.draftInputT(t, 1)
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 24; i++ {
		f.clock.Advance(time.Second)
		next := withContent(in, fmt.Sprintf("<p>save %d</p>", i))
		next.Base = int64(i)
		if _, err := f.svc.SaveDraft(ctx, d.ID, next, 1); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	vs := versionsOf(t, f, d.ID)
	if len(vs) != MaxDraftVersions || vs[0].Revision != 25 || vs[19].Revision != 6 {
		t.Fatalf("versions = %d (newest r%d, oldest r%d); want 20, r25 … r6", len(vs), vs[0].Revision, vs[len(vs)-1].Revision)
	}
	if vs[0].Kind != VersionSave || vs[0].Title != "标题 0" || vs[0].Size != len("<p>save 24</p>") {
		t.Fatalf("newest version = %+v", vs[0])
	}

	// Autosave of the same content: nothing.
	same := withContent(in, "<p>save 24</p>")
	same.Base, same.Auto = 25, true
	if got, err := f.svc.SaveDraft(ctx, d.ID, same, 1); err != nil || got.Revision != 25 {
		t.Fatalf("no-op autosave = revision %d, %v; want 25", got.Revision, err)
	}
	if vs := versionsOf(t, f, d.ID); vs[0].Revision != 25 || len(vs) != 20 {
		t.Fatalf("no-op autosave made a version: %+v", vs[0])
	}

	// Three autosaves 20 s apart: one version holding the last; a minute after its start, a new one.
	rev := int64(25)
	auto := func(content string) {
		t.Helper()
		f.clock.Advance(20 * time.Second)
		a := withContent(in, content)
		a.Base, a.Auto, a.Editor = rev, true, "page1"
		got, err := f.svc.SaveDraft(ctx, d.ID, a, 1)
		if err != nil {
			t.Fatal(err)
		}
		rev = got.Revision
	}
	auto("<p>typing 1</p>")
	auto("<p>typing 2</p>")
	auto("<p>typing 3</p>")
	vs = versionsOf(t, f, d.ID)
	if vs[0].Kind != VersionAuto || vs[0].Revision != 28 || vs[1].Revision != 25 || vs[0].UpdatedAt.Sub(vs[0].CreatedAt) != 40*time.Second {
		t.Fatalf("coalesced autosaves: newest %+v, then r%d", vs[0], vs[1].Revision)
	}
	v, err := f.svc.DraftVersionByID(ctx, d.ID, vs[0].ID)
	if err != nil || v.Articles[0].Content != "<p>typing 3</p>" {
		t.Fatalf("coalesced version holds %+v, %v; want the last autosave", v.Articles, err)
	}
	auto("<p>typing 4</p>") // 60 s after the version began
	if vs = versionsOf(t, f, d.ID); vs[0].Revision != 29 || vs[1].Revision != 28 {
		t.Fatalf("autosave a minute later: newest r%d then r%d; want a version of its own", vs[0].Revision, vs[1].Revision)
	}
	// Another page of the same operator (a second tab), or another operator, does not join it:
	// an overwrite after a conflict keeps the version it overwrote.
	f.clock.Advance(time.Second)
	tab2 := withContent(in, "<p>second tab</p>")
	tab2.Base, tab2.Auto, tab2.Editor = rev, true, "page2"
	if _, err := f.svc.SaveDraft(ctx, d.ID, tab2, 1); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	other := withContent(in, "<p>someone else</p>")
	other.Base, other.Auto, other.Editor = rev+1, true, "page2"
	if _, err := f.svc.SaveDraft(ctx, d.ID, other, 2); err != nil {
		t.Fatal(err)
	}
	if vs = versionsOf(t, f, d.ID); vs[0].OperatorID != 2 || vs[1].Revision != 30 || vs[2].Revision != 29 {
		t.Fatalf("another page's or operator's autosave joined a version: %+v", vs[:3])
	}
	// No editor id: never joined.
	f.clock.Advance(time.Second)
	bare := withContent(in, "<p>bare</p>")
	bare.Base, bare.Auto = rev+2, true
	if _, err := f.svc.SaveDraft(ctx, d.ID, bare, 2); err != nil {
		t.Fatal(err)
	}
	if vs = versionsOf(t, f, d.ID); vs[0].Revision != 32 || vs[1].Revision != 31 {
		t.Fatalf("an autosave without an editor id joined a version: %+v", vs[:2])
	}
	if len(vs) != MaxDraftVersions {
		t.Fatalf("versions = %d; want still %d", len(vs), MaxDraftVersions)
	}
}

// Restoring a version makes it the content, as a new revision and version that names its source.
func TestRestoreDraftVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.draftInputT(t, 2)
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	changed := withContent(in, "<p>rewritten</p>")
	changed.Articles = changed.Articles[:1]
	if _, err := f.svc.SaveDraft(ctx, d.ID, changed, 1); err != nil {
		t.Fatal(err)
	}
	vs := versionsOf(t, f, d.ID)
	first := vs[len(vs)-1]
	if first.Revision != 1 {
		t.Fatalf("oldest version = r%d", first.Revision)
	}
	got, err := f.svc.RestoreDraftVersion(ctx, d.ID, first.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 3 || len(got.Articles) != 2 || got.Articles[0].Content != "<p>正文</p>" || got.Articles[1].Title != "标题 1" {
		t.Fatalf("restored draft = r%d %+v", got.Revision, got.Articles)
	}
	vs = versionsOf(t, f, d.ID)
	if len(vs) != 3 || vs[0].Kind != VersionRestore || vs[0].Source != "1" || vs[0].Revision != 3 {
		t.Fatalf("versions after restore = %+v", vs)
	}
	if _, err := f.svc.RestoreDraftVersion(ctx, d.ID+1, first.ID, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a version restored into another draft = %v; want ErrNotFound", err)
	}
}

// A copy of a draft has equal articles (same covers, same images) under a prefixed title, and
// the two are independent afterwards.
func TestDuplicateDraft(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img, err := f.svc.SaveImage(ctx, "in.jpg", jpegBytes(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	in := f.draftInputT(t, 2)
	in.Articles[0].Content = fmt.Sprintf(`<p>图 <img src="%s"/></p>`, ImagePath(img.ID))
	in.Articles[0].Title = strings.Repeat("长", 64)
	in.Articles[1].SourceURL = "https://example.com/a"
	src, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := f.svc.DuplicateDraft(ctx, src.ID, "副本 ", 1)
	if err != nil {
		t.Fatal(err)
	}
	if cp.ID == src.ID || cp.Revision != 1 {
		t.Fatalf("copy = %+v", cp)
	}
	want := snapshot(src)
	want[0].Title = "副本 " + strings.Repeat("长", 61)
	if got := snapshot(cp); !reflect.DeepEqual(got, want) {
		t.Fatalf("copy's articles = %+v\nwant %+v", got, want)
	}
	if vs := versionsOf(t, f, cp.ID); len(vs) != 1 || vs[0].Kind != VersionDuplicate || vs[0].Source != fmt.Sprintf("draft:%d", src.ID) {
		t.Fatalf("copy's versions = %+v", vs)
	}
	// Independent: editing the copy leaves the original.
	edit := DraftInput{Articles: snapshot(cp), Base: 1}
	edit.Articles[1].Content = "<p>only in the copy</p>"
	if _, err := f.svc.SaveDraft(ctx, cp.ID, edit, 1); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.svc.Draft(ctx, src.ID); !reflect.DeepEqual(snapshot(again), snapshot(src)) {
		t.Fatalf("the original changed with its copy: %+v", snapshot(again))
	}
	if _, err := f.svc.DuplicateDraft(ctx, 9999, "副本 ", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("copy of a missing draft = %v", err)
	}
}

// A send copied back into a draft takes the send's own snapshot: the articles as sent, even
// after its draft changed.
func TestDuplicateSend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "dup"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	later := DraftInput{Articles: snapshot(d)}
	later.Articles[0].Content = "<p>edited after the send</p>"
	if _, err := f.svc.SaveDraft(ctx, d.ID, later, 1); err != nil {
		t.Fatal(err)
	}
	cp, err := f.svc.DuplicateSend(ctx, s.ID, "Copy of ", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := snapshot(d)
	want[0].Title = "Copy of " + want[0].Title
	if got := snapshot(cp); !reflect.DeepEqual(got, want) {
		t.Fatalf("draft from the send = %+v\nwant the articles as sent %+v", got, want)
	}
	if vs := versionsOf(t, f, cp.ID); len(vs) != 1 || vs[0].Source != fmt.Sprintf("send:%d", s.ID) {
		t.Fatalf("versions = %+v", vs)
	}
	edit := DraftInput{Articles: snapshot(cp)}
	edit.Articles[0].Title = "changed"
	if _, err := f.svc.SaveDraft(ctx, cp.ID, edit, 1); err != nil {
		t.Fatal(err)
	}
	var js string
	if err := f.store.gdb.Raw("SELECT articles_json FROM sends WHERE id = ?", s.ID).Scan(&js).Error; err != nil || strings.Contains(js, "changed") {
		t.Fatalf("the send's snapshot changed with the copy: %s %v", js, err)
	}
	if _, err := f.svc.DuplicateSend(ctx, 9999, "x", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("copy of a missing send = %v", err)
	}
}

// An image only an older version still shows is not an orphan.
func TestOrphanImagesKeepThoseOfVersions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img, err := f.svc.SaveImage(ctx, "in.jpg", jpegBytes(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	in := f.draftInputT(t, 1)
	in.Articles[0].Content = fmt.Sprintf(`<p><img src="%s"/></p>`, ImagePath(img.ID))
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveDraft(ctx, d.ID, withContent(in, "<p>no image now</p>"), 1); err != nil {
		t.Fatal(err)
	}
	n, err := f.store.DeleteOrphanImages(ctx, f.clock.Now().Add(30*24*time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("deleted %d images (%v); the first version still shows it", n, err)
	}
}
