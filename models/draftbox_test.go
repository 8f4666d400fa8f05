package models

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Today's draft box (the draft path): draft/add takes only permanent materials as covers, and a
// mass send takes the draft out of the box.

// todaysFixture is a fixture under today's API profile (draft/add, tags) with a one-article draft.
func todaysFixture(t *testing.T) (*fixture, Draft) {
	t.Helper()
	f := newFixture(t)
	d := f.draft(t, 1)
	if err := f.store.UseDefaultProfile(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	return f, d
}

// draftCovers lists the covers every news call (draft/add here) named, in order.
func (f *fixture) draftCovers(t *testing.T) []string {
	t.Helper()
	f.wx.mu.Lock()
	defer f.wx.mu.Unlock()
	var covers []string
	for _, arts := range f.wx.news {
		for _, a := range arts {
			covers = append(covers, a.ThumbMediaID)
		}
	}
	return covers
}

func (f *fixture) start(t *testing.T, in SendInput) Send {
	t.Helper()
	s, err := f.svc.StartSend(context.Background(), in, 1)
	if err != nil {
		t.Fatalf("StartSend(%s): %v", in.Key, err)
	}
	return s
}

func (f *fixture) newsUploads(t *testing.T) []newsUploadRow {
	t.Helper()
	var rows []newsUploadRow
	if err := f.store.gdb.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// The cover is uploaded once, ever, as a permanent material, with no quota row; every draft
// names it. Each send makes its own draft, since the one before was taken by its mass send.
func TestMaterialCoverUploadedOnceAndReused(t *testing.T) {
	f, d := todaysFixture(t)
	ctx := context.Background()
	first := f.start(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 134, Key: "a"})
	runOnce(t, f.svc)
	second := f.start(t, SendInput{DraftID: d.ID, Target: TargetAll, Key: "b"})
	runOnce(t, f.svc)
	for _, id := range []uint{first.ID, second.ID} {
		if s := mustSend(t, f.svc, id); s.State != StateSubmitted {
			t.Fatalf("send %d: %+v", id, s)
		}
	}
	if f.wx.count(EndpointAddMaterial) != 1 || f.wx.count(EndpointUploadThumb) != 0 || f.wx.count(EndpointAddDraft) != 2 {
		t.Fatalf("calls = %v, want one add_material and two draft/add", f.wx.calls)
	}
	th, err := f.svc.Thumb(ctx, *d.Articles[0].ThumbID)
	if err != nil || !strings.HasPrefix(th.MaterialID, "material-") {
		t.Fatalf("thumb = %+v, %v: want its material id kept", th.MaterialID, err)
	}
	if covers := f.draftCovers(t); !slices.Equal(covers, []string{th.MaterialID, th.MaterialID}) {
		t.Fatalf("draft covers = %v, want the material each time", covers)
	}
	if media := f.wx.mediaOfMassCalls(); len(media) != 2 || media[0] == media[1] {
		t.Fatalf("mass calls used %v: want a draft each", media)
	}
	var n int64
	f.store.gdb.Model(&quotaCallRow{}).Where("endpoint = ?", EndpointAddMaterial).Count(&n)
	if left, _ := f.svc.QuotaLeft(ctx); left != 6 || n != 0 {
		t.Fatalf("quota left %d, %d add_material quota rows; want 6 (2 draft/add + 2 sendall) and none", left, n)
	}
	if rows := f.newsUploads(t); len(rows) != 0 {
		t.Fatalf("news uploads %+v: every draft was taken by a mass send", rows)
	}

	// The seed's path is unchanged: a temporary cover (counted) and one uploadnews media id
	// shared by the sends of the next 3 days.
	if err := f.store.UseDefaultProfile(ctx, true); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	want := []PlannedCall{{Endpoint: EndpointUploadThumb, Count: 1}, {Endpoint: EndpointUploadNews, Count: 1}, {Endpoint: EndpointSendAll, Count: 1}}
	if err != nil || !slices.Equal(p.Calls, want) || p.CallsNeeded != 3 {
		t.Fatalf("seed plan = %+v (%d), %v", p.Calls, p.CallsNeeded, err)
	}
	f.start(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "c"})
	f.start(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 0, Key: "d"})
	runOnce(t, f.svc)
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 || f.wx.count(EndpointAddMaterial) != 1 {
		t.Fatalf("calls = %v, want one media/upload and one uploadnews for both seed sends", f.wx.calls)
	}
	if media := f.wx.mediaOfMassCalls(); media[2] != media[3] || !strings.HasPrefix(media[2], "news-media-") {
		t.Fatalf("seed sends used %v, want one uploadnews media id", media[2:])
	}
	if rows := f.newsUploads(t); len(rows) != 1 || rows[0].Path != UploadNews {
		t.Fatalf("news uploads %+v, want the uploadnews one kept", rows)
	}
}

