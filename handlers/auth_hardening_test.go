package handlers

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/static"
	"qunfa/views"

	"github.com/alexedwards/scs/v2"
)

// sessionRows counts the sessions table's rows (and reports whether any holds token anywhere).
func sessionRows(t *testing.T, dbPath, token string) (n int, leaked bool) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=5000&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if token != "" {
		var hits int
		db.QueryRow(`SELECT COUNT(*) FROM sessions WHERE token_hash = ? OR instr(data, ?) > 0 OR instr(token_hash, ?) > 0`,
			token, token, token).Scan(&hits)
		leaked = hits > 0
	}
	return n, leaked
}

func loginPost(ta *testApp, c *http.Client, user, pw string, header http.Header) response {
	ta.t.Helper()
	r := ta.getWith(c, "/login")
	tok, _ := r.doc(ta.t).Find(`input[name=csrf_token]`).Attr("value")
	return ta.postWith(c, "/login", url.Values{"csrf_token": {tok}, "username": {user}, "password": {pw}}, header)
}

// An anonymous visit of the login page stores no session; the login form still works, forged
// ones are still refused, and the session a login creates is stored under a hash of its token.
func TestLoginPageCreatesNoSession(t *testing.T) {
	var dbPath string
	ta := newTestAppWith(t, appOptions{dbPath: &dbPath})
	ta.setupAndLogin()
	db, _ := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=5000")
	db.Exec(`DELETE FROM sessions`)
	db.Close()

	anon := ta.newClient()
	r := ta.getWith(anon, "/login")
	if r.status != http.StatusOK {
		t.Fatalf("GET /login: %d", r.status)
	}
	if n, _ := sessionRows(t, dbPath, ""); n != 0 {
		t.Fatalf("an anonymous GET /login stored %d sessions", n)
	}
	if strings.Contains(r.header.Get("Set-Cookie"), "qunfa_session=") {
		t.Error("an anonymous GET /login set a session cookie")
	}
	tok, _ := r.doc(t).Find(`input[name=csrf_token]`).Attr("value")

	// Forged: no token, a token without its cookie, a token of another visitor's cookie.
	stranger := ta.newClient()
	if r := ta.postWith(stranger, "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}}, nil); r.status != http.StatusForbidden {
		t.Errorf("login with a token but not its cookie: %d, want 403", r.status)
	}
	if r := ta.postWith(anon, "/login", url.Values{"username": {"admin"}, "password": {"correct-horse"}}, nil); r.status != http.StatusForbidden {
		t.Errorf("login without a token: %d, want 403", r.status)
	}
	if r := ta.postWith(anon, "/login", url.Values{"csrf_token": {tok + "x"}, "username": {"admin"}, "password": {"correct-horse"}}, nil); r.status != http.StatusForbidden {
		t.Errorf("login with a wrong token: %d, want 403", r.status)
	}
	// A wrong password stores no session either.
	if r := ta.postWith(anon, "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"wrong-horse"}}, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if n, _ := sessionRows(t, dbPath, ""); n != 0 {
		t.Fatalf("a failed login stored %d sessions", n)
	}

	r = ta.postWith(anon, "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.status)
	}
	u, _ := url.Parse(ta.srv.URL)
	var raw string
	for _, c := range anon.Jar.Cookies(u) {
		if c.Name == "qunfa_session" {
			raw = c.Value
		}
	}
	if raw == "" {
		t.Fatal("no session cookie after login")
	}
	if n, leaked := sessionRows(t, dbPath, raw); n != 1 || leaked {
		t.Fatalf("after login: %d sessions, raw token in the database: %t", n, leaked)
	}
	if r := ta.getWith(anon, "/drafts"); r.status != http.StatusOK {
		t.Fatalf("logged in: %d", r.status)
	}
	// Logged in, the anonymous cookie's token no longer passes for the session's.
	if r := ta.postWith(anon, "/drafts", url.Values{"csrf_token": {tok}, "articles[0].title": {"t"}}, nil); r.status != http.StatusForbidden {
		t.Errorf("the visitor's token accepted once logged in: %d", r.status)
	}
}

