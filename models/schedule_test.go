package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustSchedule(t *testing.T, f *fixture, in SendInput, due time.Time) Schedule {
	t.Helper()
	sc, err := f.svc.CreateSchedule(context.Background(), ScheduleInput{Send: in, DueAt: due}, 3)
	if err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
	if sc.State != ScheduleScheduled {
		t.Fatalf("new schedule state = %s", sc.State)
	}
	return sc
}

func scheduleOf(t *testing.T, f *fixture, id uint) Schedule {
	t.Helper()
	sc, err := f.svc.Schedule(context.Background(), id)
	if err != nil {
		t.Fatalf("Schedule(%d): %v", id, err)
	}
	return sc
}

func sendCount(t *testing.T, f *fixture) int {
	t.Helper()
	var n int64
	if err := f.store.gdb.Model(&sendRow{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// Two workers (two services on one database) see the schedule due at the same moment: the
// conditional UPDATE lets one of them make the send; WeChat is called once.
func TestScheduleFiresOnceAtDueTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	in := SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "form-1"}
	sc := mustSchedule(t, f, in, f.clock.Now().Add(time.Hour))
	if again := mustSchedule(t, f, in, f.clock.Now().Add(time.Hour)); again.ID != sc.ID {
		t.Fatalf("a double click made two schedules: %d, %d", sc.ID, again.ID)
	}
	if sc.GroupName != "北京用户" || sc.Title != "标题 0" {
		t.Fatalf("schedule = %+v", sc)
	}

	runOnce(t, f.svc)
	f.clock.Advance(59 * time.Minute)
	runOnce(t, f.svc)
	if n := sendCount(t, f); n != 0 || scheduleOf(t, f, sc.ID).State != ScheduleScheduled {
		t.Fatalf("before its time: %d sends, state %s", n, scheduleOf(t, f, sc.ID).State)
	}

	f.clock.Advance(time.Minute)
	// Two workers logging to one place: the claim lets exactly one of them start the send (the
	// send's idempotency key would hide a second StartSend; the log does not).
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	rules := f.svc.Rules()
	one, other := NewService(f.store, f.wx, rules, log), NewService(f.store, f.wx, rules, log)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, svc := range []*Service{one, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = svc.FireDueSchedules(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("fire: %v", errs)
	}
	runOnce(t, f.svc)
	runOnce(t, other)
	got := scheduleOf(t, f, sc.ID)
	if got.State != ScheduleFired || got.SendID == 0 || sendCount(t, f) != 1 {
		t.Fatalf("after firing: %+v, %d sends", got, sendCount(t, f))
	}
	if n := f.wx.count(EndpointSendAll); n != 1 {
		t.Fatalf("sendall calls = %d, want 1", n)
	}
	if n := strings.Count(logs.String(), "scheduled send started"); n != 1 {
		t.Fatalf("the schedule was started %d times:\n%s", n, logs.String())
	}
	if s := mustSend(t, f.svc, got.SendID); s.State != StateSubmitted || s.GroupID != 100 || s.OperatorID != 3 {
		t.Fatalf("the send = %+v", s)
	}
}

// A restart in the middle of firing (the send made, the schedule not yet marked) links the
// schedule to its send on the next start instead of sending again.
func TestScheduleCrashMidFireSendsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	sc := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetAll, Key: "form-2"}, f.clock.Now().Add(time.Minute))
	f.clock.Advance(time.Minute)
	// What a worker did before it stopped: claimed the schedule and made its send.
	var row scheduleRow
	if err := f.store.gdb.First(&row, sc.ID).Error; err != nil {
		t.Fatal(err)
	}
	claimed := f.clock.Now()
	if err := f.store.gdb.Model(&row).Updates(map[string]any{"state": ScheduleFiring, "claimed_at": claimed}).Error; err != nil {
		t.Fatal(err)
	}
	made, err := f.svc.StartSend(ctx, scheduleSendInput(row), 3)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc) // the claim is fresh: left alone (its worker may still be at it)
	if got := scheduleOf(t, f, sc.ID); got.State != ScheduleFiring {
		t.Fatalf("fresh claim taken over: %+v", got)
	}
	f.clock.Advance(scheduleClaimStale)
	restarted := f.newService(f.store)
	if err := restarted.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := scheduleOf(t, f, sc.ID)
	if got.State != ScheduleFired || got.SendID != made.ID || sendCount(t, f) != 1 || f.wx.count(EndpointSendAll) != 1 {
		t.Fatalf("after restart: %+v, %d sends, %d sendall", got, sendCount(t, f), f.wx.count(EndpointSendAll))
	}
}

