package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

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
