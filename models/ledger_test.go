package models

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// follower is a row of the followers table for a test (putFollowers, audiences_test.go).
type follower struct {
	id          string
	group       int64
	tags        []int64
	subscribed  bool
	at          time.Time // subscribed_at
	blacklisted bool
	received    int // this Beijing month (follower_months)
}

func (f *fixture) followers(t *testing.T, people ...follower) {
	t.Helper()
	putFollowers(t, f, people)
}

// received is the ledger's count of openID for month ('2006-01').
func (f *fixture) received(t *testing.T, month, openID string) int {
	t.Helper()
	var n []int
	if err := f.store.gdb.Raw(`SELECT received FROM follower_months WHERE month = ? AND open_id = ?`, month, openID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if len(n) == 0 {
		return 0
	}
	return n[0]
}

func (f *fixture) recipients(t *testing.T, sendID uint) []string {
	t.Helper()
	var ids []string
	if err := f.store.gdb.Raw(`SELECT open_id FROM send_recipients WHERE send_id = ? ORDER BY open_id`, sendID).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func (f *fixture) setLedger(t *testing.T, month, openID string, n int) {
	t.Helper()
	if err := f.store.gdb.Exec(`INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, ?)
		ON CONFLICT (month, open_id) DO UPDATE SET received = excluded.received`, month, openID, n).Error; err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sendAndRun(t *testing.T, in SendInput) Send {
	t.Helper()
	s := f.start(t, in)
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitted {
		t.Fatalf("send %d: %s, want submitted", s.ID, s.State)
	}
	return s
}

// finish reports every batch of the send finished, as WeChat's push would.
func (f *fixture) finish(t *testing.T, s Send) Send {
	t.Helper()
	for _, b := range s.Batches {
		if err := f.svc.pipe.FinishBatch(context.Background(), b.MsgID, JobFinished{Status: "send success"}, true); err != nil {
			t.Fatal(err)
		}
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFinished {
		t.Fatalf("send %d: %s, want finished", s.ID, s.State)
	}
	return s
}

// An OpenID send records its list, batch by batch: each follower once a send, the month's count
// one more per send; a list split into two batches counts each follower once.
func TestLedgerRecordsListBatches(t *testing.T) {
	f := newFixture(t)
	d := f.draft(t, 1)
	ab := "oOPENIDaaaa01\noOPENIDbbbb02"
	s1 := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: ab, Key: "l1"})
	f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: ab + "\noOPENIDcccc03", Key: "l2"})
	if got := f.recipients(t, s1.ID); strings.Join(got, ",") != "oOPENIDaaaa01,oOPENIDbbbb02" {
		t.Errorf("recipients of the first = %v", got)
	}
	for id, want := range map[string]int{"oOPENIDaaaa01": 2, "oOPENIDbbbb02": 2, "oOPENIDcccc03": 1, "oOPENIDdddd04": 0} {
		if got := f.received(t, "2025-03", id); got != want {
			t.Errorf("%s received %d in March, want %d", id, got, want)
		}
	}

	var big []string
	for i := range 10001 {
		big = append(big, fmt.Sprintf("oBIGLIST%08d", i))
	}
	s3 := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: strings.Join(big, "\n"), Key: "l3"})
	if len(s3.Batches) != 2 {
		t.Fatalf("%d batches, want 2", len(s3.Batches))
	}
	if got := len(f.recipients(t, s3.ID)); got != 10001 {
		t.Errorf("%d recipients recorded, want 10001", got)
	}
	for _, id := range []string{big[0], big[5000], big[10000]} {
		if got := f.received(t, "2025-03", id); got != 1 {
			t.Errorf("%s received %d, want 1", id, got)
		}
	}
}

