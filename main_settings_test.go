package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// Two accounts, each with its own simulated WeChat.
var (
	acctA = models.Settings{
		AppID: "wxaaaaaaaaaaaaaaa1", AppSecret: "secretAsecretAsecretAsecretA0001", Token: "tokenA",
		MaxArticles: 8, Audience: models.AudienceTags, UploadPath: models.UploadDraft,
	}
	acctB = models.Settings{
		AppID: "wxbbbbbbbbbbbbbbb2", AppSecret: "secretBsecretBsecretBsecretB0002", Token: "tokenB",
		EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		MaxArticles:    8, Audience: models.AudienceTags, UploadPath: models.UploadDraft,
	}
)

// twoWeChats serves one API base URL in front of one sandbox per account: a token request goes
// to the sandbox of its appid, any other call to the sandbox that issued its access_token.
type twoWeChats struct {
	sims  map[string]*sandbox.Server // appid → sandbox
	mu    sync.Mutex
	owner map[string]*sandbox.Server // access_token → sandbox
	url   string
}

func newTwoWeChats(t *testing.T, accounts ...models.Settings) *twoWeChats {
	t.Helper()
	w := &twoWeChats{sims: map[string]*sandbox.Server{}, owner: map[string]*sandbox.Server{}}
	for _, a := range accounts {
		sim := sandbox.New(sandbox.Config{AppID: a.AppID, AppSecret: a.AppSecret, Token: a.Token, Followers: 50,
			Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(sim.Close)
		w.sims[a.AppID] = sim
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *twoWeChats) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == "/cgi-bin/token" {
		sim, ok := w.sims[q.Get("appid")]
		if !ok {
			rw.Write([]byte(`{"errcode":40013,"errmsg":"invalid appid rid: test"}`))
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.AccessToken != "" {
			w.mu.Lock()
			w.owner[body.AccessToken] = sim
			w.mu.Unlock()
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(rec.Body.Bytes())
		return
	}
	w.mu.Lock()
	sim, ok := w.owner[q.Get("access_token")]
	w.mu.Unlock()
	if !ok {
		rw.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential rid: test"}`))
		return
	}
	sim.ServeHTTP(rw, r)
}

func (w *twoWeChats) calls(appID, path string) int { return w.sims[appID].Calls(path) }

func TestStartupTakesTheAccountFromEnvElseSettings(t *testing.T) {
	ctx := context.Background()
	withStored := openStore(t)
	if err := storeSettings(ctx, withStored, acctA); err != nil {
		t.Fatal(err)
	}
	empty := openStore(t)
	tests := []struct {
		name        string
		store       *models.Store
		args        []string
		env         map[string]string
		wantSandbox bool
		wantAppID   string
		wantToken   string
		wantErr     bool
	}{
		{"stored account, nothing in env", withStored, nil, nil, false, acctA.AppID, acctA.Token, false},
		{"env wins", withStored, nil, map[string]string{"QUNFA_APPID": acctB.AppID, "QUNFA_APPSECRET": "x", "QUNFA_TOKEN": "envtok"},
			false, acctB.AppID, "envtok", false},
		{"env wins field by field", withStored, nil, map[string]string{"QUNFA_TOKEN": "envtok"}, false, acctA.AppID, "envtok", false},
		{"explicit -sandbox ignores the stored account", withStored, []string{"-sandbox"}, nil, true, "", "", false},
		{"QUNFA_SANDBOX=true ignores it too", withStored, nil, map[string]string{"QUNFA_SANDBOX": "true"}, true, "", "", false},
		{"QUNFA_SANDBOX=false uses the stored account", withStored, nil, map[string]string{"QUNFA_SANDBOX": "false"}, false, acctA.AppID, acctA.Token, false},
		{"no AppID anywhere: sandbox", empty, nil, nil, true, "", "", false},
		{"no AppID anywhere and -sandbox=false: error", empty, []string{"-sandbox=false"}, nil, false, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envOf(tt.env)
			parsed, err := ParseConfig(tt.args, env, io.Discard)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			cfg, err := completeConfig(ctx, parsed, tt.store)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Sandbox != tt.wantSandbox || cfg.AppID != tt.wantAppID || cfg.Token != tt.wantToken {
				t.Fatalf("sandbox=%t appid=%q token=%q; want %t %q %q", cfg.Sandbox, cfg.AppID, cfg.Token,
					tt.wantSandbox, tt.wantAppID, tt.wantToken)
			}
		})
	}
}

// Saving new credentials switches the running client and the callback codec at once; refused
// credentials change nothing.
func TestSavedAccountSwitchesTheLiveClientAndCodec(t *testing.T) {
	ctx := context.Background()
	wc := newTwoWeChats(t, acctA, acctB)
	store := openStore(t)
	if err := storeSettings(ctx, store, acctA); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"QUNFA_WECHAT_API": wc.url})
	parsed, err := ParseConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := completeConfig(ctx, parsed, store)
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	wx, err := connectWeChat(cfg, "http://127.0.0.1:1", store, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer wx.Close()
	live := newLiveAccount(cfg, wx, parsed.EnvAccount(), store, logger)
	gw := gateway{wx.client}
	svc := models.NewService(store, gw, models.Rules{}, logger)

	if _, err := gw.Groups(ctx); err != nil {
		t.Fatalf("groups as A: %v", err)
	}
	if wc.calls(acctA.AppID, "/cgi-bin/groups/get") != 1 {
		t.Fatal("the first call did not go to account A")
	}

	// A wrong secret for B: refused by WeChat (40001), nothing changes.
	wrong := acctB
	wrong.AppSecret = "wrongwrongwrongwrongwrongwrong00"
	_, err = svc.UpdateSettings(ctx, models.SettingsChange{Settings: wrong, Live: live})
	if we, ok := wechat.AsError(err); !ok || we.Code != protocol.CodeInvalidCredential || !errors.Is(err, models.ErrVerifyFailed) {
		t.Fatalf("wrong secret: %v", err)
	}
	if live.Codec().AppID != acctA.AppID || wx.client.AppID() != acctA.AppID {
		t.Fatal("refused credentials were applied")
	}
	tokA, _, _ := store.AccessTokens(acctA.AppID).Load(ctx)

	// The right one: verified on B with a temporary client, then applied.
	if _, err := svc.UpdateSettings(ctx, models.SettingsChange{Settings: acctB, Live: live}); err != nil {
		t.Fatal(err)
	}
	if n := wc.calls(acctB.AppID, "/cgi-bin/token"); n != 1 {
		t.Fatalf("token fetches at B after the check = %d, want 1", n)
	}
	// The check's token is kept: a fetch invalidates the previous token, so
	// the live client must go on with this one rather than fetch again.
	if tok, _, _ := store.AccessTokens(acctB.AppID).Load(ctx); tok == "" {
		t.Fatal("the check's token was thrown away")
	}
	if _, err := gw.Groups(ctx); err != nil {
		t.Fatalf("groups after the switch: %v", err)
	}
	if n := wc.calls(acctB.AppID, "/cgi-bin/token"); n != 1 {
		t.Fatalf("token fetches at B after the switch = %d, want still 1 (the verified token reused)", n)
	}
	if wc.calls(acctB.AppID, "/cgi-bin/groups/get") != 1 || wc.calls(acctA.AppID, "/cgi-bin/groups/get") != 1 {
		t.Fatal("the call after saving was not made as account B")
	}
	if tok, _, _ := store.AccessTokens(acctB.AppID).Load(ctx); tok == "" {
		t.Fatal("B's live token is not kept in the database")
	}
	if tok, _, _ := store.AccessTokens(acctA.AppID).Load(ctx); tok != tokA {
		t.Fatal("A's stored token was replaced")
	}
	if c := live.Codec(); c.AppID != acctB.AppID || c.Token != acctB.Token || c.EncodingAESKey != acctB.EncodingAESKey {
		t.Fatalf("codec %+v does not follow", c.AppID)
	}
	for _, secret := range []string{acctA.AppSecret, acctB.AppSecret, wrong.AppSecret, acctB.EncodingAESKey} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a secret is in the log")
		}
	}
}

