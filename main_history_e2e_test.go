package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"qunfa/models"
)

// seedHistoryDB writes 130 sends, newest last: odd ones finished, even ones failed; every third
// titled 春季上新 (the others 夏季预告); one a day back from 2025-06-30 (Beijing).
func seedHistoryDB(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, models.Beijing).UTC()
	if _, err := db.Exec(`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, at, at); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 130; i++ {
		state, title := "finished", "夏季预告 第"+fmt.Sprint(i)+"期"
		if i%2 == 0 {
			state = "failed"
		}
		if i%3 == 0 {
			title = "春季上新 第" + fmt.Sprint(i) + "期"
		}
		created := at.AddDate(0, 0, i)
		if _, err := db.Exec(`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, group_name, articles_json,
			state, created_at, finished_at, total_count, filter_count, sent_count, error_count, search_text)
			VALUES (?, ?, 1, ?, 'group', 100, '北京用户', '[]', ?, ?, ?, 10, 9, 8, 1, ?)`,
			i, fmt.Sprint("k", i), title, state, created, created, strings.ToLower(title)+"\n运营"); err != nil {
			t.Fatal(err)
		}
	}
}

// The history in the browser: search and filter through the form, page older and come back
// (the filter kept in the URL, the back button restoring the page), download the CSV and the
// XLSX of the same filter, a bad date answered beside its field; at 390, 768 and 1280 px the
// filter bar fits the screen.
func TestBrowserHistoryFilters(t *testing.T) {
	browser := findBrowser(t)
	path := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateOperator(context.Background(), "admin", "password-admin"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	seedHistoryDB(t, path)
	base := startApp(t, map[string]string{"QUNFA_DB": path})
	ctx := newBrowser(t, browser)

	do(t, ctx, "filter",
		logIn(base, "admin", "password-admin"),
		chromedp.Navigate(base+"/sends"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=history-filter]`)),
		chromedp.SendKeys(chromedp.CSS(`input[data-testid=history-q]`), "春季"),
		chromedp.SetValue(chromedp.CSS(`select[data-testid=history-state]`), "failed"),
		clickLoad(`[data-testid=history-apply]`),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid=send-row]`)),
	)
	shot(t, ctx, "history-filtered")
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	u, _ := url.Parse(loc)
	if u.Query().Get("q") != "春季" || u.Query().Get("state") != "failed" {
		t.Fatalf("the filter is not in the URL: %s", loc)
	}
	// Sends 6, 12, …, 126 (failed, 春季): 21 of them, on one page.
	titles := rowTitles(t, ctx)
	if len(titles) != 21 || titles[0] != "春季上新 第126期" || titles[20] != "春季上新 第6期" {
		t.Fatalf("filtered rows: %d %q", len(titles), titles)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=history-older]').length`)); n != 0 {
		t.Fatal("an older page under a filter that fits one")
	}

	// Only the state: 65 failed sends, two pages; the second keeps the filter, back returns.
	do(t, ctx, "state only",
		evalVoid(`document.querySelector('input[data-testid=history-q]').value = ''`),
		clickLoad(`[data-testid=history-apply]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=history-older]`)),
		clickLoad(`[data-testid=history-older]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=history-newer]`)),
	)
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if u, _ := url.Parse(loc); u.Query().Get("state") != "failed" || u.Query().Get("before") == "" {
		t.Fatalf("older page URL %s", loc)
	}
	if second := rowTitles(t, ctx); len(second) != 15 {
		t.Fatalf("second page: %d rows", len(second))
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`select[data-testid=history-state]`))); v != "failed" {
		t.Fatalf("the second page's form: state %q", v)
	}
	// Newer leads back to the first page of the filter. (The back button is not driven here:
	// chromedp loses the document Chrome restores from its back-forward cache; the URL holds
	// the whole filter, so going back is loading that URL again.)
	do(t, ctx, "newer", clickLoad(`[data-testid=history-newer]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=history-older]`)))
	if first := rowTitles(t, ctx); len(first) != 50 || first[0] != "夏季预告 第130期" {
		t.Fatalf("newer: %d rows from %q", len(first), first[:1])
	}

	// The downloads of this filter: the link's own URL, fetched by the page.
	csvText, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid=history-csv]').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	// fetch's text() drops a byte-order mark: the bytes say whether there is one.
	bom, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`fetch(document.querySelector('[data-testid=history-csv]').href).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b).slice(0, 3)))`,
		chromedp.EvalAwaitPromise))
	if err != nil || fmt.Sprint(bom) != "[239 187 191]" {
		t.Fatalf("CSV starts with %v (%v), not a UTF-8 byte-order mark", bom, err)
	}
	lines := strings.Split(strings.TrimSpace(csvText), "\n")
	if len(lines) != 66 || !strings.HasPrefix(lines[1], "130,夏季预告 第130期,") ||
		!strings.Contains(lines[1], ",2025-05-11 10:00:00,") {
		t.Fatalf("CSV: %d lines, first %q", len(lines), lines[:2])
	}
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid=history-xlsx]').href).then(r => r.arrayBuffer()).then(b => {
		let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s) })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(b64)
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := book.GetRows(book.GetSheetName(0))
	book.Close()
	if len(rows) != 66 || rows[1][1] != "夏季预告 第130期" || rows[1][0] != "130" {
		t.Fatalf("XLSX: %d rows, first %q", len(rows), rows[1])
	}

	// A bad date: said beside the field, no list, no download.
	do(t, ctx, "bad date",
		chromedp.Navigate(base+"/sends?from=2025-02-30"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=field-error][data-field=from]`)),
	)
	if s, _ := text(ctx, `[data-testid=field-error][data-field=from]`); !strings.Contains(s, "日期格式应为") {
		t.Fatalf("bad date error %q", s)
	}
	shot(t, ctx, "history-bad-date")

	// The filter bar fits a phone, a tablet and a desktop: nothing scrolls sideways.
	for _, w := range []int64{390, 768, 1280} {
		do(t, ctx, fmt.Sprint("width ", w),
			chromedp.EmulateViewport(w, 900),
			chromedp.Navigate(base+"/sends?state=failed&q="+url.QueryEscape("春季")),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid=history-filter]`)),
		)
		sw, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth - innerWidth`))
		if err != nil || sw > 0 {
			t.Fatalf("at %d px the page scrolls sideways by %d px (%v)", w, sw, err)
		}
		shot(t, ctx, fmt.Sprint("history-", w))
	}
}

// rowTitles are the titles of the history's rows, in order.
func rowTitles(t *testing.T, ctx context.Context) []string {
	t.Helper()
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr[data-testid=send-row] .title-cell')].map(e => e.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	return titles
}