// The quota spent between scheduling and firing: the schedule fails with the figures, nothing
// is sent. A deleted draft fails it too.
func TestScheduleReplannedWhenItFires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	sc := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "q"}, f.clock.Now().Add(time.Hour))
	for range 9 { // 10 a day: one left, the send needs three
		if err := f.svc.useQuota(ctx, 0, EndpointUploadThumb); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(time.Hour)
	runOnce(t, f.svc)
	got := scheduleOf(t, f, sc.ID)
	if got.State != ScheduleFailed || got.Reason != ReasonQuota || got.NeedCalls != 3 || got.QuotaLeft != 1 || got.SendID != 0 {
		t.Fatalf("quota spent meanwhile: %+v", got)
	}
	if sendCount(t, f) != 0 || f.wx.count(EndpointSendAll) != 0 {
		t.Fatalf("something was sent: %d sends", sendCount(t, f))
	}

	d2 := f.draft(t, 1)
	sc2 := mustSchedule(t, f, SendInput{DraftID: d2.ID, Target: TargetGroup, GroupID: 100, Key: "gone"}, f.clock.Now().Add(time.Hour))
	if err := f.svc.DeleteDraft(ctx, d2.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	runOnce(t, f.svc)
	if got := scheduleOf(t, f, sc2.ID); got.State != ScheduleFailed || got.Reason != ReasonDraftGone {
		t.Fatalf("draft deleted meanwhile: %+v", got)
	}
	if sendCount(t, f) != 0 {
		t.Fatal("a send was made")
	}
}

// Qunfa down over the due time: the schedule is missed, not sent late; the operator sends it now.
// Within the grace it still fires.
func TestScheduleMissedAfterDowntime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	missed := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "m"}, f.clock.Now().Add(time.Hour))
	late := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 0, Key: "l"}, f.clock.Now().Add(time.Hour+2*time.Minute))
	f.clock.Advance(time.Hour + scheduleGrace + time.Minute) // 11 min past the first, 9 past the second
	restarted := f.newService(f.store)
	if err := restarted.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := scheduleOf(t, f, missed.ID); got.State != ScheduleMissed || got.SendID != 0 {
		t.Fatalf("schedule due while down: %+v", got)
	}
	if got := scheduleOf(t, f, late.ID); got.State != ScheduleFired {
		t.Fatalf("schedule 9 minutes late: %+v", got)
	}
	if n, err := f.svc.MissedSchedules(ctx); err != nil || n != 1 {
		t.Fatalf("MissedSchedules = %d, %v", n, err)
	}
	if sendCount(t, f) != 1 {
		t.Fatalf("sends = %d", sendCount(t, f))
	}

	s, err := f.svc.SendScheduleNow(ctx, missed.ID)
	if err != nil {
		t.Fatalf("SendScheduleNow: %v", err)
	}
	if got := scheduleOf(t, f, missed.ID); got.State != ScheduleFired || got.SendID != s.ID || s.GroupID != 100 {
		t.Fatalf("sent now: %+v / %+v", got, s)
	}
	if _, err := f.svc.SendScheduleNow(ctx, missed.ID); !errors.Is(err, ErrScheduleNotWaiting) {
		t.Fatalf("second send now = %v", err)
	}
	if n, _ := f.svc.MissedSchedules(ctx); n != 0 {
		t.Fatalf("missed after send now = %d", n)
	}
	runOnce(t, f.svc)
	if n := f.wx.count(EndpointSendAll); n != 2 {
		t.Fatalf("sendall = %d, want 2", n)
	}
}