// The whole binary: it starts on the account saved in Settings (no env), the settings page says
// so, and saving another account through the page switches the callback codec at once.
func TestRunUsesStoredAccountAndSettingsPageSwitchesIt(t *testing.T) {
	wc := newTwoWeChats(t, acctA, acctB)
	dbPath := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := storeSettings(context.Background(), st, acctA); err != nil {
		t.Fatal(err)
	}
	st.Close()

	base := startAppWith(t, map[string]string{
		"QUNFA_DB": dbPath, "QUNFA_ADDR": "127.0.0.1:0", "QUNFA_WECHAT_API": wc.url,
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse",
	})
	c := loggedIn(t, base)

	doc := getDoc(t, c, base+"/settings")
	mode := doc.Find(`[data-testid=settings-mode]`)
	if m, _ := mode.Attr("data-mode"); m != "live" || !strings.Contains(mode.Text(), acctA.AppID) {
		t.Fatalf("mode %q %q: want live on %s", m, mode.Text(), acctA.AppID)
	}
	if v, _ := doc.Find(`select[name=preset] option[selected]`).Attr("value"); v != "today" {
		t.Errorf("a real account's profile preset %q, want today", v)
	}
	if verifyURL(t, base, acctA.Token) != http.StatusOK {
		t.Fatal("callback verification with A's token refused")
	}

	form := func(a models.Settings) url.Values {
		tok, _ := doc.Find(`input[name=csrf_token]`).Attr("value")
		return url.Values{"csrf_token": {tok}, "appid": {a.AppID}, "appsecret": {a.AppSecret}, "token": {a.Token},
			"aeskey": {a.EncodingAESKey}, "preset": {"today"}}
	}
	wrong := acctB
	wrong.AppSecret = "wrongwrongwrongwrongwrongwrong00"
	res, body := post(t, c, base+"/settings", form(wrong))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "40001") {
		t.Fatalf("wrong secret: %d", res.StatusCode)
	}
	if strings.Contains(body, wrong.AppSecret) {
		t.Fatal("the refused secret is echoed")
	}
	if verifyURL(t, base, acctA.Token) != http.StatusOK {
		t.Fatal("a refused save changed the codec")
	}

	res, _ = post(t, c, base+"/settings", form(acctB))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save B: %d", res.StatusCode)
	}
	if verifyURL(t, base, acctB.Token) != http.StatusOK || verifyURL(t, base, acctA.Token) != http.StatusForbidden {
		t.Fatal("the callback codec did not follow the saved account")
	}
	page := getDoc(t, c, base+"/settings")
	if !strings.Contains(page.Find(`[data-testid=settings-mode]`).Text(), acctB.AppID) {
		t.Fatal("the page does not show B as the account in use")
	}
	html, _ := page.Html()
	for _, s := range []string{acctB.AppSecret, acctB.EncodingAESKey, acctA.AppSecret} {
		if strings.Contains(html, s) {
			t.Fatal("a secret is in the settings page")
		}
	}
}

