package models

import (
	"context"
	"encoding/base64"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// countQueries counts the statements st runs from now on (every GORM callback kind; a subquery
// is built by a dry run, which runs nothing, and is not counted).
func countQueries(t *testing.T, st *Store) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(db *gorm.DB) {
		if !db.DryRun {
			n.Add(1)
		}
	}
	cb := st.gdb.Callback()
	name := "test:count_" + t.Name()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register(name, count),
		cb.Row().After("gorm:row").Register(name, count),
		cb.Raw().After("gorm:raw").Register(name, count),
		cb.Create().After("gorm:create").Register(name, count),
		cb.Update().After("gorm:update").Register(name, count),
		cb.Delete().After("gorm:delete").Register(name, count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &n
}

// The drafts list costs the same few queries for 2 drafts as for 30 (it made three per draft).
func TestListDraftsQueriesDoNotGrowWithDrafts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	queries := countQueries(t, f.store)
	in := f.draftInputT(t, 2)
	measure := func() int64 {
		queries.Store(0)
		if _, err := f.svc.ListDrafts(ctx); err != nil {
			t.Fatal(err)
		}
		return queries.Load()
	}
	for i := 0; i < 2; i++ {
		if _, err := f.svc.SaveDraft(ctx, 0, in, 1); err != nil {
			t.Fatal(err)
		}
	}
	few := measure()
	for i := 0; i < 28; i++ {
		if _, err := f.svc.SaveDraft(ctx, 0, in, 1); err != nil {
			t.Fatal(err)
		}
	}
	if many := measure(); many != few || many > 3 {
		t.Fatalf("ListDrafts ran %d queries for 2 drafts and %d for 30; want the same, at most 3", few, many)
	}

	// And the summaries are right: first title, article count, sends not refused, deleted drafts out.
	d := f.draft(t, 3)
	if _, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "k1"}, 1); err != nil {
		t.Fatal(err)
	}
	gone := f.draft(t, 1)
	if err := f.svc.DeleteDraft(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.ListDrafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 31 {
		t.Fatalf("%d drafts listed, want 31", len(list))
	}
	for _, sum := range list {
		if sum.ID == gone.ID {
			t.Fatal("a deleted draft is listed")
		}
		if sum.ID == d.ID && (sum.Title != "标题 0" || sum.Articles != 3 || sum.Sent != 1) {
			t.Fatalf("summary = %+v, want title 标题 0, 3 articles, 1 send", sum)
		}
		if sum.ID != d.ID && (sum.Title != "标题 0" || sum.Articles != 2 || sum.Sent != 0) {
			t.Fatalf("summary = %+v, want title 标题 0, 2 articles, no send", sum)
		}
	}
}

// A refused save stores none of its pasted images; the same save made valid stores it.
func TestRefusedSaveKeepsNoPastedImage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, err := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	pasted := `<p>x</p><img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(pngBytes(t, 5)) + `">`
	images := func() int64 {
		var n int64
		if err := f.store.db(ctx).Model(&imageRow{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	// No title: refused.
	_, err = f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Content: pasted, ThumbID: th.ID}}}, 1)
	if fieldKey(t, err, "articles.0.title") != "err.title_required" {
		t.Fatalf("save without a title: %v", err)
	}
	// Second article refused for its missing cover: the first article's image goes too.
	_, err = f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{
		{Title: "ok", Content: pasted, ThumbID: th.ID}, {Title: "no cover", Content: "<p>y</p>"}}}, 1)
	if fieldKey(t, err, "articles.1.thumb") != "err.thumb_required" {
		t.Fatalf("save without a cover: %v", err)
	}
	if n := images(); n != 0 {
		t.Fatalf("%d images stored by refused saves, want 0", n)
	}
	if _, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Title: "ok", Content: pasted, ThumbID: th.ID}}}, 1); err != nil {
		t.Fatal(err)
	}
	if n := images(); n != 1 {
		t.Fatalf("%d images stored by a valid save, want 1", n)
	}
}
