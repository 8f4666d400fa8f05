package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// abFollowers puts n subscribed followers in group 100 (and two outside it).
func abFollowers(t *testing.T, f *fixture, n int) []string {
	t.Helper()
	var people []follower
	var ids []string
	for i := range n {
		id := fmt.Sprintf("oABtest%06d", i)
		ids = append(ids, id)
		people = append(people, follower{id: id, group: 100, subscribed: true, at: f.clock.Now().Add(-time.Hour)})
	}
	people = append(people, follower{id: "oABother01", group: 0, subscribed: true, at: f.clock.Now()},
		follower{id: "oABleft001", group: 100, subscribed: false, at: f.clock.Now()})
	f.followers(t, people...)
	return ids
}

// batchList is the OpenIDs of a send's batches, sorted.
func batchList(t *testing.T, f *fixture, sendID uint) []string {
	t.Helper()
	var lists []string
	if err := f.store.gdb.Raw(`SELECT open_ids FROM send_batches WHERE send_id = ?`, sendID).Scan(&lists).Error; err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range lists {
		out = append(out, strings.Split(l, "\n")...)
	}
	slices.Sort(out)
	return out
}

// fixedReads hands known read figures per send.
type fixedReads map[uint]int64

func (r fixedReads) ReadsOfSend(_ context.Context, id uint) (int64, bool, error) {
	n, ok := r[id]
	return n, ok, nil
}

// finishSent reports every batch of send id finished with all its OpenIDs sent.
func finishSent(t *testing.T, f *fixture, id uint) Send {
	t.Helper()
	s := mustSend(t, f.svc, id)
	for _, b := range s.Batches {
		j := JobFinished{Status: "send success", Total: b.OpenIDCount, Filter: b.OpenIDCount, Sent: b.OpenIDCount}
		if err := f.svc.pipe.FinishBatch(context.Background(), b.MsgID, j, true); err != nil {
			t.Fatal(err)
		}
	}
	return mustSend(t, f.svc, id)
}