// An admin ends every session of an operator: the other client is logged out, the admin not.
func TestAdminRevokesSessions(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	other := ta.newClient()
	if r := loginPost(ta, other, "admin", "correct-horse", nil); r.status != http.StatusSeeOther {
		t.Fatalf("second login: %d", r.status)
	}
	if _, err := ta.store.CreateOperator(t.Context(), "editor1", "uncommon-words-9"); err != nil {
		t.Fatal(err)
	}
	third := ta.newClient()
	if r := loginPost(ta, third, "editor1", "uncommon-words-9", nil); r.status != http.StatusSeeOther {
		t.Fatalf("editor login: %d", r.status)
	}
	// The button (views.SessionRevoke) posts to the route with the page's token.
	tok := ta.csrf("/drafts")
	r := ta.post("/operators/2/sessions/revoke", url.Values{"csrf_token": {tok}, "next": {"/settings"}})
	if r.status != http.StatusSeeOther || r.location != "/settings" {
		t.Fatalf("revoke: %d %q", r.status, r.location)
	}
	if r := ta.getWith(third, "/sends"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("revoked client still in: %d %q", r.status, r.location)
	}
	if r := ta.get("/drafts"); r.status != http.StatusOK || !strings.Contains(r.body, "已结束该操作员的 1 个登录会话") {
		t.Fatalf("the admin was logged out by revoking another operator, or told nothing: %d\n%s", r.status, r.body)
	}
	if r := ta.getWith(other, "/drafts"); r.status != http.StatusOK {
		t.Fatalf("another operator's session was revoked: %d", r.status)
	}
	// Revoking one's own sessions logs oneself out everywhere, this client included.
	tok = ta.csrf("/drafts")
	if r := ta.post("/operators/1/sessions/revoke", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther || r.location != "/login" {
		t.Fatalf("revoke own: %d %q", r.status, r.location)
	}
	for name, c := range map[string]*http.Client{"this": ta.client, "other": other} {
		if r := ta.getWith(c, "/drafts"); r.status != http.StatusSeeOther {
			t.Errorf("%s client of the admin still in after revoking own sessions: %d", name, r.status)
		}
	}
	// Unknown operator: 404.
	ta.client = ta.newClient()
	loginPost(ta, ta.client, "admin", "correct-horse", nil)
	tok = ta.csrf("/drafts")
	if r := ta.post("/operators/99/sessions/revoke", url.Values{"csrf_token": {tok}}); r.status != http.StatusNotFound {
		t.Errorf("unknown operator: %d", r.status)
	}
}

func TestSessionRevokeButton(t *testing.T) {
	var b strings.Builder
	l := views.Layout{Lang: "en", CSRF: "tok"}
	if err := views.SessionRevoke(l, 7, "/operators/7").Render(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`action="/operators/7/sessions/revoke"`, `value="tok"`, `value="/operators/7"`, "End all their sessions"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("button lacks %s:\n%s", want, b.String())
		}
	}
}

// A logged-in session ends after the idle timeout without a request; requests keep it alive.
func TestSessionExpiresWhenIdle(t *testing.T) {
	ta := newTestAppWith(t, appOptions{idle: 2 * time.Hour})
	ta.setupAndLogin()
	for range 3 { // 5h25 in all, never 2 h without a request
		ta.now = ta.now.Add(time.Hour + 55*time.Minute)
		if r := ta.get("/drafts"); r.status != http.StatusOK {
			t.Fatalf("active session ended at %v: %d %q", ta.now, r.status, r.location)
		}
	}
	ta.now = ta.now.Add(2*time.Hour + time.Minute)
	if r := ta.get("/drafts"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("idle session still works: %d %q", r.status, r.location)
	}
}

