package handlers

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"qunfa/models"
	"qunfa/views/i18n"
)

// seedFilterSends writes five sends around Beijing day boundaries (00:00 Beijing = 16:00 UTC the
// day before), of each kind of audience, and the saved audience 1; times bound as Go times, as
// the app writes them.
func seedFilterSends(db *sql.DB) error {
	bj := func(d, h, m, s int) time.Time { return time.Date(2025, 3, d, h, m, s, 0, models.Beijing).UTC() }
	at := bj(1, 0, 0, 0)
	if _, err := db.Exec(`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, at, at); err != nil {
		return err
	}
	if _, err := db.Exec(`INSERT INTO audiences (id, name, kind, created_at, updated_at) VALUES (1, '老客户名单', 'list', ?, ?)`, at, at); err != nil {
		return err
	}
	for i, s := range []struct {
		title, search, state, target, audience, group string
		groupID, savedID                              int
		at                                            time.Time
		figures                                       bool
	}{
		{"春季上新", "春季上新\n小编", "finished", "all", "groups", "", 0, 0, bj(1, 0, 0, 0), true},
		{"Spring ＡＢＣ", "spring abc\nli", "finished", "group", "groups", "北京用户", 100, 0, bj(1, 23, 59, 59), true},
		{"夏季预告", "夏季预告\n小编", "failed", "group", "tags", "老客户", 100, 0, bj(2, 0, 0, 0), false},
		{"=年终盘点", "=年终盘点\n编辑部", "awaiting_approval", "openids", "groups", "", 0, 1, bj(2, 12, 0, 0), false},
		{"春季上新 第二期", "春季上新 第二期\n王五", "deleted", "openids", "groups", "", 0, 0, bj(3, 10, 0, 0), true},
	} {
		id := i + 1
		total, filter, sent, errs := 0, 0, 0, 0
		var finished any
		if s.figures {
			total, filter, sent, errs, finished = 100*id, 90*id, 80*id, 10*id, s.at
		}
		if _, err := db.Exec(`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, group_name, recipients,
			articles_json, state, created_at, finished_at, total_count, filter_count, sent_count, error_count, audience,
			audience_id, search_text) VALUES (?, ?, 1, ?, ?, ?, ?, 2, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, fmt.Sprint("k", id), s.title, s.target, s.groupID, s.group, s.state, s.at, finished, total, filter, sent, errs,
			s.audience, s.savedID, s.search); err != nil {
			return err
		}
		if _, err := db.Exec(`INSERT INTO send_batches (send_id, batch_index, client_msg_id, state, msg_id) VALUES (?, 0, ?, 'finished', ?)`,
			id, fmt.Sprint("c", id), 5000+id); err != nil {
			return err
		}
	}
	return nil
}

