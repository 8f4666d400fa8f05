package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// putFollowers puts followers in the synced table, as a sync would, with their tags and this
// Beijing month's ledger count.
func putFollowers(t testing.TB, f *fixture, people []follower) {
	t.Helper()
	ctx := context.Background()
	month := monthStart(f.clock.Now()).Format("2006-01")
	err := f.store.inTx(ctx, func(ctx context.Context) error {
		db := f.store.db(ctx)
		for _, p := range people {
			if err := db.Exec(`INSERT INTO followers (open_id, subscribed, subscribed_at, group_id, blacklisted, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				p.id, p.subscribed, p.at.UTC(), p.group, p.blacklisted, f.clock.Now().UTC()).Error; err != nil {
				return err
			}
			for _, tag := range p.tags {
				if err := db.Exec(`INSERT INTO follower_tags (tag_id, open_id) VALUES (?, ?)`, tag, p.id).Error; err != nil {
					return err
				}
			}
			if p.received > 0 {
				if err := db.Exec(`INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, ?)`, month, p.id, p.received).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func oid(i int) string { return fmt.Sprintf("oTest%08d", i) }

func audienceFieldKey(err error, field string) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields[field]
	}
	return ""
}

type problemKey struct {
	Line          int
	Value, Reason string
}

func keys(ps []OpenIDProblem) []problemKey {
	out := make([]problemKey, len(ps))
	for i, p := range ps {
		out[i] = problemKey{p.Line, p.Value, p.Reason}
	}
	return out
}

// A CSV as Excel writes it (BOM, CRLF, a header naming the OpenID column second, blank lines,
// spaces, a quoted field) gives its OpenIDs with their lines; duplicates and invalid entries are
// reported on their line.
func TestAudienceImportCSV(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	putFollowers(t, f, []follower{{id: oid(1), subscribed: true}, {id: oid(2), subscribed: true}, {id: oid(3), subscribed: true}})
	csv := "\uFEFF昵称,OpenID\r\n" + // 1
		"张三, " + oid(1) + " \r\n" + // 2
		"\r\n" + // 3
		"李四,\"" + oid(2) + "\"\r\n" + // 4
		"王五,not an openid\r\n" + // 5
		"张三again," + oid(1) + "\r\n" + // 6
		"赵六," + oid(3) + "\r\n" // 7
	a, err := f.svc.ImportAudience(ctx, AudienceImport{Name: " 老客户 ", Filename: "list.csv", File: []byte(csv)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "老客户" || a.Kind != AudienceKindList || a.Source != "csv" || a.Lines != 5 || a.Size != 3 ||
		a.Invalid != 1 || a.Duplicate != 1 || a.Unknown != 0 || a.Unsubscribed != 0 {
		t.Fatalf("audience = %+v", a)
	}
	ps, err := f.svc.AudienceProblems(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []problemKey{{5, "not an openid", "openid.invalid"}, {6, oid(1), "openid.duplicate"}}
	if got := keys(ps); !slices.Equal(got, want) {
		t.Fatalf("problems = %v, want %v", got, want)
	}
	var lines []struct {
		OpenID string
		Line   int
	}
	f.store.gdb.Raw(`SELECT open_id, line FROM audience_members WHERE audience_id = ? ORDER BY line`, a.ID).Scan(&lines)
	if len(lines) != 3 || lines[0].Line != 2 || lines[1].Line != 4 || lines[2].Line != 7 || lines[1].OpenID != oid(2) {
		t.Fatalf("members = %+v", lines)
	}

	// Without a header: the first column, every line (a semicolon-separated export too).
	a, err = f.svc.ImportAudience(ctx, AudienceImport{Name: "b", File: []byte(oid(1) + ";x\n" + oid(2) + ";y\n")})
	if err != nil || a.Size != 2 || a.Lines != 2 {
		t.Fatalf("headerless: %+v %v", a, err)
	}
}

// An XLSX (built here with excelize) is read from its first sheet the same way: the column
// headed OpenID, its header row skipped, blank rows passed over, line = row number.
func TestAudienceImportXLSX(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	putFollowers(t, f, []follower{{id: oid(1), subscribed: true}, {id: oid(2), subscribed: false}})
	x := excelize.NewFile()
	rows := [][]any{{"序号", "openid"}, {1, oid(1)}, {2, oid(1)}, nil, {4, "bad id!"}, {5, oid(2)}, {6, "  " + oid(9) + "  "}}
	for i, r := range rows {
		if r != nil {
			x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.ImportAudience(ctx, AudienceImport{Name: "xlsx", Filename: "名单.xlsx", File: buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != "xlsx" || a.Lines != 5 || a.Size != 3 || a.Invalid != 1 || a.Duplicate != 1 || a.Unknown != 1 || a.Unsubscribed != 1 {
		t.Fatalf("audience = %+v", a)
	}
	ps, _ := f.svc.AudienceProblems(ctx, a.ID)
	want := []problemKey{{5, "bad id!", "openid.invalid"}, {3, oid(1), "openid.duplicate"},
		{7, oid(9), "openid.unknown"}, {6, oid(2), "openid.unsubscribed"}}
	if got := keys(ps); !slices.Equal(got, want) {
		t.Fatalf("problems = %v, want %v", got, want)
	}
}

// Pasted text goes through the send form's own parser (commas, blank lines); a pasted "openid"
// header is not taken for a follower.
func TestAudienceImportPaste(t *testing.T) {
	f := newFixture(t)
	a, err := f.svc.ImportAudience(context.Background(), AudienceImport{Name: "p", Text: "OpenID\n" + oid(1) + ", " + oid(2) + "\n\n" + oid(2)})
	if err != nil || a.Source != "paste" || a.Size != 2 || a.Duplicate != 1 || a.Lines != 3 || a.Unknown != 2 {
		t.Fatalf("paste: %+v %v", a, err)
	}
}

// A file that is neither CSV nor XLSX, a broken XLSX, an empty list and a missing name are
// field errors.
func TestAudienceImportRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		in    AudienceImport
		field string
		key   string
	}{
		{"png", AudienceImport{Name: "a", File: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")}, FieldAudienceFile, "err.audience_file_type"},
		{"xls", AudienceImport{Name: "a", File: []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00")}, FieldAudienceFile, "err.audience_file_type"},
		{"broken xlsx", AudienceImport{Name: "a", File: []byte("PK\x03\x04 not really a zip")}, FieldAudienceFile, "err.audience_file_xlsx"},
		{"empty file", AudienceImport{Name: "a", File: []byte("openid\r\n\r\n")}, FieldAudienceFile, "err.audience_empty"},
		{"empty paste", AudienceImport{Name: "a", Text: " \n "}, FieldAudienceList, "err.audience_empty"},
		{"no name", AudienceImport{Name: " ", Text: oid(1)}, FieldAudienceName, "err.audience_name_empty"},
	} {
		if _, err := f.svc.ImportAudience(ctx, tt.in); audienceFieldKey(err, tt.field) != tt.key {
			t.Errorf("%s: %v, want %s on %s", tt.name, err, tt.key, tt.field)
		}
	}
	if list, _ := f.svc.SavedAudiences(ctx); len(list) != 0 {
		t.Fatalf("refused imports were saved: %+v", list)
	}
}

// The report counts every problem of each kind and keeps the first 100 of each, in line order,
// with their lines: the unknown and unsubscribed ones found through the followers table.
func TestAudienceImportReportCounts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var people []follower
	for i := 0; i < 1000; i++ {
		people = append(people, follower{id: oid(i), subscribed: i >= 150}) // 0..149 have left
	}
	putFollowers(t, f, people)
	var lines []string
	// Lines 1..1000: the followers (150 unsubscribed), then 250 invalid, 130 duplicates and
	// 120 unknown, interleaved so line order and kind order differ.
	for i := 999; i >= 0; i-- {
		lines = append(lines, oid(i))
	}
	for i := 0; i < 250; i++ {
		lines = append(lines, fmt.Sprintf("bad-%d!", i))
		if i < 130 {
			lines = append(lines, oid(i*7))
		}
		if i < 120 {
			lines = append(lines, oid(5000+i))
		}
	}
	a, err := f.svc.ImportAudience(ctx, AudienceImport{Name: "big", File: []byte(strings.Join(lines, "\n"))})
	if err != nil {
		t.Fatal(err)
	}
	if a.Lines != 1500 || a.Size != 1120 || a.Invalid != 250 || a.Duplicate != 130 || a.Unknown != 120 || a.Unsubscribed != 150 {
		t.Fatalf("counts = %+v", a)
	}
	ps, _ := f.svc.AudienceProblems(ctx, a.ID)
	byReason := map[string][]OpenIDProblem{}
	for _, p := range ps {
		byReason[p.Reason] = append(byReason[p.Reason], p)
	}
	for _, r := range []string{"openid.invalid", "openid.duplicate", "openid.unknown", "openid.unsubscribed"} {
		got := byReason[r]
		if len(got) != ReportShown || !slices.IsSortedFunc(got, func(a, b OpenIDProblem) int { return a.Line - b.Line }) {
			t.Fatalf("%s: %d shown (want %d, in line order)", r, len(got), ReportShown)
		}
		if lines[got[0].Line-1] != got[0].Value || lines[got[99].Line-1] != got[99].Value {
			t.Fatalf("%s: line numbers do not point at their values: %+v", r, got[0])
		}
	}
	// The unsubscribed are 149..0 on lines 851..1000: the first 100 are lines 851..950.
	if u := byReason["openid.unsubscribed"]; u[0].Line != 851 || u[0].Value != oid(149) || u[99].Line != 950 {
		t.Fatalf("unsubscribed shown: first %+v, last %+v", u[0], u[99])
	}
}

// Each filter condition alone and together, on the 2014 groups and on today's tags, counted
// live, against subscribed followers only.
func TestAudienceFilters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // now: 2025-03-10 10:00 Beijing
	bj := func(d string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", d, Beijing); return t }
	putFollowers(t, f, []follower{
		{id: oid(1), subscribed: true, at: bj("2025-01-31 23:59"), group: 100, tags: []int64{2}},
		{id: oid(2), subscribed: true, at: bj("2025-02-01 00:00"), group: 100, received: 3},
		{id: oid(3), subscribed: true, at: bj("2025-02-28 23:59"), group: 101, tags: []int64{2}, received: 1},
		{id: oid(4), subscribed: true, at: bj("2025-03-01 00:00"), group: 100, tags: []int64{2}, received: 4},
		{id: oid(5), subscribed: false, at: bj("2025-02-10 00:00"), group: 100, tags: []int64{2}},
	})
	// Last month's sends do not count this month.
	f.store.gdb.Exec(`INSERT INTO follower_months (month, open_id, received) VALUES ('2025-02', ?, 4)`, oid(1))
	count := func(in AudienceFilterInput) int {
		t.Helper()
		in.Name = "f"
		a, err := f.svc.SaveAudienceFilter(ctx, in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		n, err := f.svc.AudienceCount(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tt := range []struct {
		in   AudienceFilterInput
		want int
	}{
		{AudienceFilterInput{GroupID: "100"}, 3},
		{AudienceFilterInput{GroupID: "0"}, 0},
		{AudienceFilterInput{From: "2025-02-01", To: "2025-02-28"}, 2},
		{AudienceFilterInput{From: "2025-02-01"}, 3},
		{AudienceFilterInput{To: "2025-01-31"}, 1},
		{AudienceFilterInput{ReceivedBelow: "4"}, 3},
		{AudienceFilterInput{ReceivedBelow: "1"}, 1},
		{AudienceFilterInput{GroupID: "100", From: "2025-02-01", ReceivedBelow: "4"}, 1},
		{AudienceFilterInput{GroupID: "100", From: "2025-02-01", ReceivedBelow: "3"}, 0},
	} {
		if got := count(tt.in); got != tt.want {
			t.Errorf("groups %+v: %d, want %d", tt.in, got, tt.want)
		}
	}
	// Today's profile: the group is a tag (follower_tags).
	if err := f.store.putSettings(ctx, map[string]string{keyAudience: AudienceTags}); err != nil {
		t.Fatal(err)
	}
	if got := count(AudienceFilterInput{GroupID: "2"}); got != 3 {
		t.Errorf("tag 2: %d, want 3", got)
	}
	if got := count(AudienceFilterInput{GroupID: "2", ReceivedBelow: "2", To: "2025-02-28"}); got != 2 {
		t.Errorf("tag 2, fewer than 2, to Feb 28: %d, want 2", got)
	}
	for _, tt := range []struct {
		in         AudienceFilterInput
		field, key string
	}{
		{AudienceFilterInput{Name: "x"}, FieldAudienceGroup, "err.audience_filter_empty"},
		{AudienceFilterInput{Name: "x", From: "2025-13-01"}, FieldAudienceDates, "err.audience_date_invalid"},
		{AudienceFilterInput{Name: "x", From: "2025-03-02", To: "2025-03-01"}, FieldAudienceDates, "err.audience_dates_order"},
		{AudienceFilterInput{Name: "x", ReceivedBelow: "0"}, FieldAudienceBelow, "err.audience_below_invalid"},
		{AudienceFilterInput{Name: "x", GroupID: "abc"}, FieldAudienceGroup, "err.group_invalid"},
	} {
		if _, err := f.svc.SaveAudienceFilter(ctx, tt.in); audienceFieldKey(err, tt.field) != tt.key {
			t.Errorf("%+v: %v, want %s", tt.in, err, tt.key)
		}
	}
}

// Resolving at send time: the audience as it is now becomes a plan list for the draft (a list's
// members less those who left since the import; a filter's matches now), readable through
// PlanList; fewer than 2 OpenIDs is a field error.
func TestAudiencePlanListResolvesNow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	putFollowers(t, f, []follower{{id: oid(1), subscribed: true, group: 7}, {id: oid(2), subscribed: true, group: 7}, {id: oid(3), subscribed: true}})
	list, err := f.svc.ImportAudience(ctx, AudienceImport{Name: "l", Text: oid(1) + "\n" + oid(2) + "\n" + oid(3) + "\n" + oid(4)})
	if err != nil {
		t.Fatal(err)
	}
	f.store.gdb.Exec(`UPDATE followers SET subscribed = 0 WHERE open_id = ?`, oid(3)) // left after the import
	id, n, err := f.svc.AudiencePlanList(ctx, list.ID, 5, 1)
	if err != nil || n != 3 {
		t.Fatalf("AudiencePlanList = %q %d %v", id, n, err)
	}
	text, err := f.svc.PlanList(ctx, id, 5, 1)
	got := strings.Split(text, "\n")
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{oid(1), oid(2), oid(4)}) {
		t.Fatalf("plan list = %q %v", text, err)
	}
	filter, _ := f.svc.SaveAudienceFilter(ctx, AudienceFilterInput{Name: "g7", GroupID: "7"})
	if _, n, err := f.svc.AudiencePlanList(ctx, filter.ID, 5, 1); err != nil || n != 2 {
		t.Fatalf("filter: %d %v", n, err)
	}
	f.store.gdb.Exec(`UPDATE followers SET group_id = 8 WHERE open_id = ?`, oid(2))
	if _, n, err := f.svc.AudiencePlanList(ctx, filter.ID, 5, 1); audienceFieldKey(err, FieldSavedAudience) != "err.audience_too_small" || n != 1 {
		t.Fatalf("one left: %d %v, want err.audience_too_small", n, err)
	}
	if _, _, err := f.svc.AudiencePlanList(ctx, 999, 5, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown audience: %v", err)
	}
}

// Rename and delete; a deleted audience's members and report go with it.
func TestAudienceRenameDelete(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, _ := f.svc.ImportAudience(ctx, AudienceImport{Name: "a", Text: oid(1) + "\nbad!"})
	if err := f.svc.RenameAudience(ctx, a.ID, "新名字"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.SavedAudience(ctx, a.ID); got.Name != "新名字" {
		t.Fatalf("renamed: %+v", got)
	}
	if err := f.svc.RenameAudience(ctx, a.ID, ""); audienceFieldKey(err, FieldAudienceName) != "err.audience_name_empty" {
		t.Fatalf("empty name: %v", err)
	}
	if err := f.svc.DeleteAudience(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	f.store.gdb.Raw(`SELECT (SELECT COUNT(*) FROM audience_members) + (SELECT COUNT(*) FROM audience_problems)`).Scan(&n)
	if _, err := f.svc.SavedAudience(ctx, a.ID); !errors.Is(err, ErrNotFound) || n != 0 {
		t.Fatalf("after delete: %v, %d rows left", err, n)
	}
	if err := f.svc.DeleteAudience(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}
