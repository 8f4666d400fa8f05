package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/wechat/sandbox"
)

// The embedded sandbox's population: QUNFA_SANDBOX_FOLLOWERS / -sandbox-followers reach the
// sandbox, win over the stored setting, and are checked; QUNFA_SANDBOX_GROWTH likewise.
func TestSandboxFollowersFromEnvAndFlag(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	if _, err := models.NewService(store, nil, models.Rules{}, slog.New(slog.DiscardHandler)).UpdateSettings(ctx,
		models.SettingsChange{Settings: models.DefaultProfile(true), SandboxFollowers: ptr("1234")}); err != nil {
		t.Fatal(err)
	}
	size := func(args []string, env map[string]string) int {
		t.Helper()
		parsed, err := LoadConfig(args, envOf(env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := completeConfig(ctx, parsed, store)
		if err != nil {
			t.Fatal(err)
		}
		wx, err := connectWeChat(cfg, "http://127.0.0.1:1", store, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer wx.Close()
		page, err := wx.client.Users(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.SandboxGrowth > 0 { // followers keep coming: wait for some
			for range 200 {
				if wx.sim.Followers() > page.Total {
					return wx.sim.Followers()
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatal("the sandbox does not grow")
		}
		if page.Total != wx.sim.Followers() {
			t.Fatalf("user/get total %d, sandbox %d", page.Total, wx.sim.Followers())
		}
		return page.Total
	}
	if n := size(nil, nil); n != 1234 {
		t.Errorf("stored setting: %d followers, want 1234", n)
	}
	if n := size(nil, map[string]string{EnvSandboxFollowers: "77"}); n != 77 {
		t.Errorf("QUNFA_SANDBOX_FOLLOWERS=77: %d followers", n)
	}
	if n := size([]string{"-sandbox-followers", "55"}, map[string]string{EnvSandboxFollowers: "77"}); n != 55 {
		t.Errorf("-sandbox-followers 55 over the env's 77: %d followers", n)
	}
	if n := size([]string{"-sandbox-growth", "60000"}, map[string]string{EnvSandboxFollowers: "10"}); n <= 10 {
		t.Errorf("with growth: %d followers", n)
	}
	for _, bad := range []struct {
		args []string
		env  map[string]string
	}{
		{nil, map[string]string{EnvSandboxFollowers: "0"}},
		{nil, map[string]string{EnvSandboxFollowers: "2000001"}},
		{nil, map[string]string{EnvSandboxFollowers: "many"}},
		{[]string{"-sandbox-followers", "-5"}, nil},
		{nil, map[string]string{"QUNFA_SANDBOX_GROWTH": "-1"}},
		{[]string{"-sandbox-growth", "x"}, nil},
	} {
		if _, err := LoadConfig(bad.args, envOf(bad.env), io.Discard); err == nil {
			t.Errorf("%v %v accepted", bad.args, bad.env)
		}
	}
	cfg, err := LoadConfig(nil, envOf(map[string]string{"QUNFA_SANDBOX_GROWTH": "30"}), io.Discard)
	if err != nil || cfg.SandboxGrowth != 30 {
		t.Errorf("QUNFA_SANDBOX_GROWTH=30: %d, %v", cfg.SandboxGrowth, err)
	}
}

func ptr[T any](v T) *T { return &v }

// The settings page (sandbox mode) shows the population, refuses a bad one in zh and en, saves a
// good one for the next start (saying so), and the next start uses it; the environment wins and
// makes the field read-only. Each start runs in a subtest, so it stops before the next one.
func TestSettingsPageSandboxFollowers(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "qunfa.db")
	start := func(t *testing.T, extra map[string]string) (string, *http.Client) {
		e := map[string]string{"QUNFA_DB": dbPath, "QUNFA_ADDR": "127.0.0.1:0", "QUNFA_SANDBOX": "1",
			"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse"}
		for k, v := range extra {
			e[k] = v
		}
		base := startAppWith(t, e)
		return base, loggedIn(t, base)
	}
	profile := url.Values{"preset": {"seed"}, "max_articles": {"10"}, "audience": {"groups"}, "upload_path": {"uploadnews"}}
	form := func(tok string, n *string) url.Values {
		f := url.Values{"csrf_token": {tok}}
		for k, v := range profile {
			f[k] = v
		}
		if n != nil {
			f.Set("sandbox_followers", *n)
		}
		return f
	}
	hint := func(doc *goquery.Document) string { return doc.Find(`[data-testid=sandbox-followers-hint]`).Text() }

	t.Run("save", func(t *testing.T) {
		base, c := start(t, nil)
		doc := getDoc(t, c, base+"/settings")
		in := doc.Find(`[data-testid=sandbox-followers-input]`)
		if v, _ := in.Attr("value"); v != "3000" || in.AttrOr("name", "") != "sandbox_followers" {
			t.Fatalf("sandbox followers input %q (name %q), want 3000 editable", v, in.AttrOr("name", ""))
		}
		if h := hint(doc); !strings.Contains(h, "重启后生效") || !strings.Contains(h, "3000") {
			t.Errorf("hint %q", h)
		}
		tok, _ := doc.Find(`input[name=csrf_token]`).Attr("value")
		for _, bad := range []string{"0", "2000001", "abc", ""} {
			res, body := post(t, c, base+"/settings", form(tok, &bad))
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "模拟粉丝数须为 1 至 2,000,000") {
				t.Errorf("%q: %d, want 422 with the zh error", bad, res.StatusCode)
			}
		}
		u, _ := url.Parse(base)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
		if res, body := post(t, c, base+"/settings", form(tok, ptr("-1"))); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "Simulated followers must be a whole number from 1 to 2,000,000") {
			t.Errorf("en: %d, want 422 with the en error", res.StatusCode)
		}
		if res, _ := post(t, c, base+"/settings", form(tok, ptr("4321"))); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save 4321: %d", res.StatusCode)
		}
		doc = getDoc(t, c, base+"/settings")
		if v, _ := doc.Find(`[data-testid=sandbox-followers-input]`).Attr("value"); v != "4321" ||
			!strings.Contains(hint(doc), "Takes effect after restart") || !strings.Contains(hint(doc), "3000") {
			t.Errorf("after saving: value %q, hint %q (want 4321, still running 3000)", v, hint(doc))
		}
	})
	t.Run("restart", func(t *testing.T) {
		base, c := start(t, nil)
		if h := hint(getDoc(t, c, base+"/settings")); !strings.Contains(h, "4321") {
			t.Errorf("after a restart the sandbox started with: %q, want 4321", h)
		}
	})
	t.Run("env wins", func(t *testing.T) {
		base, c := start(t, map[string]string{EnvSandboxFollowers: "99"})
		doc := getDoc(t, c, base+"/settings")
		in := doc.Find(`[data-testid=sandbox-followers-input]`)
		if v, _ := in.Attr("value"); v != "99" || in.AttrOr("name", "") != "" ||
			!strings.Contains(doc.Find(`[data-testid=settings-sandbox] [data-testid=from-env]`).Text(), EnvSandboxFollowers) {
			t.Errorf("env 99: input %q name %q", v, in.AttrOr("name", ""))
		}
		// A save without the field keeps the stored size.
		tok, _ := doc.Find(`input[name=csrf_token]`).Attr("value")
		if res, _ := post(t, c, base+"/settings", form(tok, nil)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save without the field: %d", res.StatusCode)
		}
	})
	check, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if s, _ := check.Settings(context.Background()); s.SandboxFollowers != 4321 {
		t.Errorf("stored size %d, want 4321 kept", s.SandboxFollowers)
	}
}

// startAppEmbedded is startApp that also returns the embedded sandbox and its address, so a
// journey can make followers come and go: sim.Subscribe(n), sim.Unsubscribe(ids...), or
// POST <url>/sandbox/subscribe?n=N. Not for parallel tests (embeddedSandbox is one hook).
func startAppEmbedded(t *testing.T, env map[string]string) (base string, sim *sandbox.Server, simURL string) {
	t.Helper()
	embeddedSandbox = func(s *sandbox.Server, u string) { sim, simURL = s, u }
	defer func() { embeddedSandbox = nil }()
	base = startApp(t, env)
	if sim == nil {
		t.Fatal("no embedded sandbox started")
	}
	return base, sim, simURL
}

// The embedded sandbox's controls: the banner names its address; POST /sandbox/subscribe there
// adds followers now, whose subscribe events go to Qunfa's callback; QUNFA_SANDBOX_GROWTH and
// QUNFA_SANDBOX_FOLLOWERS reach it.
func TestEmbeddedSandboxControls(t *testing.T) {
	var banner strings.Builder
	printBanner(context.Background(), &banner, Config{Sandbox: true, sandboxURL: "http://127.0.0.1:5555"}, "http://x", false, openStore(t))
	if !strings.Contains(banner.String(), "http://127.0.0.1:5555/sandbox/subscribe?n=N") {
		t.Errorf("banner %q does not name the sandbox's controls", banner.String())
	}
	_, sim, simURL := startAppEmbedded(t, map[string]string{"QUNFA_SANDBOX_GROWTH": "1", EnvSandboxFollowers: "40"})
	if n := sim.Followers(); n != 40 {
		t.Errorf("%d followers, want QUNFA_SANDBOX_FOLLOWERS=40", n)
	}
	res, err := http.Post(simURL+"/sandbox/subscribe?n=2", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		OpenIDs []string `json:"openids"`
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || len(body.OpenIDs) != 2 || sim.Followers() != 42 {
		t.Fatalf("subscribe: %v %v, %d followers", body, err, sim.Followers())
	}
	if err := sim.Unsubscribe(body.OpenIDs[0]); err != nil || sim.Followers() != 41 {
		t.Fatalf("unsubscribe: %v, %d followers", err, sim.Followers())
	}
}