// A 20 001-OpenID send is three batches, each with its own draft/add; a second send of the same
// content makes a new draft again.
func TestEachBatchGetsItsOwnDraft(t *testing.T) {
	f, d := todaysFixture(t)
	ctx := context.Background()
	in := SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(20001), Key: "big"}
	p, err := f.svc.PlanSend(ctx, in)
	want := []PlannedCall{{Endpoint: EndpointAddMaterial, Count: 1, Uncounted: true},
		{Endpoint: EndpointAddDraft, Count: 3}, {Endpoint: EndpointSend, Count: 3}}
	if err != nil || !slices.Equal(p.Calls, want) || p.CallsNeeded != 6 || p.Batches != 3 {
		t.Fatalf("plan = %+v (%d counted, %d batches), %v; want %+v", p.Calls, p.CallsNeeded, p.Batches, err, want)
	}
	s := f.start(t, in)
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitted || len(s.Batches) != 3 {
		t.Fatalf("send = %+v", s)
	}
	media := f.wx.mediaOfMassCalls()
	if len(media) != 3 || media[0] == media[1] || media[1] == media[2] || media[0] == media[2] {
		t.Fatalf("batches used %v: want three drafts", media)
	}
	if f.wx.count(EndpointAddDraft) != 3 || f.wx.count(EndpointSend) != 3 || f.wx.count(EndpointAddMaterial) != 1 {
		t.Fatalf("calls = %v", f.wx.calls)
	}
	var batches []batchRow
	f.store.gdb.Where("send_id = ?", s.ID).Order("batch_index").Find(&batches)
	for i, b := range batches {
		if b.MediaID != media[i] {
			t.Errorf("batch %d recorded media %q, was called with %q", i, b.MediaID, media[i])
		}
	}
	var row sendRow
	f.store.gdb.Take(&row, s.ID)
	if row.MediaID != "" || len(f.newsUploads(t)) != 0 {
		t.Fatalf("send media id %q, news uploads %v: want every draft marked taken", row.MediaID, f.newsUploads(t))
	}
	// The quota: three draft/add and three send, all reserved at the start.
	if left, _ := f.svc.QuotaLeft(ctx); left != 4 {
		t.Fatalf("quota left %d, want 4", left)
	}

	again := f.start(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 134, Key: "again"})
	runOnce(t, f.svc)
	if s := mustSend(t, f.svc, again.ID); s.State != StateSubmitted {
		t.Fatalf("second send = %+v", s)
	}
	if f.wx.count(EndpointAddDraft) != 4 || f.wx.count(EndpointAddMaterial) != 1 {
		t.Fatalf("calls = %v, want one more draft/add", f.wx.calls)
	}
}

// A preview does not take its draft: previews reuse it, and the next send's first batch uses it
// (the plan counts one draft/add less). After that send, a preview needs a new draft.
func TestPreviewDraftServesTheNextSendsFirstBatch(t *testing.T) {
	f, d := todaysFixture(t)
	ctx := context.Background()
	for range 2 {
		if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
			t.Fatal(err)
		}
	}
	if f.wx.count(EndpointAddDraft) != 1 || f.wx.count(EndpointAddMaterial) != 1 {
		t.Fatalf("calls = %v, want one draft for both previews", f.wx.calls)
	}
	previewDraft := f.wx.previews[0].mediaID
	if f.wx.previews[1].mediaID != previewDraft {
		t.Fatalf("previews used %q and %q", previewDraft, f.wx.previews[1].mediaID)
	}

	in := SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(20001), Key: "after-preview"}
	p, err := f.svc.PlanSend(ctx, in)
	want := []PlannedCall{{Endpoint: EndpointAddDraft, Count: 2}, {Endpoint: EndpointSend, Count: 3}}
	if err != nil || !slices.Equal(p.Calls, want) || p.CallsNeeded != 5 {
		t.Fatalf("plan = %+v (%d), %v; want %+v", p.Calls, p.CallsNeeded, err, want)
	}
	s := f.start(t, in)
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("send = %+v", s)
	}
	if media := f.wx.mediaOfMassCalls(); len(media) != 3 || media[0] != previewDraft || media[1] == previewDraft || media[2] == media[1] {
		t.Fatalf("batches used %v; want the preview's draft %q first, then two new ones", media, previewDraft)
	}
	if f.wx.count(EndpointAddDraft) != 3 {
		t.Fatalf("draft/add %d, want 3", f.wx.count(EndpointAddDraft))
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 10-1-5 {
		t.Fatalf("quota left %d, want 4", left)
	}

	// The preview's draft is gone now: the next preview makes one (and never a 40007).
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatal(err)
	}
	if f.wx.count(EndpointAddDraft) != 4 || f.wx.previews[2].mediaID == previewDraft {
		t.Fatalf("draft/add %d, preview media %q", f.wx.count(EndpointAddDraft), f.wx.previews[2].mediaID)
	}
}

