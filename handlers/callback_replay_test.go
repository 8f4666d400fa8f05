package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunfa/wechat"
)

// postSealed posts body sealed (plaintext mode) under the given timestamp and nonce.
func (ta *testApp) postSealed(body []byte, ts time.Time, nonce string) response {
	ta.t.Helper()
	q, sealed, err := ta.codec.Seal(body, strconv.FormatInt(ts.Unix(), 10), nonce, false)
	if err != nil {
		ta.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, ta.srv.URL+callbackPath+"?"+q.Encode(), strings.NewReader(string(sealed)))
	req.Header.Set("Content-Type", "text/xml")
	return ta.do(http.DefaultClient, req)
}

// A (timestamp, nonce) pair carries one body: the same pair with another body is refused and
// nothing of it is stored — the forged MASSSENDJOBFINISH of the issue no longer gets in ahead of
// (or behind) the genuine one under a captured URL. The very same request again is WeChat's
// retry: "success", handled once.
func TestCallbackReplayedPairRefused(t *testing.T) {
	ta := newTestApp(t)
	ctx := context.Background()
	genuine := jobPush(ta, 4242, 97).XML()
	forged := jobPush(ta, 4242, 3).XML()
	other := jobPush(ta, 4343, 97).XML()

	if r := ta.postSealed(genuine, ta.now, "77001"); r.status != http.StatusOK || r.body != "success" {
		t.Fatalf("first delivery: %d %q", r.status, r.body)
	}
	for _, body := range [][]byte{forged, other} {
		if r := ta.postSealed(body, ta.now, "77001"); r.status != http.StatusForbidden {
			t.Fatalf("another body under a used pair: %d %q, want 403", r.status, r.body)
		}
	}
	if r := ta.postSealed(genuine, ta.now, "77001"); r.status != http.StatusOK || r.body != "success" {
		t.Fatalf("WeChat's retry (same request): %d %q", r.status, r.body)
	}
	stored, seen, err := ta.svc.JobFinishedRecorded(ctx, 4242)
	if err != nil || !seen || stored.Sent != 97 {
		t.Fatalf("recorded %+v %v %v, want the genuine figures", stored, seen, err)
	}
	if _, seen, _ := ta.svc.JobFinishedRecorded(ctx, 4343); seen {
		t.Fatal("a body replayed under a used pair was stored")
	}
	if n, _ := ta.store.CountEvents(ctx, disputedEvent); n != 0 {
		t.Fatalf("the refused forgery was kept as disputed (%d)", n)
	}
	// The same timestamp with a fresh nonce is another push.
	if r := ta.postSealed(other, ta.now, "77002"); r.status != http.StatusOK {
		t.Fatalf("fresh nonce: %d", r.status)
	}
	if _, seen, _ := ta.svc.JobFinishedRecorded(ctx, 4343); !seen {
		t.Fatal("a push under a fresh nonce was not stored")
	}
}

// The table of pairs forgets a pair once its timestamp has left the window (the timestamp check
// refuses it from then on), and a pair whose handling failed is forgotten at once so that
// WeChat's retry of it is handled.
func TestReplayGuardPrunesAndReleases(t *testing.T) {
	g := newReplayGuard(5 * time.Minute)
	now := time.Unix(1_700_000_000, 0)
	for i := range 1000 {
		if v := g.claim(now, now.Unix(), strconv.Itoa(i), []byte("a")); v != replayNew {
			t.Fatalf("claim %d: %v", i, v)
		}
		g.settle(now.Unix(), strconv.Itoa(i), true)
	}
	if v := g.claim(now, now.Unix(), "5", []byte("a")); v != replayRetry {
		t.Fatalf("same pair, same body: %v, want retry", v)
	}
	if v := g.claim(now, now.Unix(), "5", []byte("b")); v != replayDifferent {
		t.Fatalf("same pair, other body: %v, want different", v)
	}
	if v := g.claim(now, now.Unix(), "x", []byte("a")); v != replayNew {
		t.Fatal(v)
	}
	if v := g.claim(now, now.Unix(), "x", []byte("a")); v != replayInFlight {
		t.Fatalf("while in flight: %v", v)
	}
	g.settle(now.Unix(), "x", false) // handling failed: WeChat will retry
	if v := g.claim(now, now.Unix(), "x", []byte("a")); v != replayNew {
		t.Fatalf("after a failure: %v, want new", v)
	}
	later := now.Add(5*time.Minute + 2*time.Second)
	g.claim(later, later.Unix(), "y", []byte("a"))
	if n := g.size(); n != 1 {
		t.Fatalf("%d pairs remembered after the window, want 1", n)
	}
}

// The URL-verification GET has the same timestamp window as the pushes.
func TestCallbackVerifyOutsideWindowRefused(t *testing.T) {
	ta := newTestApp(t)
	for _, tc := range []struct {
		ts   time.Time
		want int
	}{
		{ta.now, http.StatusOK},
		{ta.now.Add(-4 * time.Minute), http.StatusOK},
		{ta.now.Add(-6 * time.Minute), http.StatusForbidden},
		{ta.now.Add(6 * time.Minute), http.StatusForbidden},
	} {
		ts := strconv.FormatInt(tc.ts.Unix(), 10)
		q := url.Values{"signature": {wechat.Signature(testToken, ts, "9")}, "timestamp": {ts}, "nonce": {"9"}, "echostr": {"e42"}}
		r := ta.get(callbackPath + "?" + q.Encode())
		if r.status != tc.want || (tc.want != http.StatusOK && strings.Contains(r.body, "e42")) {
			t.Errorf("timestamp %s from now: %d %q, want %d", tc.ts.Sub(ta.now), r.status, r.body, tc.want)
		}
	}
	if r := ta.get(callbackPath + "?signature=x&nonce=9&echostr=e42"); r.status != http.StatusForbidden {
		t.Errorf("no timestamp: %d", r.status)
	}
}

