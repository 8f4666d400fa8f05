package models

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Every send state the package declares is in exactly one of the history's state groups, so the
// state filter can find every send.
func TestHistoryStateGroupsCoverEveryState(t *testing.T) {
	re := regexp.MustCompile(`(?m)^\s*State\w+\s+SendState\s*=\s*"(\w+)"`)
	files, _ := filepath.Glob("*.go")
	var states []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			states = append(states, m[1])
		}
	}
	if len(states) < 9 {
		t.Fatalf("found only %v", states)
	}
	for _, s := range states {
		n := 0
		for _, g := range HistoryStateGroups {
			if slices.Contains(g.States, SendState(s)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("state %q is in %d groups", s, n)
		}
	}
}

// historySend is a send of the filter tests: its id, and what the filters look at.
type historySend struct {
	state    SendState
	target   TargetKind
	audience string // groups | tags
	groupID  int64
	savedID  uint
	at       time.Time
	title    string
	author   string
}

// seedHistorySends inserts the sends as StartSend would store them (search_text included, times
// in UTC).
func seedHistorySends(t *testing.T, f *fixture, sends []historySend) {
	t.Helper()
	d := f.draft(t, 1)
	for i, s := range sends {
		arts := []ArticleInput{{Title: s.title, Author: s.author}}
		row := sendRow{IdemKey: fmt.Sprintf("k%d", i), DraftID: d.ID, Title: s.title, Target: s.target, GroupID: s.groupID,
			ArticlesJSON: "[]", State: s.state, CreatedAt: s.at.UTC(), Audience: s.audience, AudienceID: s.savedID,
			SearchText: searchText(s.title, arts)}
		if row.Audience == "" {
			row.Audience = AudienceGroups
		}
		if err := f.store.gdb.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// ids of every send f selects, walking the pages older.
func historyIDs(t *testing.T, f *fixture, flt HistoryFilter) []uint {
	t.Helper()
	var out []uint
	cur := HistoryCursor{Filter: flt}
	for {
		p, err := f.svc.HistoryPage(context.Background(), cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sends {
			out = append(out, s.ID)
		}
		if p.Older == 0 {
			return out
		}
		cur.Before = p.Older
	}
}

// Each filter alone and combined selects exactly the sends it names, newest first; days are
// Beijing days, 00:00 Beijing being 16:00 UTC of the day before.
func TestHistoryFilters(t *testing.T) {
	f := newFixture(t)
	bj := func(d, h, m, s int) time.Time { return time.Date(2025, 3, d, h, m, s, 0, Beijing) }
	seedHistorySends(t, f, []historySend{
		/*1*/ {state: StateFinished, target: TargetAll, at: bj(1, 0, 0, 0), title: "春季上新", author: "小编"},
		/*2*/ {state: StateFinished, target: TargetGroup, groupID: 100, at: bj(1, 23, 59, 59), title: "Spring Sale ＡＢＣ", author: "Li"},
		/*3*/ {state: StateFailed, target: TargetGroup, audience: AudienceTags, groupID: 100, at: bj(2, 0, 0, 0), title: "夏季预告", author: "小编"},
		/*4*/ {state: StateSubmitted, target: TargetOpenIDs, at: bj(2, 12, 0, 0), title: "100% 满意", author: "王五"},
		/*5*/ {state: StateAwaitingApproval, target: TargetOpenIDs, savedID: 7, at: bj(3, 8, 0, 0), title: "年终盘点", author: "编辑部"},
		/*6*/ {state: StateDeleted, target: TargetGroup, groupID: 101, at: bj(3, 23, 0, 0), title: "春季上新 第二期", author: "a_b"},
		/*7*/ {state: StateUploading, target: TargetOpenIDs, savedID: 8, at: bj(4, 0, 0, 1), title: "春天来了", author: "小编"},
		/*8*/ {state: StateRejected, target: TargetAll, at: bj(4, 9, 0, 0), title: "Qunfa 发布", author: "x"},
	})
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, Beijing) }
	group := func(k string) []SendState { g, _ := HistoryStateGroupOf(k); return g.States }
	for _, tt := range []struct {
		name string
		f    HistoryFilter
		want []uint
	}{
		{"none", HistoryFilter{}, []uint{8, 7, 6, 5, 4, 3, 2, 1}},
		{"finished", HistoryFilter{States: group("finished")}, []uint{2, 1}},
		{"sending", HistoryFilter{States: group("sending")}, []uint{7, 4}},
		{"approval", HistoryFilter{States: group("approval")}, []uint{5}},
		{"rejected", HistoryFilter{States: group("rejected")}, []uint{8}},
		{"deleted", HistoryFilter{States: group("deleted")}, []uint{6}},
		{"queued: none", HistoryFilter{States: group("queued")}, nil},
		{"everyone", HistoryFilter{Audience: HistoryEveryone}, []uint{8, 1}},
		{"any group", HistoryFilter{Audience: HistoryGroup}, []uint{6, 2}},
		{"group 100", HistoryFilter{Audience: HistoryGroup, ID: 100}, []uint{2}},
		{"tag 100", HistoryFilter{Audience: HistoryTag, ID: 100}, []uint{3}},
		{"openids", HistoryFilter{Audience: HistoryOpenIDs}, []uint{7, 5, 4}},
		{"any saved", HistoryFilter{Audience: HistorySaved}, []uint{7, 5}},
		{"saved 8", HistoryFilter{Audience: HistorySaved, ID: 8}, []uint{7}},
		// Day boundaries: 1 March Beijing is [28 Feb 16:00 UTC, 1 Mar 16:00 UTC).
		{"from 2 March", HistoryFilter{From: day(2)}, []uint{8, 7, 6, 5, 4, 3}},
		{"to 1 March", HistoryFilter{To: day(2)}, []uint{2, 1}},
		{"3 March", HistoryFilter{From: day(3), To: day(4)}, []uint{6, 5}},
		{"search 春季", HistoryFilter{Query: "春季"}, []uint{6, 1}},
		{"search 春", HistoryFilter{Query: "春"}, []uint{7, 6, 1}},
		{"search author 小编", HistoryFilter{Query: "  小编 "}, []uint{7, 3, 1}},
		{"search case", HistoryFilter{Query: "SPRING sale"}, []uint{2}},
		{"search full-width", HistoryFilter{Query: "abc"}, []uint{2}},
		{"search full-width query", HistoryFilter{Query: "ＱＵＮＦＡ"}, []uint{8}},
		{"search % literal", HistoryFilter{Query: "%"}, []uint{4}},
		{"search _ literal", HistoryFilter{Query: "a_b"}, []uint{6}},
		{"search nothing", HistoryFilter{Query: "秋季"}, nil},
		{"state+audience", HistoryFilter{States: group("finished"), Audience: HistoryGroup}, []uint{2}},
		{"audience+date", HistoryFilter{Audience: HistoryOpenIDs, From: day(3)}, []uint{7, 5}},
		{"search+state+date", HistoryFilter{Query: "小编", States: group("sending"), From: day(4), To: day(5)}, []uint{7}},
		{"all but nothing", HistoryFilter{Query: "春季", States: group("failed")}, nil},
	} {
		got := historyIDs(t, f, tt.f)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		var each []uint
		if err := f.svc.EachHistorySend(context.Background(), tt.f, func(s Send) error { each = append(each, s.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(each, tt.want) {
			t.Errorf("%s: the export has %v, want %v", tt.name, each, tt.want)
		}
	}
}

// Under a filter, pages hold only its sends, newest first; older then newer again meets each
// once, the links name the filter's neighbours, and newer from the second page is the first.
func TestHistoryFilteredPagesByKeyset(t *testing.T) {
	f := newFixture(t)
	var sends []historySend
	for i := 1; i <= 130; i++ {
		st := StateFinished
		if i%2 == 0 {
			st = StateFailed
		}
		sends = append(sends, historySend{state: st, target: TargetAll, at: f.clock.Now(), title: fmt.Sprint("send ", i)})
	}
	seedHistorySends(t, f, sends)
	flt := HistoryFilter{States: []SendState{StateFailed}} // the 65 even ids
	ctx := context.Background()
	p1, err := f.svc.HistoryPage(ctx, HistoryCursor{Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Sends) != 50 || p1.Sends[0].ID != 130 || p1.Sends[49].ID != 32 || p1.Older != 32 || p1.Newer != 0 {
		t.Fatalf("first page: %d sends %d..%d, older %d newer %d", len(p1.Sends), p1.Sends[0].ID, p1.Sends[len(p1.Sends)-1].ID, p1.Older, p1.Newer)
	}
	p2, err := f.svc.HistoryPage(ctx, HistoryCursor{Before: p1.Older, Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Sends) != 15 || p2.Sends[0].ID != 30 || p2.Sends[14].ID != 2 || p2.Older != 0 || p2.Newer != 30 {
		t.Fatalf("second page: %d sends, older %d newer %d", len(p2.Sends), p2.Older, p2.Newer)
	}
	for _, s := range append(p1.Sends, p2.Sends...) {
		if s.State != StateFailed {
			t.Fatalf("send %d (%s) under the failed filter", s.ID, s.State)
		}
	}
	back, err := f.svc.HistoryPage(ctx, HistoryCursor{After: p2.Newer, Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Sends) != 50 || back.Sends[0].ID != 130 || back.Newer != 0 || back.Older != 32 {
		t.Fatalf("newer from the second page: %d sends from %d, newer %d older %d", len(back.Sends), back.Sends[0].ID, back.Newer, back.Older)
	}
	// A middle page, reached from the oldest side, links both ways within the filter.
	mid, err := f.svc.HistoryPage(ctx, HistoryCursor{Before: 100, Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if mid.Sends[0].ID != 98 || mid.Newer != 98 || mid.Older != 0 {
		t.Fatalf("page before 100: from %d, newer %d older %d", mid.Sends[0].ID, mid.Newer, mid.Older)
	}
}

// searchText keeps the titles and authors once each, normalised, and bounded.
func TestSearchText(t *testing.T) {
	got := searchText("春季 ＳＡＬＥ", []ArticleInput{{Title: "春季 ＳＡＬＥ", Author: "小编"}, {Title: "Second  Piece", Author: "小编"}})
	if got != "春季 sale\n小编\nsecond piece" {
		t.Fatalf("searchText: %q", got)
	}
	long := searchText("", []ArticleInput{{Title: string(make([]rune, 0)) + strings.Repeat("长", 400)}})
	if len(long) > maxSearchText || !utf8.ValidString(long) {
		t.Fatalf("long title: %d bytes, valid %t", len(long), utf8.ValidString(long))
	}
}