// Wrong passwords lock the account: the right one is then refused until the lock ends.
func TestRepeatedFailuresLockTheAccount(t *testing.T) {
	ta := newTestAppWith(t, appOptions{throttle: &ThrottleConfig{AddrBurst: 100}}) // the address's limit is another test's
	ta.setupAndLogin()
	c := ta.newClient()
	for i := 1; i <= 5; i++ {
		r := loginPost(ta, c, "admin", fmt.Sprintf("wrong-%d", i), nil)
		want := http.StatusUnauthorized
		if i == 5 {
			want = http.StatusTooManyRequests
		}
		if r.status != want {
			t.Fatalf("wrong password #%d: %d, want %d", i, r.status, want)
		}
	}
	r := loginPost(ta, c, "admin", "correct-horse", nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", r.status)
	}
	msg := r.doc(t).Find(`[data-testid=login-error]`).Text()
	if !strings.Contains(msg, "锁定") || !strings.Contains(msg, "2024-05-20 10:15") {
		t.Errorf("lock message %q lacks the lock and its end (Beijing time)", msg)
	}
	if r.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// An unknown username locks the same way: the lock says nothing about who exists.
	for i := 0; i < 5; i++ {
		r = loginPost(ta, c, "nobody", "wrong", nil)
	}
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.doc(t).Find(`[data-testid=login-error]`).Text(), "锁定") {
		t.Errorf("unknown username after 5 failures: %d", r.status)
	}
	ta.now = ta.now.Add(15 * time.Minute)
	if r := loginPost(ta, c, "admin", "correct-horse", nil); r.status != http.StatusSeeOther {
		t.Fatalf("right password after the lock: %d", r.status)
	}
}