// startAppWith runs the binary in-process with exactly env and returns its URL.
func startAppWith(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(env), io.Discard, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v", err)
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatalf("run failed: %v", err)
	}
	return ""
}

func loggedIn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tok, _ := getDoc(t, c, base+"/login").Find(`input[name=csrf_token]`).Attr("value")
	res, _ := post(t, c, base+"/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct horse"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	return c
}

func getDoc(t *testing.T, c *http.Client, u string) *goquery.Document {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// verifyURL makes WeChat's URL-verification request signed with token; the status says
// whether the running codec accepted it.
func verifyURL(t *testing.T, base, token string) int {
	t.Helper()
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "n0nce"
	q := url.Values{"signature": {wechat.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {"echo123"}}
	res, err := http.Get(base + "/wechat/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// In the browser (sandbox mode): the preset fills the profile fields, a field changed by hand
// makes the profile custom, and a saved account says it waits for a start without -sandbox.
func TestBrowserSettings(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse"})
	ctx := newBrowser(t, browser)
	do(t, ctx, "login", logIn(base, "admin", "correct horse"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-settings]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-settings]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=settings-form]`)),
	)
	choose := func(name, value string) string {
		return `(() => { const e = document.querySelector('[data-testid=settings-form]').elements[` + strconv.Quote(name) + `];
			e.value = ` + strconv.Quote(value) + `; e.dispatchEvent(new Event('change')); return true; })()`
	}
	profile := `['preset','max_articles','audience','upload_path'].map(n => document.querySelector('[data-testid=settings-form]').elements[n].value).join(',')`
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](profile)); err != nil || got != "seed,10,groups,uploadnews" {
		t.Fatalf("sandbox profile %q, %v", got, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](choose("preset", "today"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](profile)); got != "today,8,tags,draft" {
		t.Fatalf("after choosing today's preset: %q", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](choose("audience", "groups"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](profile)); got != "custom,8,groups,draft" {
		t.Fatalf("after changing a field by hand: %q", got)
	}
	do(t, ctx, "save",
		chromedp.SendKeys(chromedp.CSS(`input[name=appid]`), acctA.AppID),
		chromedp.SendKeys(chromedp.CSS(`input[name=appsecret]`), acctA.AppSecret),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), acctA.Token),
		chromedp.Click(chromedp.CSS(`[data-testid=settings-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if flash, _ := text(ctx, `[data-testid=flash]`); !strings.Contains(flash, "-sandbox") {
		t.Errorf("flash %q", flash)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](profile)); got != "custom,8,groups,draft" {
		t.Errorf("saved profile %q", got)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, acctA.AppSecret) || strings.Contains(html, acctA.Token) {
		t.Fatal("a secret is in the page after saving")
	}
	if state, _ := text(ctx, `[data-testid=appsecret-state]`); !strings.Contains(state, "已设置") {
		t.Errorf("AppSecret state %q, want 已设置", state)
	}
	// The worker asked the sandbox's openapi/quota/get at start: WeChat's count per interface is
	// on the page (the seed's one budget of 10, nothing used yet).
	do(t, ctx, "quota per interface",
		chromedp.Navigate(base+"/settings"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=quota-by-interface]`)),
	)
	remain, _ := text(ctx, `[data-testid=quota-row][data-endpoint="message/mass/sendall"] [data-testid=quota-remain]`)
	if strings.TrimSpace(remain) != "10" {
		t.Errorf("sendall remain %q, want the sandbox's 10", remain)
	}
	shot(t, ctx, "settings")
}

// Changing the EncodingAESKey keeps the old one as the codec's previous key,
// so pushes WeChat sealed before the change still open.
func TestApplyKeepsPreviousAESKey(t *testing.T) {
	const oldKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	const newKey = "AdiqDDDvUNCeE1ZW5XJmjf9fqNBJpGBs4vL4cHKmHBS"
	live := &liveAccount{log: slog.New(slog.DiscardHandler), appID: "wx1", secret: "s",
		codec: wechat.Codec{Token: "t", AppID: "wx1", EncodingAESKey: oldKey}}
	live.Apply(models.Settings{AppID: "wx1", AppSecret: "s", Token: "t", EncodingAESKey: newKey})
	if c := live.Codec(); c.EncodingAESKey != newKey || c.PreviousEncodingAESKey != oldKey {
		t.Fatalf("after a key change: current %q previous %q", c.EncodingAESKey, c.PreviousEncodingAESKey)
	}
	live.Apply(models.Settings{AppID: "wx1", AppSecret: "s", Token: "t2", EncodingAESKey: newKey})
	if c := live.Codec(); c.PreviousEncodingAESKey != oldKey || c.Token != "t2" {
		t.Fatalf("a save without a key change lost the previous key: %+v", c.Token)
	}
}

// storeSettings saves acct through the settings page's checked path (nothing live to verify).
func storeSettings(ctx context.Context, st *models.Store, acct models.Settings) error {
	_, err := models.NewService(st, nil, models.Rules{}, nil).UpdateSettings(ctx, models.SettingsChange{Settings: acct})
	return err
}

// The settings page names the variables that set the account as main declares them
// (config.go), and only those the environment sets.
func TestSettingsPageNamesTheAccountVariables(t *testing.T) {
	wc := newTwoWeChats(t, acctA)
	dbPath := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := storeSettings(context.Background(), st, acctA); err != nil {
		t.Fatal(err)
	}
	st.Close()
	base := startAppWith(t, map[string]string{
		"QUNFA_DB": dbPath, "QUNFA_ADDR": "127.0.0.1:0", "QUNFA_WECHAT_API": wc.url, EnvToken: "envtoken",
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse",
	})
	account := getDoc(t, loggedIn(t, base), base+"/settings").Find(`[data-testid=settings-account]`).Text()
	if !strings.Contains(account, EnvToken) {
		t.Errorf("the page does not say the Token comes from %s: %s", EnvToken, account)
	}
	for _, v := range []string{EnvAppID, EnvAppSecret, EnvAESKey} {
		if strings.Contains(account, v) {
			t.Errorf("the page names %s, which is not set: %s", v, account)
		}
	}
}
