package models

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// Under today's API profile a send uses tags (filter.tag_id), draft/add for
// its media_id (with the cover as a permanent material, not counted), and at
// most 8 articles; the mass send takes the draft, so the next send makes a new
// one. The seed's profile keeps groups, uploadnews and 10.
func TestTodaysProfileDrivesThePipeline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2)
	if err := f.store.UseDefaultProfile(ctx, false); err != nil { // a real account: today's API
		t.Fatal(err)
	}
	if n, _ := f.svc.MaxArticles(ctx); n != 8 {
		t.Fatalf("max articles = %d, want 8", n)
	}
	if _, byTag, err := f.svc.Audiences(ctx); err != nil || !byTag {
		t.Fatalf("audiences by tag = %v (%v)", byTag, err)
	}
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100}); !isField(err, "group") {
		t.Fatalf("a 2014 group id under tags: %v", err)
	}
	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 134})
	if err != nil || p.GroupName != "广东" || p.Recipients != 30 {
		t.Fatalf("tag plan = %+v, %v", p, err)
	}
	want := []PlannedCall{{Endpoint: EndpointAddMaterial, Count: 1, Uncounted: true},
		{Endpoint: EndpointAddDraft, Count: 1}, {Endpoint: EndpointSendAll, Count: 1}}
	if !slices.Equal(p.Calls, want) || p.CallsNeeded != 2 {
		t.Fatalf("calls = %+v (%d counted), want %+v (2 counted)", p.Calls, p.CallsNeeded, want)
	}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 134, Key: "t1"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted || !s.ByTag {
		t.Fatalf("send = %+v", s)
	}
	if f.wx.count(EndpointAddDraft) != 1 || f.wx.count(EndpointUploadNews) != 0 ||
		f.wx.count(EndpointAddMaterial) != 1 || f.wx.count(EndpointUploadThumb) != 0 {
		t.Fatalf("calls = %v, want add_material and draft/add, no media/upload nor uploadnews", f.wx.calls)
	}
	if got := f.wx.filters[0]; got != (MassFilter{ID: 134, ByTag: true}) {
		t.Fatalf("sendall filter = %+v", got)
	}
	// The same content again: the mass send took the draft, the material stays.
	want = []PlannedCall{{Endpoint: EndpointAddDraft, Count: 1}, {Endpoint: EndpointSendAll, Count: 1}}
	if p, _ := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll}); !slices.Equal(p.Calls, want) || p.CallsNeeded != 2 {
		t.Fatalf("second plan = %+v, want a new draft/add and the sendall", p.Calls)
	}

	// A draft longer than today's limit cannot be saved, nor an older one sent.
	long := f.draftInputT(t, 9)
	if _, err := f.svc.SaveDraft(ctx, 0, long, 1); !isField(err, "articles") {
		t.Fatalf("9 articles under today's profile: %v", err)
	}
	if err := f.store.UseDefaultProfile(ctx, true); err != nil {
		t.Fatal(err)
	}
	old, err := f.svc.SaveDraft(ctx, 0, long, 1)
	if err != nil {
		t.Fatalf("9 articles under the seed's profile: %v", err)
	}
	f.store.UseDefaultProfile(ctx, false)
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: old.ID, Target: TargetAll}); !isField(err, "draft") {
		t.Fatalf("sending a 9-article draft under today's profile: %v", err)
	}
}

func isField(err error, field string) bool {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	_, ok := ve.Fields[field]
	return ok
}