// A group, tag or everyone send records the subscribed members of the synced table at the
// moment it is submitted; the month is Beijing's; a repeated commit of a batch counts nobody twice.
func TestLedgerRecordsAudienceFromSyncedTable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	long := f.clock.Now().Add(-30 * 24 * time.Hour)
	f.followers(t,
		follower{id: "oG100aaaa", group: 100, tags: []int64{2}, subscribed: true, at: long},
		follower{id: "oG100bbbb", group: 100, subscribed: true, at: long},
		follower{id: "oG100gone", group: 100, tags: []int64{2}, subscribed: false, at: long},
		follower{id: "oG000dddd", group: 0, tags: []int64{2}, subscribed: true, at: long},
	)
	g := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "g"})
	if got := f.recipients(t, g.ID); strings.Join(got, ",") != "oG100aaaa,oG100bbbb" {
		t.Errorf("group 100 recipients = %v", got)
	}
	// A follower subscribing later is not in the group send's record.
	f.followers(t, follower{id: "oG100late", group: 100, subscribed: true, at: f.clock.Now()})
	all := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetAll, Key: "a"})
	if got := f.recipients(t, all.ID); strings.Join(got, ",") != "oG000dddd,oG100aaaa,oG100bbbb,oG100late" {
		t.Errorf("everyone recipients = %v", got)
	}
	for id, want := range map[string]int{"oG100aaaa": 2, "oG100bbbb": 2, "oG100late": 1, "oG000dddd": 1, "oG100gone": 0} {
		if got := f.received(t, "2025-03", id); got != want {
			t.Errorf("%s received %d, want %d", id, got, want)
		}
	}

	// Today's tags: a tag send (the tags profile) goes to the tag's subscribed members. 1 April
	// 00:30 in Beijing is still 31 March in UTC: the ledger's month is April.
	f.clock.mu.Lock()
	f.clock.t = time.Date(2025, 3, 31, 16, 30, 0, 0, time.UTC)
	f.clock.mu.Unlock()
	row := sendRow{IdemKey: "tag", DraftID: d.ID, Target: TargetGroup, GroupID: 2, ArticlesJSON: "[]",
		State: StateSubmitting, OperatorID: 1, CreatedAt: f.clock.Now(), Audience: AudienceTags, UploadPath: UploadNews}
	id, err := f.svc.pipe.EnqueueSend(ctx, row, [][]string{nil}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var b batchRow
	if err := f.store.gdb.Where("send_id = ?", id).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	// Subscribed after it was submitted: not addressed (a catch-up's), though recorded later.
	f.clock.Advance(time.Minute)
	f.followers(t, follower{id: "oG000late", tags: []int64{2}, subscribed: true, at: f.clock.Now()})
	f.clock.Advance(-time.Minute)
	// One OpenID a chunk: the tag's members are recorded over several short transactions.
	defer func(n int) { ledgerChunk = n }(ledgerChunk)
	ledgerChunk = 1
	for range 2 { // the same answer committed twice (a retry after a crash)
		if err := f.svc.pipe.CommitMsgID(ctx, id, b.ID, MassResult{MsgID: 777001}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := f.svc.pipe.LedgerChunk(ctx, b.ID); done || err != nil {
		t.Fatalf("first chunk: done %v %v", done, err)
	}
	if got := f.recipients(t, id); len(got) != 1 {
		t.Fatalf("after one chunk of 1: %v", got)
	}
	for range 2 { // a restart records what is left, once
		if err := f.svc.recordLedger(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if pending, _ := f.svc.pipe.PendingLedger(ctx); len(pending) != 0 {
		t.Fatalf("still pending: %v", pending)
	}
	if got := f.recipients(t, id); strings.Join(got, ",") != "oG000dddd,oG100aaaa" {
		t.Errorf("tag 2 recipients = %v", got)
	}
	for id, want := range map[string]int{"oG100aaaa": 1, "oG000dddd": 1, "oG100bbbb": 0, "oG000late": 0} {
		if got := f.received(t, "2025-04", id); got != want {
			t.Errorf("%s received %d in April, want %d", id, got, want)
		}
	}
	if got := f.received(t, "2025-03", "oG100aaaa"); got != 2 {
		t.Errorf("March count changed to %d", got)
	}
}