// Signed pushes that cannot be parsed store at most the budget (bytes) per window; past it they
// are answered "success" (WeChat would only retry) but neither stored nor logged with a body.
func TestUnparsedCallbacksCapped(t *testing.T) {
	logs := &logLines{}
	ta := newTestAppWith(t, appOptions{log: slog.New(logs)})
	ctx := context.Background()
	junk := func(i int) []byte { return []byte(strconv.Itoa(i) + strings.Repeat("x", 400<<10)) }
	for i := range 5 {
		if r := ta.postSealed(junk(i), ta.now, freshNonce()); r.status != http.StatusOK || r.body != "success" {
			t.Fatalf("junk %d: %d %q", i, r.status, r.body)
		}
	}
	n, err := ta.store.CountEvents(ctx, unparsedEvent)
	if err != nil || n != 2 {
		t.Fatalf("unparsed bodies stored: %d (%v), want 2 (2 × 400 KB within 1 MiB)", n, err)
	}
	over := 0
	for _, r := range logs.records() {
		if strings.Contains(r, "over the budget") {
			over++
		}
		if strings.Contains(r, "xxxxxxxx") {
			t.Fatalf("a body was logged: %.200s", r)
		}
	}
	if over != 3 {
		t.Fatalf("%d pushes logged as over the budget, want 3", over)
	}
	// The budget is per window: the next window stores again.
	ta.now = ta.now.Add(6 * time.Minute)
	if r := ta.postSealed(junk(9), ta.now, freshNonce()); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	if n, _ := ta.store.CountEvents(ctx, unparsedEvent); n != 3 {
		t.Fatalf("after the window: %d stored, want 3", n)
	}
	// The count limit.
	b := newUnparsedBudget(time.Minute, 3, 1<<20)
	for i := range 5 {
		ok, _ := b.take(ta.now, 1)
		if ok != (i < 3) {
			t.Fatalf("take %d: %v", i, ok)
		}
	}
}

// A MASSSENDJOBFINISH that disagrees with the recorded one is kept and the send's page shows
// both versions, in Chinese and English; identical repeats stay silent.
func TestDisputedJobFinishedFlaggedOnSendPage(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	sendPath, s := ta.submittedGroupSend("对账")
	msgID := msgIDs(s)[0]
	ev := jobPush(ta, msgID, 97)
	for range 2 {
		if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
			t.Fatal(r.status)
		}
	}
	if d := ta.get(sendPath).doc(t); d.Find(`[data-testid=send-disputes]`).Length() != 0 {
		t.Fatal("identical repeats flagged as a dispute")
	}
	other := ev
	other.SentCount, other.ErrorCount, other.Status = 12, 86, "err(30003)"
	if r := ta.callback(other, ta.now, nil); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	for lang, title := range map[string]string{"zh": "微信对此群发的结果通知不一致", "en": "WeChat's reports of this send disagree"} {
		u, _ := url.Parse(ta.srv.URL)
		ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}})
		d := ta.get(sendPath).doc(t)
		box := d.Find(`[data-testid=send-disputes]`)
		if box.Length() != 1 || !strings.Contains(box.Find("h2").Text(), title) {
			t.Fatalf("%s: no dispute warning titled %q", lang, title)
		}
		rows := box.Find(`table[data-msgid="` + strconv.FormatInt(msgID, 10) + `"] [data-testid=dispute-version]`)
		if rows.Length() != 2 {
			t.Fatalf("%s: %d versions listed, want 2", lang, rows.Length())
		}
		first, second := rows.Eq(0), rows.Eq(1)
		if v, _ := first.Attr("data-inforce"); v != "true" || !strings.Contains(first.Text(), "send success") || !strings.Contains(first.Text(), "97") {
			t.Errorf("%s: first version %q", lang, first.Text())
		}
		if v, _ := second.Attr("data-inforce"); v != "false" || !strings.Contains(second.Text(), "err(30003)") || !strings.Contains(second.Text(), "86") {
			t.Errorf("%s: second version %q", lang, second.Text())
		}
		// The figures in force are still the first report's.
		if got := d.Find(`[data-testid=stat-sent]`).Text(); got != "97" {
			t.Errorf("%s: sent %q, want 97 (first report)", lang, got)
		}
	}
}

// Settings recommends secure mode beside the encryption modes.
func TestSettingsRecommendsSecureMode(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	d := ta.get("/settings").doc(t)
	if got := d.Find(`[data-testid=encryption-modes] [data-testid=secure-mode-advice]`).Text(); !strings.Contains(got, "安全模式") {
		t.Fatalf("secure-mode advice %q", got)
	}
}

// records returns every record kept so far with its attributes, as text.
func (l *logLines) records() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			line += fmt.Sprintf(" %s=%v", a.Key, a.Value)
			return true
		})
		out = append(out, line)
	}
	return out
}