// Creating a test makes two OpenID-list sends, through the pipeline like any send: half A gets
// the draft, half B a copy with the new title; the halves are the seeded draw of the group's
// followers from the synced table; the quota is reserved for both.
func TestCreateABTest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2)
	ids := abFollowers(t, f, 400)
	left, _ := f.svc.QuotaLeft(ctx)

	in := ABTestInput{DraftID: d.ID, Audience: "group:100", TitleB: "另一个标题", SharePct: 25, JudgeHours: 24, Key: "k1"}
	ab, err := f.svc.CreateABTest(ctx, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ab.AudienceKind != ABAudienceGroup || ab.AudienceName != "北京用户" || ab.AudienceSize != 400 || ab.HalfSize != 100 || ab.Rest() != 200 {
		t.Fatalf("test: %+v", ab)
	}
	if !ab.JudgeAt.Equal(f.clock.Now().Add(24 * time.Hour)) {
		t.Fatalf("judge at %v", ab.JudgeAt)
	}
	sa, sb := mustSend(t, f.svc, ab.SendAID), mustSend(t, f.svc, ab.SendBID)
	if sa.Target != TargetOpenIDs || sb.Target != TargetOpenIDs || sa.Recipients != 100 || sb.Recipients != 100 {
		t.Fatalf("sends: A %s %d, B %s %d", sa.Target, sa.Recipients, sb.Target, sb.Recipients)
	}
	if sa.Title != "标题 0" || sb.Title != "另一个标题" || ab.TitleA != "标题 0" || ab.TitleB != "另一个标题" {
		t.Fatalf("titles: A %q, B %q", sa.Title, sb.Title)
	}
	if sa.State != StateQueued || sb.State != StateQueued {
		t.Fatalf("states %s %s", sa.State, sb.State)
	}
	// Variant B is a draft of its own: the new title first, the rest of the draft as it was.
	db, err := f.svc.Draft(ctx, ab.DraftBID)
	if err != nil || db.ID == d.ID || len(db.Articles) != 2 || db.Articles[0].Title != "另一个标题" || db.Articles[1].Title != "标题 1" {
		t.Fatalf("draft B: %+v %v", db, err)
	}
	// The halves are the recorded seed's draw of the group's subscribed followers.
	split := splitAudience(slices.Clone(ids), 100, ab.Seed)
	if !slices.Equal(batchList(t, f, sa.ID), split.A) || !slices.Equal(batchList(t, f, sb.ID), split.B) {
		t.Fatal("the sends' lists are not the seeded halves")
	}
	// Counted against the quota like two sends: one news upload and one mass/send each (the cover
	// is shared and uploaded once).
	after, _ := f.svc.QuotaLeft(ctx)
	if left-after < 4 {
		t.Fatalf("quota left %d → %d: both sends' calls not reserved", left, after)
	}

	// The same key again: the same test, no new sends.
	again, err := f.svc.CreateABTest(ctx, in, 1)
	if err != nil || again.ID != ab.ID {
		t.Fatalf("second submit: %+v %v", again, err)
	}
	var sends int64
	f.store.gdb.Model(&sendRow{}).Count(&sends)
	if sends != 2 {
		t.Fatalf("%d sends after a resubmit", sends)
	}
	list, err := f.svc.ABTests(ctx)
	if err != nil || len(list) != 1 || list[0].ID != ab.ID {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Both go out through the worker as OpenID sends.
	runOnce(t, f.svc)
	if n := f.wx.count("message/mass/send"); n != 2 {
		t.Fatalf("%d mass/send calls, want 2", n)
	}
}

// A quota too small for both halves refuses the whole test: no send, no test, no draft B.
func TestCreateABTestAllOrNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	abFollowers(t, f, 40)
	drafts := func() (n int64) { f.store.gdb.Model(&draftRow{}).Count(&n); return }
	before := drafts()
	f.svc.rules.DailyQuota = 3 // one half's calls (cover, news, send), not two
	_, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "all", TitleB: "B", SharePct: 50, Key: "q"}, 1)
	if !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("err %v, want quota exceeded", err)
	}
	var sends, tests int64
	f.store.gdb.Model(&sendRow{}).Count(&sends)
	f.store.gdb.Model(&abTestRow{}).Count(&tests)
	if sends != 0 || tests != 0 || drafts() != before {
		t.Fatalf("after a refused test: %d sends, %d tests, %d drafts (was %d)", sends, tests, drafts(), before)
	}
}

func TestCreateABTestInvalid(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	base := ABTestInput{DraftID: d.ID, Audience: "all", TitleB: "B", SharePct: 50, JudgeHours: 1, Key: "x"}
	check := func(name string, in ABTestInput, field, key string) {
		t.Helper()
		_, err := f.svc.CreateABTest(ctx, in, 1)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[field] != key {
			t.Errorf("%s: %v, want %s: %s", name, err, field, key)
		}
	}
	check("followers not synced", base, "audience", "err.abtest_followers_unknown")
	abFollowers(t, f, 10)
	in := base
	in.TitleB = ""
	check("nothing changed", in, "title_b", "err.abtest_no_change")
	in.TitleB = "标题 0"
	check("same title", in, "title_b", "err.abtest_same_title")
	in = base
	in.TitleB = strings.Repeat("长", 65)
	check("title too long", in, "title_b", "err.title_too_long")
	in = base
	in.SharePct = 51
	check("share", in, "share", "err.abtest_share")
	in = base
	in.JudgeHours = -1
	check("judge", in, "judge_hours", "err.abtest_judge_hours")
	in = base
	in.Audience = "everyone"
	check("audience", in, "audience", "err.abtest_audience")
	in.Audience = "group:9999"
	check("unknown group", in, "audience", "err.group_not_found")
	in.Audience = "saved:77"
	check("gone audience", in, "audience", "err.audience_gone")
	in = base
	in.SharePct = 10 // 10% of 11 is 1 a half: mass/send needs two
	check("too small", in, "audience", "err.abtest_audience_too_small")
}

