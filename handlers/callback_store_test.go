package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/wechat"
)

// logLines is a slog handler that keeps every record (Debug included) for a test to count.
type logLines struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// take returns the records logged since the last take, as "LEVEL message" lines.
func (l *logLines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		out = append(out, r.Level.String()+" "+r.Message)
	}
	l.recs = nil
	return out
}

func atLeast(lines []string, level slog.Level) []string {
	var out []string
	for _, ln := range lines {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(strings.Fields(ln)[0])); err == nil && lv >= level {
			out = append(out, ln)
		}
	}
	return out
}

func jobPush(ta *testApp, msgID int64, sent int) wechat.Event {
	return wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgID, Status: "send success",
		TotalCount: 100, FilterCount: 98, SentCount: sent, ErrorCount: 98 - sent}
}

// A push is logged once: at Info when new, at Debug when repeated, at Warn when a repeat says
// other figures (then its body is kept, once). The request log of the callback is at Debug.
// Only a disputed push keeps its raw body.
func TestCallbackLogsEachPushOnce(t *testing.T) {
	logs := &logLines{}
	var path string
	ta := newTestAppWith(t, appOptions{log: slog.New(logs), dbPath: &path})
	ok := func(r response) {
		t.Helper()
		if r.status != http.StatusOK || r.body != "success" {
			t.Fatalf("reply %d %q", r.status, r.body)
		}
	}
	ok(ta.callback(jobPush(ta, 777, 97), ta.now, nil))
	if got := atLeast(logs.take(), slog.LevelInfo); len(got) != 1 || got[0] != "INFO MASSSENDJOBFINISH" {
		t.Fatalf("a new push logged %q, want one INFO MASSSENDJOBFINISH", got)
	}
	for range 3 {
		ok(ta.callback(jobPush(ta, 777, 97), ta.now, nil))
	}
	lines := logs.take()
	if got := atLeast(lines, slog.LevelInfo); len(got) != 0 {
		t.Fatalf("repeats logged %q at Info or above", got)
	}
	if n := strings.Count(strings.Join(lines, "\n"), "DEBUG MASSSENDJOBFINISH repeated"); n != 3 {
		t.Fatalf("repeats logged %q, want three Debug lines", lines)
	}
	for range 2 {
		ok(ta.callback(jobPush(ta, 777, 50), ta.now, nil)) // the same job, other figures
	}
	if got := atLeast(logs.take(), slog.LevelInfo); len(got) != 2 || !strings.HasPrefix(got[0], "WARN MASSSENDJOBFINISH repeated with other figures") {
		t.Fatalf("disputed repeats logged %q, want one Warn each", got)
	}
	ctx := context.Background()
	if n, err := ta.store.CountEvents(ctx, disputedEvent); err != nil || n != 1 {
		t.Fatalf("disputed bodies kept: %d (%v), want 1 (two identical deliveries)", n, err)
	}
	if got := ta.get("/healthz"); got.status != http.StatusOK {
		t.Fatal(got.status)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rawJob, rawDisputed sql.NullString
	if err := db.QueryRow(`SELECT raw FROM callback_events WHERE event = 'MASSSENDJOBFINISH' AND msg_id = 777`).Scan(&rawJob); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT raw FROM callback_events WHERE event = ?`, disputedEvent).Scan(&rawDisputed); err != nil {
		t.Fatal(err)
	}
	if rawJob.Valid || !strings.Contains(rawDisputed.String, "<SentCount>50</SentCount>") {
		t.Fatalf("raw kept for the job: %v; for the disputed push: %q", rawJob.Valid, rawDisputed.String)
	}
}

// A repeat is answered from a read: it is answered while another connection holds the write
// lock (a write transaction would wait for it, then fail). Twice: to the app that recorded the
// push (it remembers it), and to an app started afresh on a database that holds it (a restart,
// or another instance), which has to read it.
func TestCallbackRepeatNeedsNoWrite(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path})
	if r := ta.callback(jobPush(ta, 888, 97), ta.now, nil); r.status != http.StatusOK {
		t.Fatalf("first delivery: %d", r.status)
	}
	repeatWhileLocked(t, ta, path, "remembered")

	var freshPath string
	fresh := newTestAppWith(t, appOptions{dbPath: &freshPath, seed: func(db *sql.DB) error {
		_, err := db.Exec(`INSERT INTO callback_events (msg_id, event, from_user, create_time, status, total_count,
			filter_count, sent_count, error_count, received_at, article_urls, copyright_state)
			VALUES (888, 'MASSSENDJOBFINISH', 'oFromUser0001', 0, 'send success', 100, 98, 97, 1, '2024-05-20 02:00:00', '', 0)`)
		return err
	}})
	repeatWhileLocked(t, fresh, freshPath, "read after a restart")
}

// repeatWhileLocked delivers push 888 again while another connection holds the write lock.
func repeatWhileLocked(t *testing.T, ta *testApp, path, what string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	start := time.Now()
	r := ta.callback(jobPush(ta, 888, 97), ta.now, nil)
	if r.status != http.StatusOK || r.body != "success" {
		t.Fatalf("%s: repeat while another writer holds the lock: %d %q", what, r.status, r.body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("%s: repeat waited %v for the write lock", what, d)
	}
}

// WeChat hanging up while the push waits (the request's context canceled) is no failure of
// ours: no 500, no ERROR line.
func TestCallbackClientHangUpIsNoError(t *testing.T) {
	logs := &logLines{}
	ta := newTestAppWith(t, appOptions{log: slog.New(logs)})
	for _, ev := range []wechat.Event{jobPush(ta, 999, 97),
		{ToUserName: "gh_0123456789ab", FromUserName: "oFan", CreateTime: ta.now.Unix(), MsgType: "event", Event: "subscribe"}} {
		p := ta.sealPush(t, ev, false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, callbackPath+"?"+p.query, bytes.NewReader(p.body))
		rec := httptest.NewRecorder()
		ta.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError || rec.Code == http.StatusOK {
			t.Errorf("%s with the client gone: %d", ev.Event, rec.Code)
		}
	}
	if got := atLeast(logs.take(), slog.LevelError); len(got) != 0 {
		t.Fatalf("hang-ups logged %q", got)
	}
}
