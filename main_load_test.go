package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
)

// TestLoad drives mixed load on loopback against the whole app (in-process, with the embedded
// sandbox): operators browsing and saving drafts, a storm of signed MASSSENDJOBFINISH pushes
// with duplicates, a full follower sync and a send to everyone, all in the same window. It runs
// only when QUNFA_LOAD is set (README, "Load test"):
//
//	QUNFA_LOAD=1 go test -run '^TestLoad$' -count=1 -v -timeout 15m .
//
// Knobs (environment): QUNFA_LOAD_DURATION (60s), QUNFA_LOAD_OPERATORS (50),
// QUNFA_LOAD_FOLLOWERS (200000), QUNFA_LOAD_CALLBACKS (pushes a second, 100),
// QUNFA_LOAD_THINK (an operator's mean pause between pages, 1s), QUNFA_LOAD_P99 (200ms),
// QUNFA_LOAD_FIRST_SYNC (set: the window's full sync is the account's first; unset: the account
// was synced once before the window, as one in use has been), QUNFA_LOAD_CPUPROFILE and QUNFA_LOAD_BLOCKPROFILE (files for the process's CPU profile and
// its waits of 1 ms or more over the window). p99/bl in the table is a kind's p99 over the p99
// of /healthz in the same window (no session, no database): the machine's own delay.
func TestLoad(t *testing.T) {
	if os.Getenv("QUNFA_LOAD") == "" {
		t.Skip("set QUNFA_LOAD=1 to run the load test (README: Load test)")
	}
	cfg := loadConfig{
		duration:  envDuration(t, "QUNFA_LOAD_DURATION", 60*time.Second),
		operators: envInt(t, "QUNFA_LOAD_OPERATORS", 50),
		followers: envInt(t, "QUNFA_LOAD_FOLLOWERS", 200_000),
		callbacks: envInt(t, "QUNFA_LOAD_CALLBACKS", 100),
		think:     envDuration(t, "QUNFA_LOAD_THINK", time.Second),
		p99:       envDuration(t, "QUNFA_LOAD_P99", 200*time.Millisecond),
		firstSync: os.Getenv("QUNFA_LOAD_FIRST_SYNC") != "",
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "qunfa.db")
	seedLoadOperators(t, dbPath, cfg.operators)

	logs := &lockedBuffer{}
	const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	base := startLoadApp(t, logs, map[string]string{
		"QUNFA_DB": dbPath, "QUNFA_ADDR": "127.0.0.1:0", "QUNFA_SANDBOX": "1", "QUNFA_AESKEY": aesKey,
		"QUNFA_SANDBOX_FOLLOWERS": strconv.Itoa(cfg.followers),
		// The send stays "sending" for most of the window: its result comes after 40 s.
		"QUNFA_SANDBOX_FINISH_DELAY": "40s",
	})
	db := scheduleDB(t, dbPath)
	rec := &recorder{}

	// Before the window: every operator logged in, one draft each, one finished send to look at.
	admin := newLoadClient(t, base, "admin", rec)
	thumb := (&seedClient{t: t, base: base, http: admin.http, token: admin.token}).thumb()
	ops := make([]*loadClient, cfg.operators)
	var wg sync.WaitGroup
	for i := range ops {
		wg.Go(func() { ops[i] = newLoadClient(t, base, operatorName(i), rec) })
	}
	wg.Wait()
	drafts := make([]uint, len(ops))
	for i, op := range ops {
		drafts[i] = (&seedClient{t: t, base: base, http: op.http, token: op.token}).draft(1, thumb, []string{"负载测试草稿 " + op.name})
	}
	seedAdmin := &seedClient{t: t, base: base, http: admin.http, token: admin.token}
	finished := seedAdmin.send(seedAdmin.draft(1, thumb, []string{"已完成的群发"}), url.Values{"target": {"group"}, "group_id": {"100"}})
	var known wechat.Event
	pollUntil(t, 90*time.Second, "the seeded send's result", func() bool {
		return db.QueryRow(`SELECT msg_id, status, total_count, filter_count, sent_count, error_count FROM send_batches
			WHERE send_id = ? AND finished_at IS NOT NULL`, finished).Scan(&known.MsgID, &known.Status,
			&known.TotalCount, &known.FilterCount, &known.SentCount, &known.ErrorCount) == nil
	})
	sendPages := []string{fmt.Sprintf("/sends/%d", finished)}
	if !cfg.firstSync {
		// An account in use has been synced before: the window's full sync is a later one.
		admin.post(context.Background(), "sync_start", "/followers/sync", url.Values{"mode": {"full"}})
		pollUntil(t, 5*time.Minute, "the first follower sync", func() bool {
			var phase string
			return db.QueryRow(`SELECT phase FROM follower_syncs ORDER BY id DESC LIMIT 1`).Scan(&phase) == nil && phase == "done"
		})
	}
	rec.reset() // the window alone is measured

	load0 := loadAvg()
	if p := os.Getenv("QUNFA_LOAD_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if p := os.Getenv("QUNFA_LOAD_BLOCKPROFILE"); p != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond)) // waits of 1 ms and more: the writer, the pool
		defer func() {
			f, err := os.Create(p)
			if err == nil {
				pprof.Lookup("block").WriteTo(f, 0)
				f.Close()
			}
			runtime.SetBlockProfileRate(0)
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()
	start := time.Now()

	// The sync and the send start with the window.
	admin.post(ctx, "sync_start", "/followers/sync", url.Values{"mode": {"full"}})
	running := admin.post(ctx, "send_start", fmt.Sprintf("/drafts/%d/send", seedAdmin.draft(1, thumb, []string{"运行中的群发"})),
		url.Values{"target": {"all"}, "confirm_all": {"1"}, "key": {fmt.Sprintf("load-%d", time.Now().UnixNano())}})
	if loc := running.Header.Get("Location"); strings.HasPrefix(loc, "/sends/") {
		sendPages = append(sendPages, loc)
	} else {
		t.Errorf("the window's send did not start: %d %q", running.StatusCode, loc)
	}

	for i, op := range ops {
		wg.Go(func() { op.browse(ctx, cfg.think, drafts[i], thumb, sendPages) })
	}
	// The sync's phases as they change (the merge is one write transaction: everything that
	// writes waits for it).
	var phases []string
	wg.Go(func() {
		last, since := "", time.Now()
		for ctx.Err() == nil {
			var ph string
			db.QueryRow(`SELECT phase FROM follower_syncs ORDER BY id DESC LIMIT 1`).Scan(&ph)
			if ph != last {
				if last != "" {
					phases = append(phases, fmt.Sprintf("%s %.1fs", last, time.Since(since).Seconds()))
				}
				last, since = ph, time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
		phases = append(phases, fmt.Sprintf("%s %.1fs (at the end)", last, time.Since(since).Seconds()))
	})
	// The baseline: /healthz touches neither the session nor the database, so its times are
	// the HTTP stack and the wait for a CPU on this machine, measured in the same window.
	wg.Go(func() {
		probe := &loadClient{base: base, rec: rec, http: &http.Client{Transport: loadTransport, Timeout: 60 * time.Second}}
		for ctx.Err() == nil {
			probe.get(ctx, "baseline_healthz", "/healthz")
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	storm := wechat.Codec{Token: sandboxAccount.Token, AppID: sandboxAccount.AppID, EncodingAESKey: aesKey}
	wg.Go(func() { callbackStorm(ctx, t, base, storm, known, cfg.callbacks, rec) })
	wg.Wait()
	elapsed := time.Since(start)
	load1 := loadAvg()

	report := rec.report(elapsed)
	which := "a later full sync (the account synced before the window)"
	if cfg.firstSync {
		which = "the account's first sync"
	}
	t.Logf("load: %d operators, %d followers, %s, %d pushes/s asked, think %v, window %v; load average %s before, %s after\n%s",
		cfg.operators, cfg.followers, which, cfg.callbacks, cfg.think, elapsed.Round(time.Millisecond), load0, load1, report)
	var syncPhase string
	var syncListed, syncDetailed, syncTotal int
	db.QueryRow(`SELECT phase, listed, detailed, total FROM follower_syncs ORDER BY id DESC LIMIT 1`).Scan(&syncPhase, &syncListed, &syncDetailed, &syncTotal)
	var sendState string
	if len(sendPages) > 1 {
		db.QueryRow(`SELECT state FROM sends WHERE id = ?`, strings.TrimPrefix(sendPages[1], "/sends/")).Scan(&sendState)
	}
	t.Logf("follower sync at the end of the window: phase %q, %d listed, %d described of %d (phases: %s); the window's send is %q",
		syncPhase, syncListed, syncDetailed, syncTotal, strings.Join(phases, ", "), sendState)
	if out := os.Getenv("QUNFA_LOAD_REPORT"); out != "" {
		os.WriteFile(out, []byte(report), 0o600)
	}

	// What must hold.
	for code, n := range rec.codes() {
		if code >= 500 || code == 0 {
			t.Errorf("%d responses with status %d (0 = transport error)", n, code)
		}
	}
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "database table is locked"} {
		if n := strings.Count(logs.String(), bad); n > 0 {
			t.Errorf("%q %d times in the log", bad, n)
		}
	}
	if n := rec.unexpected(); n > 0 {
		t.Errorf("%d responses with an unexpected status (see the table)", n)
	}
	var stored int
	db.QueryRow(`SELECT COUNT(*) FROM callback_events WHERE event = ? AND msg_id = ?`, wechat.EventMassSendJobFinish, known.MsgID).Scan(&stored)
	if stored != 1 {
		t.Errorf("the repeated push is stored %d times, want once", stored)
	}
	for _, k := range rec.kinds() {
		if s := rec.stats(k); s.page && s.p99 > cfg.p99 {
			t.Errorf("%s: p99 %v over %v (load average %s)", k, s.p99, cfg.p99, load1)
		}
	}
}

type loadConfig struct {
	duration, think, p99            time.Duration
	firstSync                       bool // the window's sync is the account's first (no sync before)
	operators, followers, callbacks int
}

func operatorName(i int) string { return fmt.Sprintf("op%02d", i+1) }

const loadPassword = "load-password-123"

// seedLoadOperators creates the admin and the operators through the models API before the app
// starts. The operators are editors: with one admin, four-eyes approval stays off.
func seedLoadOperators(t *testing.T, dbPath string, n int) {
	t.Helper()
	store, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if _, err := store.CreateFirstOperator(ctx, "admin", loadPassword); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := store.CreateOperator(ctx, operatorName(i), loadPassword); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE operators SET role = 'editor' WHERE username <> 'admin'`); err != nil {
		t.Fatal(err)
	}
}

// startLoadApp is startAppOn with the log kept (to look for "database is locked").
func startLoadApp(t *testing.T, logs io.Writer, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(env), io.Discard, logs, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("the server did not shut down")
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatalf("run failed: %v", err)
	case <-time.After(120 * time.Second):
		t.Fatal("the server did not start")
	}
	return ""
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loadClient is one operator's browser: its own cookie jar, a shared connection pool.
type loadClient struct {
	name, base, token string
	http              *http.Client
	rec               *recorder
}

var loadTransport = &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200, IdleConnTimeout: time.Minute}

func newLoadClient(t *testing.T, base, name string, rec *recorder) *loadClient {
	jar, _ := cookiejar.New(nil)
	c := &loadClient{name: name, base: base, rec: rec, http: &http.Client{Jar: jar, Transport: loadTransport, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	seed := &seedClient{t: t, base: base, http: c.http}
	seed.token = seed.csrfFrom("/login", `name="csrf_token" value="([^"]+)"`)
	if res := seed.post("/login", url.Values{"username": {name}, "password": {loadPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("%s: login answered %d", name, res.StatusCode)
		return c
	}
	c.token = seed.csrfFrom("/drafts", `data-csrf="([^"]+)"`)
	return c
}

// do sends req, reads the whole answer and records it under kind.
func (c *loadClient) do(kind string, req *http.Request) *http.Response {
	t0 := time.Now()
	res, err := c.http.Do(req)
	code := 0
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		code = res.StatusCode
	} else if req.Context().Err() != nil {
		return &http.Response{} // the window closed mid-request: not a result
	}
	c.rec.add(kind, code, time.Since(t0))
	if res == nil {
		res = &http.Response{}
	}
	return res
}

func (c *loadClient) get(ctx context.Context, kind, path string) *http.Response {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	return c.do(kind, req)
}

func (c *loadClient) post(ctx context.Context, kind, path string, form url.Values) *http.Response {
	form.Set("csrf_token", c.token)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(kind, req)
}

// browse is one operator until ctx ends: a page, a pause around think, again. One page in
// eight is a save of the operator's own draft.
func (c *loadClient) browse(ctx context.Context, think time.Duration, draft uint, thumb string, sends []string) {
	for n := 0; ctx.Err() == nil; n++ {
		switch r := rand.IntN(100); {
		case r < 25:
			c.get(ctx, "drafts_list", "/drafts")
		case r < 45:
			c.get(ctx, "sends_list", "/sends")
		case r < 65:
			c.get(ctx, "send_page", sends[rand.IntN(len(sends))])
		case r < 80:
			c.get(ctx, "followers_page", "/followers")
		case r < 87:
			c.get(ctx, "sync_status", "/followers/sync/status")
		default:
			c.post(ctx, "draft_save", fmt.Sprintf("/drafts/%d", draft), draftForm(c.name, n, thumb))
		}
		select {
		case <-ctx.Done():
		case <-time.After(think/2 + rand.N(think)):
		}
	}
}

func draftForm(name string, n int, thumb string) url.Values {
	return url.Values{
		"articles[0].title":          {fmt.Sprintf("负载测试草稿 %s 第%d次修改", name, n)},
		"articles[0].author":         {"运营中心"},
		"articles[0].digest":         {"摘要"},
		"articles[0].content":        {"<p>" + strings.Repeat("正文段落，介绍活动的时间、地点与参与方式。", 12) + "</p>"},
		"articles[0].source_url":     {"https://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&mid=2650012345&idx=1"},
		"articles[0].thumb_id":       {thumb},
		"articles[0].show_cover_pic": {"1"},
	}
}

// callbackStorm posts signed (secure-mode) MASSSENDJOBFINISH pushes at perSecond until ctx
// ends: seven in ten repeat the known send's result, the rest are new msg_ids. Each push has a
// fresh timestamp and nonce, as WeChat's retries have.
func callbackStorm(ctx context.Context, t *testing.T, base string, codec wechat.Codec, known wechat.Event, perSecond int, rec *recorder) {
	if perSecond <= 0 {
		return
	}
	c := &loadClient{base: base, rec: rec, http: &http.Client{Transport: loadTransport, Timeout: 60 * time.Second}}
	known.ToUserName, known.FromUserName, known.MsgType, known.Event = "gh_sandbox", "mphelper", "event", wechat.EventMassSendJobFinish
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, 8) // a storm, not an unbounded pile of goroutines
	for n := int64(1); ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ev, kind := known, "callback_repeat"
		if n%10 >= 7 {
			ev.MsgID, ev.Status, kind = 9_000_000_000+n, "send success", "callback_new"
		}
		ev.CreateTime = time.Now().Unix()
		q, body, err := codec.Seal(ev.XML(), strconv.FormatInt(time.Now().Unix(), 10), strconv.FormatInt(rand.Int64(), 10), true)
		if err != nil {
			t.Error(err)
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/wechat/callback?"+q.Encode(), bytes.NewReader(body))
			req.Header.Set("Content-Type", "text/xml")
			c.do(kind, req)
		})
	}
}

// recorder keeps every answer's kind, status and time.
type recorder struct {
	mu   sync.Mutex
	hits []hit
}

type hit struct {
	kind string
	code int
	d    time.Duration
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.hits = nil
	r.mu.Unlock()
}

func (r *recorder) add(kind string, code int, d time.Duration) {
	r.mu.Lock()
	r.hits = append(r.hits, hit{kind, code, d})
	r.mu.Unlock()
}

// expected is the status each kind answers when all is well.
var expected = map[string]int{"drafts_list": 200, "sends_list": 200, "send_page": 200, "followers_page": 200,
	"sync_status": 200, "draft_save": 303, "sync_start": 303, "send_start": 303, "callback_repeat": 200, "callback_new": 200, "baseline_healthz": 200}

type kindStats struct {
	n                  int
	p50, p95, p99, max time.Duration
	codes              map[int]int
	page               bool // an operator's page (held to the p99 target)
}

func (r *recorder) stats(kind string) kindStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := kindStats{codes: map[int]int{}, page: !slices.Contains([]string{"callback_repeat", "callback_new", "sync_start", "send_start", "baseline_healthz"}, kind)}
	var ds []time.Duration
	for _, h := range r.hits {
		if h.kind == kind {
			ds = append(ds, h.d)
			s.codes[h.code]++
		}
	}
	slices.Sort(ds)
	s.n = len(ds)
	if s.n == 0 {
		return s
	}
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	s.p50, s.p95, s.p99, s.max = at(0.50), at(0.95), at(0.99), ds[len(ds)-1]
	return s
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for _, h := range r.hits {
		if !slices.Contains(ks, h.kind) {
			ks = append(ks, h.kind)
		}
	}
	slices.Sort(ks)
	return ks
}

func (r *recorder) codes() map[int]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[int]int{}
	for _, h := range r.hits {
		out[h.code]++
	}
	return out
}

func (r *recorder) unexpected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, h := range r.hits {
		if h.code != expected[h.kind] {
			n++
		}
	}
	return n
}

func (r *recorder) report(elapsed time.Duration) string {
	var b strings.Builder
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }
	fmt.Fprintf(&b, "%-16s %7s %7s %8s %8s %8s %8s %7s  %s\n", "kind", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99/bl", "statuses")
	total := 0
	base := r.stats("baseline_healthz").p99
	for _, k := range r.kinds() {
		s := r.stats(k)
		total += s.n
		ratio := "-"
		if base > 0 {
			ratio = strconv.FormatFloat(float64(s.p99)/float64(base), 'f', 1, 64)
		}
		fmt.Fprintf(&b, "%-16s %7d %7.1f %8s %8s %8s %8s %7s  %v\n", k, s.n, float64(s.n)/elapsed.Seconds(), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ratio, s.codes)
	}
	fmt.Fprintf(&b, "%-16s %7d %7.1f  statuses %v\n", "all", total, float64(total)/elapsed.Seconds(), r.codes())
	return b.String()
}

func pollUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
	}
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", k, v, err)
	}
	return n
}

func envDuration(t *testing.T, k string, def time.Duration) time.Duration {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", k, v, err)
	}
	return d
}