// After the time chosen, with reads in: the verdict, then the winner to the rest of the audience
// (the seeded split's rest, audience unchanged), once, linked to the test.
func TestABWinnerToRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	ids := abFollowers(t, f, 400)
	ab, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "group:100", TitleB: "B 标题", SharePct: 25, JudgeHours: 2, Key: "w"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	reads := fixedReads{ab.SendAID: 20, ab.SendBID: 40}
	r, err := f.svc.ABTestReport(ctx, ab.ID, reads)
	if err != nil || r.Status != ABStatusSending || r.CanSendWinner {
		t.Fatalf("before sending: %+v %v", r, err)
	}
	runOnce(t, f.svc)
	finishSent(t, f, ab.SendAID)
	finishSent(t, f, ab.SendBID)
	if r, _ = f.svc.ABTestReport(ctx, ab.ID, reads); r.Status != ABStatusWaiting {
		t.Fatalf("before the time: %s", r.Status)
	}
	if _, err := f.svc.SendABWinner(ctx, ab.ID, reads, 1); err == nil {
		t.Fatal("winner sent before the time")
	}
	f.clock.Advance(2 * time.Hour)
	if r, _ = f.svc.ABTestReport(ctx, ab.ID, fixedReads{}); r.Status != ABStatusNoReads {
		t.Fatalf("without reads: %s", r.Status)
	}
	r, err = f.svc.ABTestReport(ctx, ab.ID, reads)
	if err != nil || r.Status != ABStatusJudged || r.Result.Verdict != VerdictBBetter || !r.CanSendWinner || r.Winner() != "B" {
		t.Fatalf("judged: %+v %v", r, err)
	}
	if r.A.Rate != 0.2 || r.B.Rate != 0.4 || r.A.Send.Sent != 100 {
		t.Fatalf("rates %v %v sent %d", r.A.Rate, r.B.Rate, r.A.Send.Sent)
	}

	w, err := f.svc.SendABWinner(ctx, ab.ID, reads, 1)
	if err != nil {
		t.Fatal(err)
	}
	split := splitAudience(slices.Clone(ids), 100, ab.Seed)
	if w.Target != TargetOpenIDs || w.Title != "B 标题" || w.Recipients != 200 || !slices.Equal(batchList(t, f, w.ID), split.Rest) {
		t.Fatalf("winner send: %+v", w)
	}
	again, err := f.svc.SendABWinner(ctx, ab.ID, reads, 1)
	if err != nil || again.ID != w.ID {
		t.Fatalf("second click: %v %v", again.ID, err)
	}
	got, _ := f.svc.ABTest(ctx, ab.ID)
	if got.Winner != "B" || got.WinnerSendID != w.ID {
		t.Fatalf("test after: %+v", got)
	}
	if r, _ = f.svc.ABTestReport(ctx, ab.ID, reads); r.CanSendWinner {
		t.Fatal("winner still offered after it was sent")
	}
}

