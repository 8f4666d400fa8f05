package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"image/color"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestBrowserAudienceImportXLSX (issue 7 point 5): with followers put straight into the app's
// database (subscribed and unsubscribed), an operator uploads an XLSX whose OpenID column has
// good, invalid, duplicate, unknown and unsubscribed lines, sees the report with the count and
// the lines of each, then picks the audience on a draft's send form and reaches the
// confirmation page of an OpenID list with the right count: the good and the unknown ones
// (perhaps not synced yet), not those who have unsubscribed.
func TestBrowserAudienceImportXLSX(t *testing.T) {
	browser := findBrowser(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "qunfa.db")
	base := startApp(t, map[string]string{"QUNFA_DB": dbPath})
	ctx := newBrowser(t, browser)
	do(t, ctx, "setup",
		chromedp.Navigate(base+"/setup"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=setup-submit]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse"),
		clickLoad(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`nav`)),
	)

	// Followers, written while the app runs (SQLite WAL lets both at once).
	good := make([]string, 6)
	for i := range good {
		good[i] = fmt.Sprintf("oGoodFollower%015d", i)
	}
	left := []string{"oLeftFollower000000000000001", "oLeftFollower000000000000002"}
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	for i, ids := range [][]string{good, left} {
		for _, id := range ids {
			if _, err := db.Exec(`INSERT INTO followers (open_id, subscribed, updated_at) VALUES (?, ?, '2026-01-01 00:00:00+00:00')`, id, i == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()

	// The spreadsheet: names in A, the OpenID column headed in B.
	rows := [][]any{{"姓名", "OpenID"}}
	add := func(name, id string) { rows = append(rows, []any{name, id}) }
	for i, id := range good {
		add(fmt.Sprintf("客户%d", i+1), id) // rows 2..7
	}
	add("格式错", "not an openid!")              // row 8: invalid
	add("重复", good[0])                        // row 9: duplicate
	add("未知", "oUnknownPerson00000000000001") // row 10: unknown
	add("退订", left[0])                        // row 11: unsubscribed
	add("未知", "oUnknownPerson00000000000002") // row 12
	add("重复", good[3])                        // row 13: duplicate
	add("退订", left[1])                        // row 14
	add("格式错", "https://mp.weixin.qq.com/x")  // row 15: invalid
	add("未知", "oUnknownPerson00000000000003") // row 16
	x := excelize.NewFile()
	for i, r := range rows {
		if err := x.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	xlsx := filepath.Join(dir, "老客户名单.xlsx")
	if err := x.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}

	do(t, ctx, "import",
		chromedp.Navigate(base+"/drafts"),
		clickLoad(`[data-testid=nav-audiences]`),
		clickLoad(`[data-testid=new-audience]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-form]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=import-name]`), "老客户"),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{xlsx}),
		clickLoad(`[data-testid=import-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audience-report]`)),
	)
	shot(t, ctx, "audience-report")
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(Array.from(
		document.querySelectorAll('[data-testid=report-count]'), li => [li.dataset.reason, li.textContent.trim()]))`))
	if err != nil {
		t.Fatal(err)
	}
	for reason, want := range map[string]string{"openid.invalid": "格式不正确：2 行", "openid.duplicate": "重复：2 行",
		"openid.unknown": "不在粉丝表中：3 行", "openid.unsubscribed": "已取消关注：2 行"} {
		if !strings.HasPrefix(counts[reason], want) {
			t.Errorf("report %s: %q, want %q", reason, counts[reason], want)
		}
	}
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(Array.from(
		document.querySelectorAll('[data-testid=report-table]'), tb => [tb.dataset.reason,
			Array.from(tb.querySelectorAll('[data-testid=report-line]'), tr => tr.cells[0].textContent.trim()).join(',')]))`))
	if err != nil {
		t.Fatal(err)
	}
	for reason, want := range map[string]string{"openid.invalid": "8,15", "openid.duplicate": "9,13",
		"openid.unknown": "10,12,16", "openid.unsubscribed": "11,14"} {
		if lines[reason] != want {
			t.Errorf("report %s lines %q, want %q", reason, lines[reason], want)
		}
	}
	if got, _ := text(ctx, `[data-testid=audience-members]`); got != "11" {
		t.Errorf("members %q, want 11 (6 good, 3 unknown, 2 unsubscribed)", got)
	}
	if got, _ := text(ctx, `[data-testid=audience-count]`); got != "9" {
		t.Errorf("count now %q, want 9", got)
	}

	// A draft, then its send form: the saved audience, on to the confirmation.
	thumb := writeJPEG(t, dir, "cover.jpg", color.RGBA{40, 160, 90, 255})
	do(t, ctx, "draft",
		chromedp.Navigate(base+"/drafts/new"),
		fillArticle(0, "老客户回馈", "运营", "感谢一路相伴", thumb),
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=target-audience]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=target-audience]`)),
	)
	opt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=audience-select]').selectedOptions[0].textContent.trim()`))
	if opt != "老客户（名单，11 个 OpenID）" {
		t.Errorf("send form option %q", opt)
	}
	shot(t, ctx, "audience-send-form")
	do(t, ctx, "confirm",
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-send]`)),
	)
	shot(t, ctx, "audience-confirm")
	if got, _ := text(ctx, `[data-testid=plan-recipients]`); got != "9" {
		t.Fatalf("confirmation: %q recipients, want 9", got)
	}
	target, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('form input[name=target]').value + ' ' + !!document.querySelector('input[name=list_id]').value`))
	if err != nil || target != "openids true" {
		t.Fatalf("confirmation form: %q %v, want an OpenID list kept on the server", target, err)
	}
}

// seedAudiences saves, for TestLayout, an imported list with a report of many lines (long
// invalid values, duplicates, OpenIDs not in the followers table) and a saved filter, through
// the app's forms; it returns their ids.
func seedAudiences(c *seedClient, ids []string) (list, filter uint) {
	c.t.Helper()
	var lines []string
	for i := range 150 {
		lines = append(lines, ids[i])
		lines = append(lines, fmt.Sprintf("https://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&mid=2650%06d&idx=1&sn=not-an-openid", i))
		if i < 120 {
			lines = append(lines, ids[i])
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", "2026 春季活动报名用户（含往届会员与线下门店登记名单）")
	fw, _ := mw.CreateFormFile("file", "报名名单.csv")
	fw.Write([]byte("\uFEFF姓名,openid\r\n"))
	for i, l := range lines {
		fmt.Fprintf(fw, "用户%d,%s\r\n", i, l)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/audiences", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.token)
	res, out := c.do(req)
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("seed: audience import answered %d %.500s", res.StatusCode, out)
	}
	list = idFrom(c.t, res.Header.Get("Location"))
	res = c.post("/audiences/filter", url.Values{"name": {"北京用户·本月未满 4 条"}, "group_id": {"100"},
		"from": {"2025-01-01"}, "to": {"2026-06-30"}, "received_below": {"4"}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("seed: audience filter answered %d", res.StatusCode)
	}
	return list, idFrom(c.t, res.Header.Get("Location"))
}

func idFrom(t *testing.T, location string) uint {
	t.Helper()
	n, err := strconv.ParseUint(filepath.Base(location), 10, 32)
	if err != nil {
		t.Fatalf("seed: redirected to %q", location)
	}
	return uint(n)
}