// A crash between "submitting" and the msg_id commit: after the restart the batch is called
// again with its clientmsgid and the draft it was called with (which WeChat's mass send took);
// WeChat answers 45065 with the job, and the batches after it get drafts of their own.
func TestCrashMidBatchRecallsWithTheSameDraft(t *testing.T) {
	f, d := todaysFixture(t)
	s := f.start(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(20001), Key: "crash"})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	f.wx.onSend = func() { // runs under f.wx.mu
		if calls++; calls == 2 { // the second batch: accepted, then the process dies
			f.wx.failSend = []sendFailure{{err: context.Canceled, afterAccept: true}}
			cancel()
		}
	}
	if err := f.svc.RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce during shutdown = %v", err)
	}
	f.wx.onSend = nil
	before := mustSend(t, f.svc, s.ID)
	if b := before.Batches; b[0].State != StateSubmitted || b[1].State != StateSubmitting || b[1].MsgID != 0 || b[2].State != StateQueued {
		t.Fatalf("before restart: %+v", b)
	}
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f.store = st
	svc := f.newService(st)
	runOnce(t, svc)
	after := mustSend(t, svc, s.ID)
	if after.State != StateSubmitted || after.Batches[1].MsgID != f.wx.jobs[before.Batches[1].ClientMsgID] || after.Batches[1].MsgID == 0 {
		t.Fatalf("after restart: %+v", after)
	}
	media := f.wx.mediaOfMassCalls()
	if len(media) != 4 || media[2] != media[1] || media[3] == media[1] || media[0] == media[1] {
		t.Fatalf("mass calls used %v; want batch 1 re-called with its draft, batch 2 with a new one", media)
	}
	if f.wx.accepted() != 3 || f.wx.count(EndpointAddDraft) != 3 {
		t.Fatalf("accepted %d jobs, %d draft/add; want 3 and 3", f.wx.accepted(), f.wx.count(EndpointAddDraft))
	}
	if rows := f.newsUploads(t); len(rows) != 0 {
		t.Fatalf("news uploads %+v: every draft was taken", rows)
	}
}

// A draft WeChat no longer has (sent from the WeChat backend, say) answers 40007 at the mass
// send: a new draft is made, but the permanent material stays. A material deleted in the
// backend makes draft/add itself answer 40007: then the cover goes up again.
func TestStaleDraftKeepsTheMaterial(t *testing.T) {
	f, d := todaysFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatal(err)
	}
	f.wx.forget(f.wx.previews[0].mediaID)
	s := f.start(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 134, Key: "a"})
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("send = %+v", s)
	}
	if f.wx.count(EndpointAddDraft) != 2 || f.wx.count(EndpointAddMaterial) != 1 || f.wx.count(EndpointSendAll) != 2 {
		t.Fatalf("calls = %v, want a new draft and the same material", f.wx.calls)
	}

	th, _ := f.svc.Thumb(ctx, *d.Articles[0].ThumbID)
	f.wx.forget(th.MaterialID)
	s = f.start(t, SendInput{DraftID: d.ID, Target: TargetAll, Key: "b"})
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("send after the material was deleted = %+v", s)
	}
	again, _ := f.svc.Thumb(ctx, th.ID)
	if f.wx.count(EndpointAddMaterial) != 2 || again.MaterialID == th.MaterialID || again.MaterialID == "" {
		t.Fatalf("calls = %v, material %q → %q; want the cover uploaded again", f.wx.calls, th.MaterialID, again.MaterialID)
	}
}