// No winner without a verdict that names one; no rest, no send to it; a follower who joined the
// group after the test is in the rest.
func TestABWinnerRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	abFollowers(t, f, 400)
	f.svc.rules.DailyQuota = 100 // two tests in a day
	whole, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "group:100", TitleB: "B", SharePct: 50, Key: "h"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	part, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "group:100", TitleB: "C", SharePct: 10, Key: "p"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	for _, id := range []uint{whole.SendAID, whole.SendBID, part.SendAID, part.SendBID} {
		finishSent(t, f, id)
	}
	refused := func(name string, id uint, reads ReadSource) {
		t.Helper()
		_, err := f.svc.SendABWinner(ctx, id, reads, 1)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields["winner"] == "" {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	refused("no difference", part.ID, fixedReads{part.SendAID: 10, part.SendBID: 11})
	refused("too few", part.ID, fixedReads{part.SendAID: 1, part.SendBID: 30})
	r, _ := f.svc.ABTestReport(ctx, whole.ID, fixedReads{whole.SendAID: 20, whole.SendBID: 90})
	if r.Result.Verdict != VerdictBBetter || r.CanSendWinner {
		t.Fatalf("whole audience split: %+v", r)
	}
	refused("no rest", whole.ID, fixedReads{whole.SendAID: 20, whole.SendBID: 90})

	f.followers(t, follower{id: "oABnewcomer", group: 100, subscribed: true, at: f.clock.Now()})
	rest, err := f.svc.ABRest(ctx, part)
	if err != nil || len(rest) != 400-2*40+1 || !slices.Contains(rest, "oABnewcomer") {
		t.Fatalf("rest after a newcomer: %d %v", len(rest), err)
	}
}

// A saved audience and a tag are split too: a list's members still subscribed, a tag's from
// follower_tags.
func TestCreateABTestSavedAudienceAndTag(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.rules.DailyQuota = 100
	d := f.draft(t, 1)
	ids := abFollowers(t, f, 20)
	a, err := f.svc.ImportAudience(ctx, AudienceImport{Name: "名单", Text: strings.Join(ids[:12], "\n") + "\noABleft001"})
	if err != nil {
		t.Fatal(err)
	}
	ab, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: fmt.Sprintf("saved:%d", a.ID), TitleB: "B", SharePct: 50, Key: "s"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 12 members subscribed (the one who left is not drawn): 6 a half.
	if ab.AudienceKind != ABAudienceSaved || ab.AudienceName != "名单" || ab.AudienceSize != 12 || ab.HalfSize != 6 {
		t.Fatalf("saved audience test: %+v", ab)
	}
	both := append(batchList(t, f, ab.SendAID), batchList(t, f, ab.SendBID)...)
	slices.Sort(both)
	if !slices.Equal(both, ids[:12]) {
		t.Fatalf("halves %v", both)
	}

	f.followers(t, follower{id: "oABtag0001", subscribed: true, tags: []int64{134}, at: f.clock.Now()},
		follower{id: "oABtag0002", subscribed: true, tags: []int64{134}, at: f.clock.Now()},
		follower{id: "oABtag0003", subscribed: true, tags: []int64{134}, at: f.clock.Now()},
		follower{id: "oABtag0004", subscribed: true, tags: []int64{134, 2}, at: f.clock.Now()},
		follower{id: "oABtag0005", subscribed: true, tags: []int64{2}, at: f.clock.Now()})
	if err := f.store.UseDefaultProfile(ctx, false); err != nil { // today's API: tags
		t.Fatal(err)
	}
	ab, err = f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "group:134", TitleB: "C", SharePct: 50, Key: "t"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ab.AudienceKind != ABAudienceTag || ab.AudienceName != "广东" || ab.AudienceSize != 4 {
		t.Fatalf("tag test: %+v", ab)
	}
}

// A half that will never finish stops the test (no verdict, no winner); a finished half deleted
// since keeps its figures.
func TestABStoppedAndDeleted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	abFollowers(t, f, 400)
	ab, err := f.svc.CreateABTest(ctx, ABTestInput{DraftID: d.ID, Audience: "all", TitleB: "B", SharePct: 25, Key: "d"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	finishSent(t, f, ab.SendAID)
	finishSent(t, f, ab.SendBID)
	reads := fixedReads{ab.SendAID: 20, ab.SendBID: 40}
	if err := f.store.gdb.Exec(`UPDATE sends SET state = ? WHERE id = ?`, StateDeleted, ab.SendAID).Error; err != nil {
		t.Fatal(err)
	}
	if r, _ := f.svc.ABTestReport(ctx, ab.ID, reads); r.Status != ABStatusJudged || r.Result.Verdict != VerdictBBetter {
		t.Fatalf("a finished half deleted since: %+v", r)
	}
	if err := f.store.gdb.Exec(`UPDATE sends SET state = ?, finished_at = NULL WHERE id = ?`, StateFailed, ab.SendBID).Error; err != nil {
		t.Fatal(err)
	}
	if r, _ := f.svc.ABTestReport(ctx, ab.ID, reads); r.Status != ABStatusStopped || r.CanSendWinner {
		t.Fatalf("a failed half: %+v", r)
	}
}