// Failed logins from one address are slowed down, whatever the usernames; X-Forwarded-For
// counts only from a trusted proxy.
func TestLoginSlowsDownPerAddress(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	ta := newTestAppWith(t, appOptions{log: log, throttle: &ThrottleConfig{AddrBurst: 3, AddrRefill: 10 * time.Second}})
	ta.setupAndLogin()
	c := ta.newClient()
	for i := range 3 {
		// Each from a different forged address: without a trusted proxy the header is ignored.
		h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
		if r := loginPost(ta, c, fmt.Sprintf("user%d", i), "wrong password here", h); r.status != http.StatusUnauthorized {
			t.Fatalf("failure #%d: %d", i+1, r.status)
		}
	}
	r := loginPost(ta, c, "admin", "correct-horse", nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "10" {
		t.Fatalf("4th attempt from the address: %d Retry-After %q, want 429 after 10 s", r.status, r.header.Get("Retry-After"))
	}
	if msg := r.doc(t).Find(`[data-testid=login-error]`).Text(); !strings.Contains(msg, "10 秒") {
		t.Errorf("message %q", msg)
	}
	ta.now = ta.now.Add(5 * time.Second)
	if r := loginPost(ta, c, "admin", "correct-horse", nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "5" {
		t.Fatalf("after 5 s: %d %q", r.status, r.header.Get("Retry-After"))
	}
	ta.now = ta.now.Add(5 * time.Second)
	if r := loginPost(ta, c, "admin", "correct-horse", nil); r.status != http.StatusSeeOther {
		t.Fatalf("after 10 s: %d", r.status)
	}

	// One line per failure, in the documented format (README), with the address and never the
	// password.
	mu.Lock()
	logged := buf.String()
	mu.Unlock()
	re := regexp.MustCompile(`(?m)^time=\S+ level=WARN msg="login failed" addr=(\S+) username=(\S+) reason=(\S+)$`)
	lines := re.FindAllStringSubmatch(logged, -1)
	if len(lines) != 5 {
		t.Fatalf("%d failed-login lines, want 5 (3 wrong, 2 throttled):\n%s", len(lines), logged)
	}
	for _, l := range lines {
		if l[1] != "127.0.0.1" {
			t.Errorf("addr %q: the forged X-Forwarded-For was believed", l[1])
		}
	}
	if lines[0][2] != "user0" || lines[0][3] != "bad_credentials" || lines[3][3] != "address_throttled" {
		t.Errorf("lines: %q", lines)
	}
	if strings.Contains(logged, "wrong password here") || strings.Contains(logged, "correct-horse") {
		t.Error("a password was logged")
	}
	// The README's fail2ban filter (<HOST> as fail2ban expands it) finds the address in each line.
	f2b := regexp.MustCompile(`level=WARN msg="login failed" addr=(?P<host>\S+) username=`)
	if got := f2b.FindAllStringSubmatch(logged, -1); len(got) != 5 || got[4][1] != "127.0.0.1" {
		t.Errorf("fail2ban filter matched %q", got)
	}
}

func TestTrustedProxyNamesTheClient(t *testing.T) {
	ta := newTestAppWith(t, appOptions{throttle: &ThrottleConfig{AddrBurst: 1, AddrRefill: time.Hour}, proxies: []string{"127.0.0.1/32"}})
	ta.setupAndLogin()
	c := ta.newClient()
	for i := range 3 {
		h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
		if r := loginPost(ta, c, "someone", "wrong", h); r.status != http.StatusUnauthorized {
			t.Fatalf("client %d behind the proxy: %d, want its own allowance", i+1, r.status)
		}
	}
	if r := loginPost(ta, c, "someone", "wrong", http.Header{"X-Forwarded-For": {"198.51.100.1"}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("the first client again: %d, want 429", r.status)
	}
}

// Many addresses cannot grow the memory of the per-address limit past its bound.
func TestAddressThrottleIsBounded(t *testing.T) {
	now := time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)
	th := newLoginThrottle(&ThrottleConfig{MaxAddrs: 100}, func() time.Time { return now })
	for i := range 5000 {
		th.failed(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		if n := th.size(); n > 100 {
			t.Fatalf("%d addresses remembered after %d, bound 100", n, i+1)
		}
	}
	// IPv6 counts per /64: one client cannot mint fresh buckets by rotating its address.
	for i := range 50 {
		th.failed(fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if w := th.wait("2001:db8:1:2::ffff"); w == 0 {
		t.Error("a /64 that failed 50 times may still try at once")
	}
}

// The login form's token is signed with a key kept in the database: a form loaded before a
// restart (or from another instance) still logs in.
func TestLoginFormOutlivesARestart(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	anon := ta.newClient()
	tok, _ := ta.getWith(anon, "/login").doc(t).Find(`input[name=csrf_token]`).Attr("value")
	restarted := httptest.NewServer(New(Deps{Service: ta.svc, Static: static.FS, Now: func() time.Time { return ta.now }}))
	defer restarted.Close()
	ta.srv.Close()
	ta.srv = restarted // cookies are per host, not port: the visitor's cookie goes along
	r := ta.postWith(anon, "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("login with the form from before the restart: %d", r.status)
	}
}

// A page view writes the session's last use only when it is a twenty-fourth of the idle timeout
// old (5 minutes of 2 hours): every write waits for SQLite's one writer.
func TestSessionUseIsWrittenEveryFewMinutes(t *testing.T) {
	ta := newTestAppWith(t, appOptions{idle: 2 * time.Hour})
	ta.setupAndLogin()
	seen := func() int64 {
		t.Helper()
		data, found, err := ta.svc.Sessions().WithClock(func() time.Time { return ta.now }).Find(sessionCookieOf(ta, ta.client))
		if err != nil || !found {
			t.Fatalf("session: found %v, %v", found, err)
		}
		_, values, err := (scs.GobCodec{}).Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := values[sessSeen].(int64)
		return v
	}
	first := seen()
	ta.now = ta.now.Add(4*time.Minute + 59*time.Second)
	if r := ta.get("/drafts"); r.status != http.StatusOK {
		t.Fatalf("drafts: %d", r.status)
	}
	if got := seen(); got != first {
		t.Fatalf("a view within 5 minutes wrote the last use: %d → %d", first, got)
	}
	ta.now = ta.now.Add(2 * time.Second)
	ta.get("/drafts")
	if got := seen(); got != ta.now.Unix() {
		t.Fatalf("a view after 5 minutes: last use %d, want %d", got, ta.now.Unix())
	}
	if seenEvery(10*time.Minute) != 25*time.Second {
		t.Errorf("a 10-minute timeout is checked every %v, want 25s", seenEvery(10*time.Minute))
	}
}

// Every POST, an operator's or WeChat's, tells the service a write came, so the followers' date
// indexes (whose build stops every write for a moment) wait for a quiet moment; reading does not.
func TestWriteRequestsAreNoted(t *testing.T) {
	fresh := newTestApp(t)
	if !fresh.svc.Quiet() {
		t.Fatal("a new service is not quiet")
	}
	fresh.get("/login")
	if !fresh.svc.Quiet() {
		t.Error("a GET counted as a write request")
	}
	fresh.post("/login", url.Values{"username": {"x"}, "password": {"y"}})
	if fresh.svc.Quiet() {
		t.Error("a POST was not noted as a write request")
	}
}
