package sandbox

import (
	"net/url"
	"testing"
	"time"
)

func TestTokenFetchErrors(t *testing.T) {
	h := newHarness(t, Config{})
	tests := []struct {
		name string
		q    url.Values
		code int
	}{
		{"bad grant_type", url.Values{"grant_type": {"password"}, "appid": {testAppID}, "secret": {testSecret}}, 40002},
		{"wrong appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wx0000"}, "secret": {testSecret}}, 40013},
		{"missing appid", url.Values{"grant_type": {"client_credential"}, "secret": {testSecret}}, 41002},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {"nope"}}, 40001},
		{"missing secret", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}}, 41004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, h.get("/cgi-bin/token", tt.q), tt.code)
		})
	}
	r := h.get("/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}})
	if _, has := r["errcode"]; has || num(r, "expires_in") != 7200 || len(r) != 2 {
		t.Errorf("token body = %v, want exactly access_token and expires_in 7200", r)
	}
	if got := h.s.Calls("/cgi-bin/token"); got != 2 {
		t.Errorf("Calls(token) = %d, want 2 accepted fetches", got)
	}
}

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t, Config{})
	groups := func(tok string) map[string]any {
		return h.get("/cgi-bin/groups/get", url.Values{"access_token": {tok}})
	}
	wantCode(t, groups(h.token), 0)
	wantCode(t, groups("forged"), 40001)
	req := h.get("/cgi-bin/groups/get", url.Values{"access_token": {""}})
	wantCode(t, req, 41001)

	// A new fetch supersedes the old token, which still works during the 5-minute overlap.
	old := h.token
	h.token = h.fetchToken()
	h.clock.Add(4 * time.Minute)
	wantCode(t, groups(old), 0)
	h.clock.Add(2 * time.Minute)
	wantCode(t, groups(old), 40001)
	wantCode(t, groups(h.token), 0)

	// Past its lifetime a token answers 42001.
	h.clock.Add(7200 * time.Second)
	wantCode(t, groups(h.token), 42001)

	// ExpireTokens does the same at once.
	h.token = h.fetchToken()
	h.s.ExpireTokens()
	wantCode(t, groups(h.token), 42001)
}

func TestMethodIsChecked(t *testing.T) {
	h := newHarness(t, Config{})
	wantCode(t, h.get("/cgi-bin/message/mass/sendall", nil), 43002)
	wantCode(t, h.post("/cgi-bin/groups/get", "{}"), 43001)
}

func TestFailNextQueuesForcedErrors(t *testing.T) {
	h := newHarness(t, Config{})
	h.s.FailNext("/cgi-bin/groups/get", -1)
	h.s.FailNext("/cgi-bin/groups/get", 42001)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), -1)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 42001)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 0)
	if got := h.s.Calls("/cgi-bin/groups/get"); got != 1 {
		t.Errorf("Calls = %d, want 1 (forced failures are not accepted calls)", got)
	}
}

func TestFailNextAfterAcceptLosesTheAnswer(t *testing.T) {
	h := newHarness(t, Config{})
	h.s.FailNextAfterAccept("/cgi-bin/message/mass/sendall", -1)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "lost")), -1)
	if h.s.Calls("/cgi-bin/message/mass/sendall") != 1 || h.s.QuotaLeft() != 9 {
		t.Fatal("the lost call was not accepted")
	}
	// The retry with the same clientmsgid learns the msg_id of the job that did go out.
	r := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "lost"))
	wantCode(t, r, 45065)
	if _, ok := h.s.Job(num(r, "msg_id")); !ok {
		t.Errorf("45065 msg_id %v is not a job", r["msg_id"])
	}
}

func TestStableToken(t *testing.T) {
	h := newHarness(t, Config{})
	stable := func(force bool) map[string]any {
		return h.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": force})
	}
	groups := func(tok string) map[string]any {
		return h.get("/cgi-bin/groups/get", url.Values{"access_token": {tok}})
	}
	wantCode(t, h.post("/cgi-bin/stable_token", ""), 44002)
	wantCode(t, h.post("/cgi-bin/stable_token", "grant_type=client_credential"), 47001)
	wantCode(t, h.post("/cgi-bin/stable_token", map[string]any{"grant_type": "x", "appid": testAppID, "secret": testSecret}), 40002)
	wantCode(t, h.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": "wx0", "secret": testSecret}), 40013)
	wantCode(t, h.post("/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": "no"}), 40001)
	wantCode(t, h.get("/cgi-bin/stable_token", nil), 43002)

	first := stable(false)
	tok, _ := first["access_token"].(string)
	if _, has := first["errcode"]; has || tok == "" || num(first, "expires_in") != 7200 || len(first) != 2 {
		t.Fatalf("stable_token body = %v", first)
	}
	// Normal mode: the same token, with its remaining lifetime.
	h.clock.Add(time.Hour)
	again := stable(false)
	if again["access_token"] != tok || num(again, "expires_in") != 3600 {
		t.Fatalf("normal mode gave %v, want the same token with 3600 s left", again)
	}
	// Isolated from cgi-bin/token, both ways.
	h.token = h.fetchToken()
	h.clock.Add(6 * time.Minute)
	wantCode(t, groups(tok), 0)
	wantCode(t, groups(h.token), 0)
	if stable(false)["access_token"] != tok {
		t.Fatal("a cgi-bin/token fetch changed the stable token")
	}
	// Within 5 minutes of expiry it is renewed; the old one lives out its last minutes.
	h.clock.Set(start.Add(7200*time.Second - 4*time.Minute))
	renewed := stable(false)
	if renewed["access_token"] == tok || num(renewed, "expires_in") != 7200 {
		t.Fatalf("no renewal near expiry: %v", renewed)
	}
	wantCode(t, groups(tok), 0)
	h.clock.Add(5 * time.Minute)
	wantCode(t, groups(tok), 42001)

	// Force mode invalidates the old token at once; forces are 30 s apart and 20 a day.
	cur := renewed["access_token"].(string)
	forced := stable(true)
	wantCode(t, groups(cur), 40001)
	wantCode(t, groups(forced["access_token"].(string)), 0)
	wantCode(t, stable(true), 45011)
	for range 19 {
		h.clock.Add(31 * time.Second)
		wantCode(t, stable(true), 0)
	}
	h.clock.Add(31 * time.Second)
	wantCode(t, stable(true), 45009)
	wantCode(t, stable(false), 0) // normal mode is not limited
	if n := h.s.Calls("/cgi-bin/stable_token"); n != 25 {
		t.Errorf("Calls(stable_token) = %d, want 25 accepted", n)
	}
}
