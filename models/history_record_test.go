package models

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A send keeps what the history's filters need: its articles' titles and authors for the search,
// and the saved audience its OpenID list came from, carried from the confirmation's kept list
// (PlanListOf) or from a schedule that fires later.
func TestSendRecordsSearchTextAndSavedAudience(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	putFollowers(t, f, []follower{{id: oid(1), subscribed: true}, {id: oid(2), subscribed: true}})
	au, err := f.svc.ImportAudience(ctx, AudienceImport{Name: "老客户", Text: oid(1) + "\n" + oid(2)})
	if err != nil {
		t.Fatal(err)
	}
	in := f.draftInputT(t, 2)
	in.Articles[0].Title, in.Articles[0].Author = "春季上新", "小编"
	in.Articles[1].Title, in.Articles[1].Author = "Ｑｕｎｆａ News", "王五"
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	listID, _, err := f.svc.AudiencePlanList(ctx, au.ID, d.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	text, audienceID, err := f.svc.PlanListOf(ctx, listID, d.ID, 1)
	if err != nil || audienceID != au.ID {
		t.Fatalf("PlanListOf: audience %d, %v; want %d", audienceID, err, au.ID)
	}
	if _, pasted, _ := f.svc.PlanListOf(ctx, mustPlanList(t, f, d.ID, text), d.ID, 1); pasted != 0 {
		t.Fatalf("a pasted list names audience %d", pasted)
	}
	s := f.start(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: text, Key: "saved", AudienceID: audienceID})
	var row sendRow
	if err := f.store.gdb.Take(&row, s.ID).Error; err != nil {
		t.Fatal(err)
	}
	if row.AudienceID != au.ID || row.SearchText != "春季上新\n小编\nqunfa news\n王五" {
		t.Fatalf("send: audience %d, search %q", row.AudienceID, row.SearchText)
	}
	if got := historyIDs(t, f, HistoryFilter{Audience: HistorySaved, ID: int64(au.ID), Query: "QUNFA"}); !slices.Equal(got, []uint{s.ID}) {
		t.Fatalf("filtered: %v", got)
	}
	// Everyone: no saved audience, whatever the input says.
	all := f.start(t, SendInput{DraftID: d.ID, Target: TargetAll, Key: "all", AudienceID: au.ID})
	if got := historyIDs(t, f, HistoryFilter{Audience: HistorySaved}); !slices.Equal(got, []uint{s.ID}) {
		t.Fatalf("saved audiences' sends: %v (everyone send %d)", got, all.ID)
	}

	// A schedule keeps the audience until it fires.
	sc := mustSchedule(t, f, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: text, Key: "later", AudienceID: au.ID}, f.clock.Now().Add(time.Hour))
	f.clock.Advance(time.Hour + time.Second)
	if err := f.svc.FireDueSchedules(ctx); err != nil {
		t.Fatal(err)
	}
	fired := scheduleOf(t, f, sc.ID)
	if fired.SendID == 0 {
		t.Fatalf("schedule %s, no send", fired.State)
	}
	var later sendRow
	if err := f.store.gdb.Take(&later, fired.SendID).Error; err != nil || later.AudienceID != au.ID {
		t.Fatalf("scheduled send: audience %d %v", later.AudienceID, err)
	}
}

func mustPlanList(t *testing.T, f *fixture, draftID uint, text string) string {
	t.Helper()
	id, err := f.svc.SavePlanList(context.Background(), draftID, 1, text)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Migration 22 fills search_text for the sends made before it, from their articles as sent.
func TestMigrationV22FillsSearchText(t *testing.T) {
	path := t.TempDir() + "/q.db"
	old := openAt(t, path, 18)
	for _, q := range []string{
		`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, '2025-01-01', '2025-01-01')`,
		`INSERT INTO sends (id, idem_key, draft_id, title, target, articles_json, state, created_at)
			VALUES (1, 'a', 1, '春季上新', 'all', '[{"Title":"春季上新","Author":"小编"},{"Title":"ＡＢＣ","Author":""}]', 'finished', '2025-01-01')`,
		`INSERT INTO sends (id, idem_key, draft_id, title, target, articles_json, state, created_at)
			VALUES (2, 'b', 1, 'Broken', 'all', 'not json', 'finished', '2025-01-01')`,
	} {
		if err := old.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := migrateTo(old, 22); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := old.Raw(`SELECT search_text FROM sends ORDER BY id`).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"春季上新\n小编\nabc", "broken"}) {
		t.Fatalf("search_text after migration: %q", got)
	}
	closeRaw(t, old)
}