func TestScheduleCancelAndEditBeforeFiring(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	now := f.clock.Now()
	in := SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "e"}
	for _, c := range []struct {
		due  time.Time
		want string
	}{
		{now.Add(-time.Minute), "err.schedule_past"},
		{now, "err.schedule_past"},
		{now.Add(400 * 24 * time.Hour), "err.schedule_too_far"},
		{time.Time{}, "err.schedule_time_invalid"},
	} {
		_, err := f.svc.CreateSchedule(ctx, ScheduleInput{Send: in, DueAt: c.due}, 3)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields["schedule_at"] != c.want {
			t.Fatalf("due %v: %v; want %s", c.due, err, c.want)
		}
	}
	bad := in
	bad.GroupID = 999
	if _, err := f.svc.CreateSchedule(ctx, ScheduleInput{Send: bad, DueAt: now.Add(time.Hour)}, 3); err == nil {
		t.Fatal("unknown group scheduled")
	}

	sc := mustSchedule(t, f, in, now.Add(time.Hour))
	if err := f.svc.EditSchedule(ctx, sc.ID, ScheduleEdit{DueAt: now.Add(-time.Hour)}); err == nil {
		t.Fatal("edit to a past time accepted")
	}
	if err := f.svc.EditSchedule(ctx, sc.ID, ScheduleEdit{DueAt: now.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EditSchedule(ctx, sc.ID, ScheduleEdit{DueAt: now.Add(3 * time.Hour), GroupID: ptr(int64(999))}); err == nil {
		t.Fatal("edit to an unknown group accepted")
	}
	if err := f.svc.EditSchedule(ctx, sc.ID, ScheduleEdit{DueAt: now.Add(2 * time.Hour), GroupID: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	got := scheduleOf(t, f, sc.ID)
	if !got.DueAt.Equal(now.Add(2*time.Hour)) || got.GroupID != 0 || got.GroupName != "未分组" {
		t.Fatalf("after edit: %+v", got)
	}
	f.clock.Advance(time.Hour)
	runOnce(t, f.svc) // its old time: nothing
	if sendCount(t, f) != 0 {
		t.Fatal("fired at its old time")
	}
	f.clock.Advance(time.Hour)
	runOnce(t, f.svc)
	if got := scheduleOf(t, f, sc.ID); got.State != ScheduleFired || mustSend(t, f.svc, got.SendID).GroupID != 0 {
		t.Fatalf("edited schedule: %+v", got)
	}
	if err := f.svc.EditSchedule(ctx, sc.ID, ScheduleEdit{DueAt: f.clock.Now().Add(time.Hour)}); !errors.Is(err, ErrScheduleNotWaiting) {
		t.Fatalf("edit after firing = %v", err)
	}
	if err := f.svc.CancelSchedule(ctx, sc.ID); !errors.Is(err, ErrScheduleNotWaiting) {
		t.Fatalf("cancel after firing = %v", err)
	}

	c := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetAll, Key: "c"}, f.clock.Now().Add(time.Hour))
	if err := f.svc.CancelSchedule(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EditSchedule(ctx, c.ID, ScheduleEdit{DueAt: f.clock.Now().Add(2 * time.Hour)}); !errors.Is(err, ErrScheduleNotWaiting) {
		t.Fatalf("edit after cancel = %v", err)
	}
	f.clock.Advance(2 * time.Hour)
	runOnce(t, f.svc)
	if got := scheduleOf(t, f, c.ID); got.State != ScheduleCancelled || sendCount(t, f) != 1 {
		t.Fatalf("cancelled schedule: %+v, %d sends", got, sendCount(t, f))
	}
	if err := f.svc.CancelSchedule(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel unknown = %v", err)
	}
	list, err := f.svc.Schedules(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Schedules = %d, %v", len(list), err)
	}
}

// The confirmation page keeps an OpenID list for 24 h; a schedule keeps its own copy as long
// as it waits.
func TestScheduleKeepsOpenIDListPast24h(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	ids := []string{"oUSER_scheduled_0000000001", "oUSER_scheduled_0000000002", "oUSER_scheduled_0000000003"}
	listID, err := f.svc.SavePlanList(ctx, d.ID, 3, strings.Join(ids, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: strings.Join(ids, "\r\n"), Key: "o"},
		f.clock.Now().Add(30*time.Hour))
	if sc.ListCount != 3 {
		t.Fatalf("list count = %d", sc.ListCount)
	}
	f.clock.Advance(30 * time.Hour)
	if _, err := f.svc.PurgePlanLists(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PlanList(ctx, listID, d.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("plan list after 30 h = %v (the test needs it gone)", err)
	}
	runOnce(t, f.svc)
	got := scheduleOf(t, f, sc.ID)
	if got.State != ScheduleFired {
		t.Fatalf("after 30 h: %+v", got)
	}
	f.wx.mu.Lock()
	sent := f.wx.openIDs
	f.wx.mu.Unlock()
	if len(sent) != 1 || strings.Join(sent[0], ",") != strings.Join(ids, ",") {
		t.Fatalf("sent to %v", sent)
	}
}

func TestNextQuotaDay(t *testing.T) {
	for _, c := range []struct{ now, want time.Time }{
		{time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC), time.Date(2025, 3, 10, 16, 5, 0, 0, time.UTC)},   // 10:00 → next day 00:05 Beijing
		{time.Date(2025, 3, 10, 15, 59, 0, 0, time.UTC), time.Date(2025, 3, 10, 16, 5, 0, 0, time.UTC)}, // 23:59 Beijing
		{time.Date(2025, 3, 10, 16, 1, 0, 0, time.UTC), time.Date(2025, 3, 11, 16, 5, 0, 0, time.UTC)},  // 00:01 Beijing: tomorrow, not 4 min away
		{time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 16, 5, 0, 0, time.UTC)},  // over a year's end
	} {
		if got := NextQuotaDay(c.now); !got.Equal(c.want) {
			t.Errorf("NextQuotaDay(%v) = %v; want %v", c.now, got, c.want)
		}
	}
}

// lockedBuffer is a log sink for goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func ptr[T any](v T) *T { return &v }

// A schedule keeps the whole list and the operator's leave-out choice: who is at the cap is
// decided when it fires, not when it was scheduled.
func TestScheduleDecidesCapsWhenItFires(t *testing.T) {
	for _, include := range []bool{false, true} {
		t.Run(fmt.Sprintf("include_capped=%v", include), func(t *testing.T) {
			f := newFixture(t)
			d := f.draft(t, 1)
			ids := []string{"oUSER_capped_00000000000001", "oUSER_capped_00000000000002", "oUSER_capped_00000000000003"}
			people := make([]follower, len(ids))
			for i, id := range ids {
				people[i] = follower{id: id, subscribed: true, at: f.clock.Now().Add(-time.Hour)}
			}
			f.followers(t, people...)
			// Scheduled while nobody is at the cap; by the time it fires the first one is.
			sc := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: strings.Join(ids, "\n"),
				IncludeCapped: include, Key: "cap"}, f.clock.Now().Add(time.Hour))
			if sc.ListCount != 3 {
				t.Fatalf("list count = %d, want the whole list", sc.ListCount)
			}
			month := monthStart(f.clock.Now()).Format("2006-01")
			if err := f.store.gdb.Exec(`INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, 4)`, month, ids[0]).Error; err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Hour)
			runOnce(t, f.svc)
			if got := scheduleOf(t, f, sc.ID); got.State != ScheduleFired {
				t.Fatalf("schedule: %+v", got)
			}
			f.wx.mu.Lock()
			sent := f.wx.openIDs
			f.wx.mu.Unlock()
			want := ids[1:]
			if include {
				want = ids
			}
			if len(sent) != 1 || strings.Join(sent[0], ",") != strings.Join(want, ",") {
				t.Fatalf("sent to %v, want %v", sent, want)
			}
		})
	}
}