// shownIDs are the sends a history page lists, in order.
func shownIDs(t *testing.T, d *goquery.Document) []int {
	t.Helper()
	var ids []int
	d.Find(`tr[data-testid=send-row]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := strconv.Atoi(s.AttrOr("data-id", ""))
		ids = append(ids, id)
	})
	return ids
}

// Each filter, through the URL, lists exactly its sends; the form shows the filter back, and the
// downloads and the clear link carry or drop it.
func TestHistoryFilterPage(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedFilterSends})
	ta.setupAndLogin()
	for _, tt := range []struct {
		query string
		want  []int
	}{
		{"", []int{5, 4, 3, 2, 1}},
		{"state=finished", []int{2, 1}},
		{"state=approval", []int{4}},
		{"state=failed", []int{3}},
		{"state=deleted", []int{5}},
		{"state=sending", nil},
		{"audience=all", []int{1}},
		{"audience=group", []int{2}},
		{"audience=tag", []int{3}},
		{"audience=group:100", []int{2}},
		{"audience=tag:100", []int{3}},
		{"audience=openids", []int{5, 4}},
		{"audience=saved", []int{4}},
		{"audience=saved:1", []int{4}},
		{"from=2025-03-02", []int{5, 4, 3}},
		{"to=2025-03-01", []int{2, 1}},
		{"from=2025-03-01&to=2025-03-01", []int{2, 1}},
		{"from=2025-03-02&to=2025-03-02", []int{4, 3}},
		{"q=" + url.QueryEscape("春季"), []int{5, 1}},
		{"q=" + url.QueryEscape("小编"), []int{3, 1}},
		{"q=abc", []int{2}},
		{"q=" + url.QueryEscape("ＳＰＲＩＮＧ"), []int{2}},
		{"state=finished&audience=all&q=" + url.QueryEscape("春季"), []int{1}},
		{"audience=openids&from=2025-03-03", []int{5}},
		{"state=failed&q=" + url.QueryEscape("春季"), nil},
	} {
		r := ta.get("/sends?" + tt.query)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", tt.query, r.status)
			continue
		}
		d := r.doc(t)
		if got := shownIDs(t, d); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
		q, _ := url.ParseQuery(tt.query)
		if tt.want == nil && (tt.query != "" && !strings.Contains(d.Find(`[data-testid=history-empty]`).Text(), "没有符合筛选条件")) {
			t.Errorf("%s: empty page says %q", tt.query, d.Find(`[data-testid=history-empty]`).Text())
		}
		csvURL, _ := url.Parse(d.Find(`a[data-testid=history-csv]`).AttrOr("href", ""))
		xlsxURL, _ := url.Parse(d.Find(`a[data-testid=history-xlsx]`).AttrOr("href", ""))
		if csvURL.Path != "/sends.csv" || xlsxURL.Path != "/sends.xlsx" || csvURL.Query().Encode() != q.Encode() || xlsxURL.Query().Encode() != q.Encode() {
			t.Errorf("%s: downloads %q %q", tt.query, csvURL, xlsxURL)
		}
		if has := d.Find(`a[data-testid=history-clear]`).Length() == 1; has != (tt.query != "") {
			t.Errorf("%s: clear link shown %t", tt.query, has)
		}
		if v := q.Get("state"); v != "" && d.Find(`select[data-testid=history-state] option[selected]`).AttrOr("value", "") != v {
			t.Errorf("%s: state not shown back", tt.query)
		}
		if v := q.Get("audience"); v != "" && d.Find(`select[data-testid=history-audience] option[selected]`).AttrOr("value", "") != v {
			t.Errorf("%s: audience not shown back", tt.query)
		}
		if v := q.Get("q"); d.Find(`input[data-testid=history-q]`).AttrOr("value", "") != v {
			t.Errorf("%s: search not shown back", tt.query)
		}
	}
	// The choices: the groups and tags sends went to, and the saved audiences, by name.
	d := ta.get("/sends").doc(t)
	for value, label := range map[string]string{"group:100": "分组：北京用户", "tag:100": "标签：老客户", "saved:1": "老客户名单"} {
		if got := d.Find(`select[data-testid=history-audience] option[value="` + value + `"]`).Text(); got != label {
			t.Errorf("option %s: %q, want %q", value, got, label)
		}
	}
	for _, g := range models.HistoryStateGroups {
		if d.Find(`select[data-testid=history-state] option[value=`+g.Key+`]`).Length() != 1 {
			t.Errorf("no state option %s", g.Key)
		}
	}
}

// Every state group and the filter's words are in both languages.
func TestHistoryFilterWords(t *testing.T) {
	for _, g := range models.HistoryStateGroups {
		for _, lang := range []string{"zh", "en"} {
			if k := "history.state." + g.Key; i18n.T(lang, k) == k {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
	if i18n.T("en", "history.state.approval") == i18n.T("zh", "history.state.approval") {
		t.Error("the English state words are the Chinese ones")
	}
}

// A filter survives paging: the older and newer links keep it, and every page holds only its
// sends, each once.
func TestHistoryFilterSurvivesPaging(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: func(db *sql.DB) error {
		if err := seedSends(130, 1)(db); err != nil {
			return err
		}
		_, err := db.Exec(`UPDATE sends SET state = 'failed' WHERE id % 2 = 0`)
		return err
	}})
	ta.setupAndLogin()
	first := ta.get("/sends?state=failed").doc(t)
	ids := shownIDs(t, first)
	older := first.Find(`a[data-testid=history-older]`).AttrOr("href", "")
	if len(ids) != 50 || ids[0] != 130 || older != "/sends?before=32&state=failed" {
		t.Fatalf("first page: %d from %v, older %q", len(ids), ids[:1], older)
	}
	second := ta.get(older).doc(t)
	ids2 := shownIDs(t, second)
	newer := second.Find(`a[data-testid=history-newer]`).AttrOr("href", "")
	if len(ids2) != 15 || ids2[0] != 30 || ids2[14] != 2 || newer != "/sends?after=30&state=failed" ||
		second.Find(`a[data-testid=history-older]`).Length() != 0 {
		t.Fatalf("second page: %v, newer %q", ids2, newer)
	}
	for _, id := range append(ids, ids2...) {
		if id%2 != 0 {
			t.Fatalf("send %d is not failed", id)
		}
	}
	if back := shownIDs(t, ta.get(newer).doc(t)); !slices.Equal(back, ids) {
		t.Fatalf("newer from the second page: %v", back)
	}
	// The form on a later page still holds the filter, and applying it starts from the newest.
	if v := second.Find(`select[data-testid=history-state] option[selected]`).AttrOr("value", ""); v != "failed" {
		t.Fatalf("second page's form: state %q", v)
	}
}

// A filter that does not parse is answered 400 with the page, the error beside its field in the
// page's language and the value as typed; never a 500, never an unfiltered list.
func TestHistoryFilterBadInputs(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedFilterSends})
	ta.setupAndLogin()
	cases := []struct {
		query, field, zh, en string
	}{
		{"from=2025-13-01", "from", "日期格式应为", "Dates are year-month-day"},
		{"to=yesterday", "to", "日期格式应为", "Dates are year-month-day"},
		{"from=2025-03-05&to=2025-03-01", "to", "开始日期不能晚于结束日期", "cannot be after"},
		{"state=sent", "state", "没有这个状态", "no such state"},
		{"audience=group:abc", "audience", "没有这个接收人类型", "no such kind of recipients"},
		{"audience=everyone", "audience", "没有这个接收人类型", "no such kind of recipients"},
		{"audience=saved:-1", "audience", "没有这个接收人类型", "no such kind of recipients"},
		{"q=" + strings.Repeat("长", 101), "q", "搜索内容过长", "too long"},
	}
	check := func(lang string) {
		for _, c := range cases {
			for _, path := range []string{"/sends?", "/sends.csv?", "/sends.xlsx?"} {
				r := ta.get(path + c.query)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s%s: %d, want 400", path, c.query, r.status)
					continue
				}
				d := r.doc(t)
				msg := d.Find(`[data-testid=field-error][data-field=` + c.field + `]`).Text()
				want := c.zh
				if lang == "en" {
					want = c.en
				}
				if !strings.Contains(msg, want) {
					t.Errorf("%s %s%s: error %q, want %q", lang, path, c.query, msg, want)
				}
				if n := d.Find(`tr[data-testid=send-row]`).Length(); n != 0 {
					t.Errorf("%s: %d sends listed under a bad filter", c.query, n)
				}
				if d.Find(`a[data-testid=history-csv]`).Length() != 0 {
					t.Errorf("%s: downloads offered under a bad filter", c.query)
				}
			}
		}
	}
	check("zh")
	tok := ta.csrf("/sends")
	ta.post("/lang", url.Values{"csrf_token": {tok}, "lang": {"en"}, "next": {"/sends"}})
	check("en")
	// The date typed is shown back as typed.
	if v := ta.get("/sends?from=2025-13-01").doc(t).Find(`input[data-testid=history-from]`).AttrOr("value", ""); v != "2025-13-01" {
		t.Errorf("from shown back as %q", v)
	}
}

// The CSV: a byte-order mark, the page's columns, Beijing times, the filter applied, figures only
// where the page shows them, and a cell that would be a formula quoted.
func TestHistoryCSV(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedFilterSends})
	ta.setupAndLogin()
	r := ta.get("/sends.csv?from=2025-03-01&to=2025-03-02")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.header.Get("Content-Disposition"), `attachment; filename="qunfa-history-`) {
		t.Fatalf("CSV: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(r.body, "\uFEFF") {
		t.Fatal("no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"ID", "标题", "接收人", "状态", "msg_id", "创建时间（北京时间）", "粉丝总数", "过滤后", "发送成功", "发送失败"},
		{"4", "'=年终盘点", "OpenID 列表（2 个）", "待审批", "5004", "2025-03-02 12:00:00", "", "", "", ""},
		{"3", "夏季预告", "标签：老客户", "失败", "5003", "2025-03-02 00:00:00", "", "", "", ""},
		{"2", "Spring ＡＢＣ", "分组：北京用户", "已完成", "5002", "2025-03-01 23:59:59", "200", "180", "160", "20"},
		{"1", "春季上新", "全部粉丝", "已完成", "5001", "2025-03-01 00:00:00", "100", "90", "80", "10"},
	}
	if len(recs) != len(want) {
		t.Fatalf("CSV has %d records:\n%q", len(recs), recs)
	}
	for i := range want {
		if !slices.Equal(recs[i], want[i]) {
			t.Errorf("record %d: %q\nwant        %q", i, recs[i], want[i])
		}
	}
}

// The XLSX holds the same rows as the page (the page's order and words), figures as numbers.
func TestHistoryXLSX(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedFilterSends})
	ta.setupAndLogin()
	page := ta.get("/sends?state=finished").doc(t)
	r := ta.get("/sends.xlsx?state=finished")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("XLSX: %d %q", r.status, r.header.Get("Content-Type"))
	}
	book, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	sheet := book.GetSheetName(0)
	rows, err := book.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var pageRows [][]string
	page.Find(`tr[data-testid=send-row]`).Each(func(_ int, s *goquery.Selection) {
		var row []string
		row = append(row, s.AttrOr("data-id", ""))
		s.Find("td").Each(func(_ int, td *goquery.Selection) { row = append(row, strings.TrimSpace(td.Text())) })
		pageRows = append(pageRows, row)
	})
	if sheet != "发送记录" || len(rows) != 1+len(pageRows) || len(pageRows) != 2 {
		t.Fatalf("sheet %q: %d rows for %d on the page:\n%q", sheet, len(rows), len(pageRows), rows)
	}
	for i, pr := range pageRows {
		if !slices.Equal(rows[i+1], pr) {
			t.Errorf("row %d: %q\npage:  %q", i+1, rows[i+1], pr)
		}
	}
	if typ, _ := book.GetCellType(sheet, "G2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("figure cell type %v", typ)
	}
	if v, _ := book.GetCellValue(sheet, "G2", excelize.Options{RawCellValue: true}); v != "200" {
		t.Errorf("G2 = %q", v)
	}
}

// Downloads of more sends than one chunk hold every send once, newest first, the page's first
// rows first.
func TestHistoryDownloadsEverySend(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedSends(1203, 1)})
	ta.setupAndLogin()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(ta.get("/sends.csv").body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1204 {
		t.Fatalf("%d records", len(recs))
	}
	for i, rec := range recs[1:] {
		if rec[0] != strconv.Itoa(1203-i) {
			t.Fatalf("record %d is send %s", i+1, rec[0])
		}
	}
	book, err := excelize.OpenReader(strings.NewReader(ta.get("/sends.xlsx").body))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, _ := book.GetRows(book.GetSheetName(0))
	if len(rows) != 1204 || rows[1][0] != "1203" || rows[1203][0] != "1" {
		t.Fatalf("XLSX: %d rows", len(rows))
	}
}
