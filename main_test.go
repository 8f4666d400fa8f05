package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat/sandbox"
)

// With QUNFA_APPID set (and no -sandbox), the client talks to
// QUNFA_WECHAT_API with that account and no simulator is started.
func TestConnectWeChatUsesConfiguredAccount(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0001", AppSecret: "the-secret", Token: "tok"})
	defer sim.Close()
	api := httptest.NewServer(sim)
	defer api.Close()

	env := envOf(map[string]string{
		"QUNFA_APPID": "wxfeedfacecafe0001", "QUNFA_APPSECRET": "the-secret", "QUNFA_TOKEN": "tok",
		"QUNFA_WECHAT_API": api.URL,
	})
	cfg, err := LoadConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	wx, err := connectWeChat(cfg, "http://127.0.0.1:1", openStore(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer wx.Close()
	if wx.sim != nil {
		t.Fatal("a sandbox was started although an account is configured")
	}
	groups, err := (gateway{wx.client}).Groups(context.Background())
	if err != nil {
		t.Fatalf("groups from the configured API: %v", err)
	}
	if len(groups) != len(sim.Groups()) {
		t.Fatalf("got %d groups, the API has %d", len(groups), len(sim.Groups()))
	}
	if sim.Calls("/cgi-bin/token") != 1 {
		t.Fatalf("token fetches at the configured API = %d, want 1", sim.Calls("/cgi-bin/token"))
	}
	if wx.codec.Token != "tok" || wx.codec.AppID != "wxfeedfacecafe0001" {
		t.Fatalf("callback codec not from the account: %+v", wx.codec)
	}

	// A wrong secret is refused by the API: the account really is the one used.
	cfg.AppSecret = "wrong"
	wx2, _ := connectWeChat(cfg, "http://127.0.0.1:1", openStore(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer wx2.Close()
	if _, err := (gateway{wx2.client}).Groups(context.Background()); err == nil {
		t.Fatal("a wrong AppSecret must fail at the configured API")
	}
}

// Without an AppID the sandbox starts inside the process and the client
// points at it.
func TestConnectWeChatStartsSandbox(t *testing.T) {
	cfg, err := LoadConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	wx, err := connectWeChat(cfg, "http://127.0.0.1:1", openStore(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer wx.Close()
	if wx.sim == nil {
		t.Fatal("no sandbox without an account")
	}
	groups, err := (gateway{wx.client}).Groups(context.Background())
	if err != nil || len(groups) == 0 {
		t.Fatalf("sandbox groups: %v %v", groups, err)
	}
}

func openStore(t *testing.T) *models.Store {
	t.Helper()
	st, err := models.Open(filepath.Join(t.TempDir(), "qunfa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A restart reuses the access token kept in the database instead of fetching
// a new one (which would invalidate the token another process still uses).
func TestRestartReusesStoredToken(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0002", AppSecret: "sec", Token: "tok"})
	defer sim.Close()
	api := httptest.NewServer(sim)
	defer api.Close()
	cfg, err := LoadConfig(nil, envOf(map[string]string{
		"QUNFA_APPID": "wxfeedfacecafe0002", "QUNFA_APPSECRET": "sec", "QUNFA_TOKEN": "tok", "QUNFA_WECHAT_API": api.URL,
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	store := openStore(t)
	for i := 0; i < 2; i++ { // two "processes" in turn on one database
		wx, err := connectWeChat(cfg, "http://127.0.0.1:1", store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (gateway{wx.client}).Groups(context.Background()); err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
		wx.Close()
	}
	if n := sim.Calls("/cgi-bin/token"); n != 1 {
		t.Fatalf("token fetched %d times across a restart, want 1", n)
	}
}

// QUNFA_STABLE_TOKEN (or -stable-token) makes the client use
// cgi-bin/stable_token, which does not invalidate other servers' tokens.
func TestStableTokenSetting(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0004", AppSecret: "sec", Token: "tok"})
	defer sim.Close()
	api := httptest.NewServer(sim)
	defer api.Close()
	for _, tc := range []struct {
		env    map[string]string
		args   []string
		stable bool
	}{
		{map[string]string{"QUNFA_STABLE_TOKEN": "true"}, nil, true},
		{nil, []string{"-stable-token"}, true},
		{nil, nil, false},
	} {
		env := map[string]string{"QUNFA_APPID": "wxfeedfacecafe0004", "QUNFA_APPSECRET": "sec", "QUNFA_TOKEN": "tok", "QUNFA_WECHAT_API": api.URL}
		for k, v := range tc.env {
			env[k] = v
		}
		cfg, err := LoadConfig(tc.args, envOf(env), io.Discard)
		if err != nil || cfg.StableToken != tc.stable {
			t.Fatalf("%v %v: StableToken=%v (%v)", tc.env, tc.args, cfg.StableToken, err)
		}
		before, beforeStable := sim.Calls("/cgi-bin/token"), sim.Calls("/cgi-bin/stable_token")
		wx, err := connectWeChat(cfg, "http://127.0.0.1:1", openStore(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (gateway{wx.client}).Groups(context.Background()); err != nil {
			t.Fatal(err)
		}
		wx.Close()
		gotStable := sim.Calls("/cgi-bin/stable_token") - beforeStable
		gotPlain := sim.Calls("/cgi-bin/token") - before
		if (tc.stable && (gotStable != 1 || gotPlain != 0)) || (!tc.stable && (gotStable != 0 || gotPlain != 1)) {
			t.Fatalf("stable=%v: stable_token %d, token %d", tc.stable, gotStable, gotPlain)
		}
	}
}

// Start-up reads its configuration once: each environment variable is looked up at most once,
// however the account is then completed from Settings.
func TestRunReadsEachSettingOnce(t *testing.T) {
	var mu sync.Mutex
	lookups := map[string]int{}
	env := envOf(map[string]string{"QUNFA_DB": filepath.Join(t.TempDir(), "qunfa.db"), "QUNFA_ADDR": "127.0.0.1:0",
		"QUNFA_TOKEN": "envtok"})
	counting := func(k string) (string, bool) {
		mu.Lock()
		lookups[k]++
		mu.Unlock()
		return env(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- run(ctx, nil, counting, io.Discard, io.Discard, ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range []string{"QUNFA_DB", "QUNFA_ADDR", EnvAppID, EnvAppSecret, EnvToken, EnvAESKey, "QUNFA_SANDBOX"} {
		if lookups[k] != 1 {
			t.Errorf("%s looked up %d times, want once", k, lookups[k])
		}
	}
}

// failingListener accepts nothing: Serve on it returns at once with its error.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("simulated accept failure") }

// listenFailingAt makes the n-th listener opened from now on (1-based) fail to accept.
func listenFailingAt(t *testing.T, n int) {
	t.Helper()
	calls := 0
	listen = func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		if calls++; calls == n && err == nil {
			return failingListener{ln}, nil
		}
		return ln, err
	}
	t.Cleanup(func() { listen = net.Listen })
}

// A sandbox whose server stops serving is not ignored: the dashboard stops with that error, and
// so does `qunfa sandbox`, each naming the operation.
func TestSandboxServeFailureIsReported(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		listenFailingAt(t, 2) // the dashboard's listener, then the sandbox's
		env := envOf(map[string]string{"QUNFA_DB": filepath.Join(t.TempDir(), "qunfa.db"), "QUNFA_ADDR": "127.0.0.1:0"})
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- run(context.Background(), nil, env, io.Discard, io.Discard, ready) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "the sandbox stopped serving") || !strings.Contains(err.Error(), "simulated accept failure") {
				t.Fatalf("run = %v, want the sandbox's serve error", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("run went on serving without its sandbox")
		}
	})
	t.Run("command", func(t *testing.T) {
		listenFailingAt(t, 1)
		err := runSandbox(context.Background(), []string{"-addr", "127.0.0.1:0"}, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "模拟器停止服务 / the sandbox stopped serving") {
			t.Fatalf("runSandbox = %v, want the serve error", err)
		}
	})
}

// A database written by a newer Qunfa stops start-up with a message in both languages naming
// both versions.
func TestRunRefusesNewerDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	known, _ := st.SchemaVersion(context.Background())
	st.Close()
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2030-01-01')`, known+5); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	err = run(context.Background(), nil, envOf(map[string]string{"QUNFA_DB": db, "QUNFA_ADDR": "127.0.0.1:0"}), io.Discard, io.Discard, nil)
	want := []string{"比本程序支持的版本", "newer than the", fmt.Sprint(known + 5), fmt.Sprint(known), db}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Fatalf("run = %v; want it to say %q", err, w)
		}
	}
}

// A mistyped setting is reported before the database is opened, so it creates no file; the
// account, which may come from the database, is checked once it has been read.
func TestBadSettingCreatesNoDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "qunfa.db")
	err := run(context.Background(), nil, envOf(map[string]string{"QUNFA_DB": db, "QUNFA_ADDR": "nonsense"}), io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Fatalf("run with QUNFA_ADDR=nonsense = %v, want the address named", err)
	}
	if _, serr := os.Stat(db); !os.IsNotExist(serr) {
		t.Fatalf("the database file exists after a refused start (%v)", serr)
	}
	// An account half given is checked after the database (where the rest may be saved).
	err = run(context.Background(), nil, envOf(map[string]string{"QUNFA_DB": db, "QUNFA_ADDR": "127.0.0.1:0",
		"QUNFA_APPID": "wx0123456789abcdef", "QUNFA_SANDBOX": "false"}), io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "QUNFA_APPSECRET") {
		t.Fatalf("run with an AppID alone = %v, want the missing account named", err)
	}
}
