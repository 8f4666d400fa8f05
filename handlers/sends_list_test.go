package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"qunfa/views/i18n"
)

// The history pages by 50, newest first: following "older" from the first page and "newer" back
// up meets every send once, and the ends offer no link beyond them.
func TestHistoryPages(t *testing.T) {
	const n = 120
	ta := newTestAppWith(t, appOptions{seed: seedSends(n, 2)})
	ta.setupAndLogin()
	type pageIDs struct {
		ids          []int
		older, newer string
	}
	load := func(path string) pageIDs {
		r := ta.get(path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		d := r.doc(t)
		var p pageIDs
		d.Find(`tr[data-testid=send-row]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := strconv.Atoi(s.AttrOr("data-id", ""))
			p.ids = append(p.ids, id)
			if s.Find("code").Text() != fmt.Sprintf("%d, %d", 1000000+id, 2000000+id) {
				t.Errorf("send %d shows msg_ids %q", id, s.Find("code").Text())
			}
		})
		p.older = d.Find(`a[data-testid=history-older]`).AttrOr("href", "")
		p.newer = d.Find(`a[data-testid=history-newer]`).AttrOr("href", "")
		return p
	}
	first := load("/sends")
	if len(first.ids) != 50 || first.ids[0] != n || first.newer != "" || first.older != "/sends?before=71" {
		t.Fatalf("first page: %d sends from %v, older %q newer %q", len(first.ids), first.ids[:1], first.older, first.newer)
	}
	seen := map[int]bool{}
	var pages []pageIDs
	for p := first; ; {
		pages = append(pages, p)
		for i, id := range p.ids {
			if seen[id] {
				t.Fatalf("send %d on two pages", id)
			}
			seen[id] = true
			if i > 0 && id >= p.ids[i-1] {
				t.Fatalf("page not newest first: %v", p.ids)
			}
		}
		if p.older == "" {
			break
		}
		p = load(p.older)
	}
	if len(seen) != n || len(pages) != 3 {
		t.Fatalf("%d sends on %d pages, want %d on 3", len(seen), len(pages), n)
	}
	last := pages[2]
	if last.newer == "" || last.ids[len(last.ids)-1] != 1 {
		t.Fatalf("last page: %v newer %q", last.ids, last.newer)
	}
	back := load(last.newer)
	if fmt.Sprint(back.ids) != fmt.Sprint(pages[1].ids) || back.older != pages[1].older {
		t.Fatalf("newer from the last page: %v, want %v", back.ids, pages[1].ids)
	}
	if top := load(back.newer); fmt.Sprint(top.ids) != fmt.Sprint(first.ids) || top.newer != "" {
		t.Fatalf("newer twice: %v (newer %q), want the first page", top.ids, top.newer)
	}
	if got := ta.get("/sends").doc(t).Find(`a[data-testid=history-older]`).Text(); got != i18n.T("zh", "sends.older") {
		t.Errorf("older link %q", got)
	}
	// A cursor that is not a send id names no page.
	for _, q := range []string{"before=abc", "before=0", "before=-3", "after=", "before=1&after=2", "before=99999999999"} {
		if r := ta.get("/sends?" + q); r.status != http.StatusNotFound {
			t.Errorf("/sends?%s: %d, want 404", q, r.status)
		}
	}
	// Past the oldest send: an empty page that links back.
	if p := load("/sends?before=1"); len(p.ids) != 0 || p.older != "" || p.newer != "/sends?after=0" && p.newer != "" {
		t.Errorf("before=1: %v older %q newer %q", p.ids, p.older, p.newer)
	}
}

// A short history has no pager at all.
func TestHistoryShortHasNoPager(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedSends(3, 1)})
	ta.setupAndLogin()
	d := ta.get("/sends").doc(t)
	if d.Find(`tr[data-testid=send-row]`).Length() != 3 || d.Find(`[data-testid=history-pager]`).Length() != 0 {
		t.Fatal("three sends: want three rows and no pager")
	}
}
