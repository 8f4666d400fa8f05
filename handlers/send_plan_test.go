package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
)

// openDB opens the test app's database beside it (WAL: the app keeps running).
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func batchOpenIDs(t *testing.T, db *sql.DB, sendID int) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COALESCE(SUM(open_id_count), 0) FROM send_batches WHERE send_id = ?`, sendID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The confirmation of an OpenID list leaves out the followers already at the monthly cap by
// default and says so; unticking the box plans again for the whole list, and each send goes
// to the list the page showed.
func TestConfirmLeavesOutCappedFollowers(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path})
	ta.setupAndLogin()
	db := openDB(t, path)
	ids := openIDs(5, 0)
	month := ta.now.In(models.Beijing).Format("2006-01")
	for _, id := range ids[:2] {
		exec(t, db, `INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, 4)`, month, id)
	}
	draft, fields := ta.sendFormFields("上限")
	fields.Set("target", "openids")
	fields.Set("openids", strings.Join(ids, "\n"))
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	doc := c.doc(t)
	if c.status != http.StatusOK || doc.Find(`[data-testid=plan-recipients]`).Text() != "3" {
		t.Fatalf("confirm: %d, recipients %q", c.status, doc.Find(`[data-testid=plan-recipients]`).Text())
	}
	if got := doc.Find(`[data-testid=plan-left-out]`).Text(); got != i18n.T("zh", "confirm.left_out", 2, 4) {
		t.Errorf("left-out line %q", got)
	}
	if _, on := doc.Find(`[data-testid=leave-out-capped]`).Attr("checked"); !on {
		t.Error("leaving out is not ticked by default")
	}
	sendForm := func(d *goquery.Document) url.Values {
		v := url.Values{}
		d.Find(`form[action$="/send"] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
			n, _ := s.Attr("name")
			val, _ := s.Attr("value")
			v.Set(n, val)
		})
		return v
	}
	first := sendForm(doc)

	// Untick: the plan for the whole list.
	replan := url.Values{}
	doc.Find(`[data-testid=plan-capped-form] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("name")
		val, _ := s.Attr("value")
		replan.Set(n, val)
	})
	all := ta.post("/drafts/"+draft+"/send/confirm", replan).doc(t)
	if got := all.Find(`[data-testid=plan-recipients]`).Text(); got != "5" {
		t.Fatalf("unticked: recipients %q, want 5", got)
	}
	if all.Find(`[data-testid=plan-over-cap]`).Length() != 1 || all.Find(`[data-testid=plan-left-out]`).Length() != 0 {
		t.Error("unticked: want the at-cap warning, not the left-out line")
	}
	if _, on := all.Find(`[data-testid=leave-out-capped]`).Attr("checked"); on {
		t.Error("unticked box shown ticked")
	}
	whole := sendForm(all)
	if whole.Get("include_capped") != "1" {
		t.Fatalf("the send form does not carry the choice: %v", whole)
	}

	for _, tc := range []struct {
		form url.Values
		want int
	}{{first, 3}, {whole, 5}} {
		r := ta.post("/drafts/"+draft+"/send", tc.form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("send: %d\n%.1000s", r.status, r.body)
		}
		id, _ := strconv.Atoi(strings.TrimPrefix(r.location, "/sends/"))
		if got := batchOpenIDs(t, db, id); got != tc.want {
			t.Errorf("send %d goes to %d OpenIDs, want %d", id, got, tc.want)
		}
	}
}

// A finished send's page counts the followers who subscribed after it; its catch-up action
// plans and sends to them as a send of its own, and the two pages link to each other.
func TestCatchUpAction(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path, rules: models.Rules{DailyQuota: 100}})
	ta.setupAndLogin()
	db := openDB(t, path)
	exec(t, db, `INSERT INTO followers (open_id, subscribed, subscribed_at, group_id, updated_at) VALUES ('oOLDfollower01', 1, ?, 100, ?)`,
		ta.now.Add(-time.Hour).UTC(), ta.now.UTC())
	draft := ta.createDraft("补发")
	sendPath := ta.startGroupSend(draft)
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseUint(strings.TrimPrefix(sendPath, "/sends/"), 10, 32)
	s, _ := ta.svc.Send(context.Background(), uint(id))
	// Not finished yet: no catch-up offered.
	if page := ta.get(sendPath).doc(t); page.Find(`[data-testid=catch-up-action]`).Length() != 0 {
		t.Fatal("catch-up offered before the send finished")
	}
	ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgIDs(s)[0], Status: "send success", TotalCount: 1, SentCount: 1}
	if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
		t.Fatalf("callback: %d", r.status)
	}
	exec(t, db, `INSERT INTO followers (open_id, subscribed, subscribed_at, updated_at) VALUES ('oNEWfollower01', 1, ?, ?)`,
		ta.now.Add(time.Hour).UTC(), ta.now.UTC())
	page := ta.get(sendPath).doc(t)
	if got, _ := page.Find(`[data-testid=catch-up-count]`).Attr("data-count"); got != "1" {
		t.Fatalf("catch-up count %q, want 1", got)
	}
	if page.Find(`[data-testid=catch-up-action]`).Length() != 0 || page.Find(`[data-testid=catch-up-one]`).Length() != 1 {
		t.Fatal("one follower: want the reason, not the action")
	}
	exec(t, db, `INSERT INTO followers (open_id, subscribed, subscribed_at, updated_at) VALUES ('oNEWfollower02', 1, ?, ?)`,
		ta.now.Add(2*time.Hour).UTC(), ta.now.UTC())
	page = ta.get(sendPath).doc(t)
	href, ok := page.Find(`[data-testid=catch-up-action]`).Attr("href")
	if !ok || href != sendPath+"/catchup" {
		t.Fatalf("catch-up action %q", href)
	}
	conf := ta.get(href)
	cdoc := conf.doc(t)
	if conf.status != http.StatusOK || cdoc.Find(`[data-testid=plan-recipients]`).Text() != "2" || cdoc.Find(`[data-testid=plan-quota]`).Length() != 1 {
		t.Fatalf("catch-up confirmation: %d\n%.2000s", conf.status, conf.body)
	}
	key, _ := cdoc.Find(`input[name=key]`).Attr("value")
	tok, _ := cdoc.Find(`input[name=csrf_token]`).Attr("value")
	r := ta.post(href, url.Values{"csrf_token": {tok}, "key": {key}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") || r.location == sendPath {
		t.Fatalf("catch-up: %d %q\n%.1000s", r.status, r.location, r.body)
	}
	if again := ta.post(href, url.Values{"csrf_token": {tok}, "key": {key}}); again.location != r.location {
		t.Fatalf("double click: %q, first %q", again.location, r.location)
	}
	newID, _ := strconv.Atoi(strings.TrimPrefix(r.location, "/sends/"))
	if got := batchOpenIDs(t, db, newID); got != 2 {
		t.Fatalf("catch-up goes to %d OpenIDs, want 2", got)
	}
	back := ta.get(r.location).doc(t)
	if h, _ := back.Find(`[data-testid=catch-up-of] a`).Attr("href"); h != sendPath {
		t.Errorf("catch-up page links to %q, want %q", h, sendPath)
	}
	orig := ta.get(sendPath).doc(t)
	if h, _ := orig.Find(`[data-testid=catch-up-send]`).Attr("href"); h != r.location {
		t.Errorf("first send links to %q, want %q", h, r.location)
	}
	if orig.Find(`[data-testid=catch-up-underway]`).Length() != 1 || orig.Find(`[data-testid=catch-up-action]`).Length() != 0 {
		t.Error("while the catch-up is queued: want it named as underway, without a second action")
	}
	// A catch-up's confirmation for a send that cannot have one says why, with no send button.
	bad := ta.get(fmt.Sprintf("/sends/%d/catchup", newID)).doc(t)
	if bad.Find(`[data-testid=catch-up-error]`).Text() != i18n.T("zh", "err.catch_up_not_possible") {
		t.Errorf("catch-up of a catch-up: %q", bad.Find(`[data-testid=catch-up-error]`).Text())
	}
	if _, dis := bad.Find(`[data-testid=confirm-catch-up]`).Attr("disabled"); !dis {
		t.Error("send button enabled for an impossible catch-up")
	}
}
