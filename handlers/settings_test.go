package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/static"
	"qunfa/views/i18n"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

const (
	setAppID   = "wx0123456789abcdef"
	setSecret  = "S3cretS3cretS3cretS3cretS3cret01"
	setSecret2 = "N3wS3cretN3wS3cretN3wS3cretN3w02"
	setToken   = "tokenSecret42"
	setAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// fakeAccount is the running account as main would hand it over.
type fakeAccount struct {
	sandbox   bool
	env       models.Settings
	mu        sync.Mutex
	verifyErr error
	verified  [][2]string
	applied   []models.Settings
}

func (f *fakeAccount) Sandbox() bool        { return f.sandbox }
func (f *fakeAccount) Env() models.Settings { return f.env }
func (f *fakeAccount) EnvNames() EnvNames {
	return EnvNames{AppID: "QUNFA_APPID", AppSecret: "QUNFA_APPSECRET", Token: "QUNFA_TOKEN", AESKey: "QUNFA_AESKEY"}
}
func (f *fakeAccount) Verify(ctx context.Context, appID, appSecret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.verified = append(f.verified, [2]string{appID, appSecret})
	return f.verifyErr
}
func (f *fakeAccount) Apply(s models.Settings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, s)
}

// newSettingsApp is newTestApp with the account handed over as main does (Deps.Account), and a
// log that the test can search for secrets.
func newSettingsApp(t *testing.T, acct *fakeAccount) (*testApp, *strings.Builder) {
	t.Helper()
	ta := newTestApp(t)
	var logBuf strings.Builder
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := New(Deps{
		Service: ta.svc,
		Codec:   func() wechat.Codec { return ta.codec },
		Static:  static.FS,
		Logger:  log,
		Now:     func() time.Time { return ta.now },
		Account: acct,
	})
	ta.srv.Close()
	ta.srv = httptest.NewServer(h)
	t.Cleanup(ta.srv.Close)
	ta.client = ta.newClient()
	ta.setupAndLogin()
	return ta, &logBuf
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// settingsForm is a complete submission.
func settingsForm(tok string, kv ...string) url.Values {
	f := url.Values{
		"csrf_token":   {tok},
		"appid":        {setAppID},
		"appsecret":    {setSecret},
		"token":        {setToken},
		"aeskey":       {setAESKey},
		"preset":       {"custom"},
		"max_articles": {"8"},
		"audience":     {"tags"},
		"upload_path":  {"draft"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func assertNoSecrets(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("%s contains a secret (%q…)", where, s[:4])
		}
	}
}

func TestSettingsRequiresLogin(t *testing.T) {
	ta, _ := newSettingsApp(t, &fakeAccount{sandbox: true})
	anon := ta.newClient()
	if r := ta.getWith(anon, "/settings"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("GET /settings without login: %d %q", r.status, r.location)
	}
	if r := ta.postWith(anon, "/settings", settingsForm(""), nil); r.status != http.StatusForbidden {
		t.Fatalf("POST /settings without login: %d", r.status)
	}
}

func TestSettingsRequiresCSRF(t *testing.T) {
	ta, _ := newSettingsApp(t, &fakeAccount{sandbox: true})
	r := ta.post("/settings", settingsForm("wrong-token"))
	if r.status != http.StatusForbidden {
		t.Fatalf("POST without the CSRF token: %d, want 403", r.status)
	}
	if s, _ := ta.svc.Settings(context.Background()); s.AppID != "" {
		t.Fatal("a forged post was stored")
	}
}

func TestSettingsPageShowsModeNavAndCallbackURL(t *testing.T) {
	ta, _ := newSettingsApp(t, &fakeAccount{sandbox: true})
	r := ta.get("/settings")
	if r.status != http.StatusOK {
		t.Fatalf("GET /settings: %d", r.status)
	}
	doc := r.doc(t)
	if doc.Find(`[data-testid=nav-settings].active`).Length() != 1 {
		t.Error("the settings nav link is missing or not active")
	}
	if m, _ := doc.Find(`[data-testid=settings-mode]`).Attr("data-mode"); m != "sandbox" {
		t.Errorf("mode %q, want sandbox", m)
	}
	host := strings.TrimPrefix(ta.srv.URL, "http://")
	if got := doc.Find(`[data-testid=callback-url]`).Text(); got != "http://"+host+"/wechat/callback" {
		t.Errorf("callback URL %q", got)
	}
	// The seed's profile in the sandbox, preset selected.
	if v, _ := doc.Find(`select[name=preset] option[selected]`).Attr("value"); v != "seed" {
		t.Errorf("preset %q, want seed", v)
	}
	if v, _ := doc.Find(`select[name=max_articles] option[selected]`).Attr("value"); v != "10" {
		t.Errorf("max articles %q, want 10", v)
	}
	if doc.Find(`input[name=csrf_token]`).Length() == 0 {
		t.Error("no CSRF field in the form")
	}

	// Behind a TLS proxy the URL is https.
	req, _ := http.NewRequest(http.MethodGet, ta.srv.URL+"/settings", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	if got := ta.do(ta.client, req).doc(t).Find(`[data-testid=callback-url]`).Text(); got != "https://"+host+"/wechat/callback" {
		t.Errorf("callback URL behind TLS %q", got)
	}
}

func TestSettingsSaveInSandboxStoresForNextStart(t *testing.T) {
	acct := &fakeAccount{sandbox: true}
	ta, logs := newSettingsApp(t, acct)
	r := ta.post("/settings", settingsForm(ta.csrf("/settings")))
	if r.status != http.StatusSeeOther || r.location != "/settings" {
		t.Fatalf("save: %d %q\n%s", r.status, r.location, r.body)
	}
	s, _ := ta.svc.Settings(context.Background())
	want := models.Settings{AppID: setAppID, AppSecret: setSecret, Token: setToken, EncodingAESKey: setAESKey,
		MaxArticles: 8, Audience: "tags", UploadPath: "draft"}
	if s != want {
		t.Fatalf("stored %v, want %v", s, want)
	}
	if len(acct.verified) != 0 || len(acct.applied) != 0 {
		t.Fatalf("sandbox mode verified %v / applied %d", acct.verified, len(acct.applied))
	}

	// The page after saving: the flash says when it applies; no secret anywhere.
	page := ta.get("/settings")
	doc := page.doc(t)
	if flash := doc.Find(`[data-testid=flash]`).Text(); !strings.Contains(flash, "-sandbox") {
		t.Errorf("flash %q does not say the account applies at the next start without -sandbox", flash)
	}
	if !strings.Contains(doc.Find(`[data-testid=settings-mode]`).Text(), setAppID) {
		t.Error("the mode banner does not name the saved account")
	}
	for _, name := range []string{"appsecret", "token", "aeskey"} {
		if v, _ := doc.Find(`input[name=` + name + `]`).Attr("value"); v != "" {
			t.Errorf("%s input filled in", name)
		}
		if set, _ := doc.Find(`[data-testid=` + name + `-state]`).Attr("data-set"); set != "true" {
			t.Errorf("%s not shown as set", name)
		}
	}
	if v, _ := doc.Find(`input[name=appid]`).Attr("value"); v != setAppID {
		t.Errorf("AppID shown %q", v)
	}
	assertNoSecrets(t, "the settings page", page.body, setSecret, setToken, setAESKey)
	assertNoSecrets(t, "the log", logs.String(), setSecret, setToken, setAESKey)

	// Saving again with the secrets blank keeps them.
	r = ta.post("/settings", settingsForm(ta.csrf("/settings"), "appsecret", "", "token", "", "aeskey", "", "preset", "seed"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("second save: %d", r.status)
	}
	s, _ = ta.svc.Settings(context.Background())
	want.MaxArticles, want.Audience, want.UploadPath = 10, "groups", "uploadnews" // the preset wins
	if s != want {
		t.Fatalf("after a save with blank secrets and the seed preset: %v, want %v", s, want)
	}
}

func TestSettingsInvalidRerendersAtFieldsWithoutEchoingSecrets(t *testing.T) {
	ta, logs := newSettingsApp(t, &fakeAccount{sandbox: true})
	badSecret := "tooShortSecretValue"
	badAES := "notFortyThreeCharactersLongButSecret"
	r := ta.post("/settings", settingsForm(ta.csrf("/settings"),
		"appid", "wxNOPE", "appsecret", badSecret, "aeskey", badAES, "max_articles", "11"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", r.status)
	}
	doc := r.doc(t)
	for field, key := range map[string]string{
		"appid": "err.settings_appid_format", "appsecret": "err.settings_appsecret_format",
		"aeskey": "err.settings_aeskey_format", "max_articles": "err.settings_max_articles",
	} {
		sel := doc.Find(`[data-testid=field-error][data-field=` + field + `]`)
		if sel.Length() != 1 {
			t.Errorf("no error at %s", field)
			continue
		}
		if strings.Contains(sel.Text(), key) {
			t.Errorf("%s: untranslated %q", field, sel.Text())
		}
	}
	if v, _ := doc.Find(`input[name=appid]`).Attr("value"); v != "wxNOPE" {
		t.Errorf("the AppID typed is not kept: %q", v)
	}
	assertNoSecrets(t, "the 422 page", r.body, badSecret, badAES, setToken)
	assertNoSecrets(t, "the log", logs.String(), badSecret, badAES, setToken)
	if s, _ := ta.svc.Settings(context.Background()); s.AppID != "" {
		t.Fatal("an invalid form was stored")
	}
}

func TestSettingsLiveVerifiesAndApplies(t *testing.T) {
	acct := &fakeAccount{}
	ta, logs := newSettingsApp(t, acct)
	if m, _ := ta.get("/settings").doc(t).Find(`[data-testid=settings-mode]`).Attr("data-mode"); m != "live" {
		t.Fatalf("mode %q, want live", m)
	}

	// WeChat refuses: 422 with the explanation in the page language, nothing stored or applied.
	acct.verifyErr = &wechat.Error{Code: protocol.CodeInvalidAppSecret, Msg: "invalid appsecret rid: 1"}
	r := ta.post("/settings", settingsForm(ta.csrf("/settings")))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("refused credentials: %d, want 422", r.status)
	}
	msg := r.doc(t).Find(`[data-testid=verify-error]`).Text()
	if want := i18n.T("zh", "errcode.40125"); !strings.Contains(msg, want) || !strings.Contains(msg, "40125") {
		t.Fatalf("verify error %q does not explain 40125 (%q)", msg, want)
	}
	assertNoSecrets(t, "the refusal page", r.body, setSecret, setToken, setAESKey)
	if s, _ := ta.svc.Settings(context.Background()); s.AppID != "" {
		t.Fatal("refused credentials were stored")
	}
	if len(acct.applied) != 0 {
		t.Fatal("refused credentials were applied")
	}

	// In English the explanation is English.
	en := &http.Cookie{Name: langCookie, Value: "en"}
	u, _ := url.Parse(ta.srv.URL)
	ta.client.Jar.SetCookies(u, []*http.Cookie{en})
	acct.verifyErr = &wechat.Error{Code: protocol.CodeIPNotWhitelisted, Msg: "not in whitelist rid: 2"}
	r = ta.post("/settings", settingsForm(ta.csrf("/settings")))
	if msg := r.doc(t).Find(`[data-testid=verify-error]`).Text(); !strings.Contains(msg, i18n.T("en", fmt.Sprintf("errcode.%d", protocol.CodeIPNotWhitelisted))) {
		t.Fatalf("English verify error %q", msg)
	}
	// A network failure is not a crash either.
	acct.verifyErr = context.DeadlineExceeded
	if r = ta.post("/settings", settingsForm(ta.csrf("/settings"))); r.status != http.StatusUnprocessableEntity ||
		r.doc(t).Find(`[data-testid=verify-error]`).Length() != 1 {
		t.Fatalf("unreachable WeChat: %d", r.status)
	}

	// Accepted: verified with the new credentials, stored, applied.
	acct.verifyErr = nil
	r = ta.post("/settings", settingsForm(ta.csrf("/settings")))
	if r.status != http.StatusSeeOther {
		t.Fatalf("accepted: %d\n%s", r.status, r.body)
	}
	last := acct.verified[len(acct.verified)-1]
	if last != [2]string{setAppID, setSecret} {
		t.Fatalf("verified %v", last)
	}
	if len(acct.applied) != 1 || acct.applied[0].AppSecret != setSecret || acct.applied[0].Token != setToken {
		t.Fatalf("applied %v", acct.applied)
	}
	page := ta.get("/settings")
	if flash := page.doc(t).Find(`[data-testid=flash]`).Text(); flash == "" || strings.Contains(flash, "sandbox") {
		t.Errorf("flash %q", flash)
	}
	assertNoSecrets(t, "the page", page.body, setSecret, setToken, setAESKey)
	assertNoSecrets(t, "the log", logs.String(), setSecret, setToken, setAESKey)

	// A new secret is verified; a profile-only save is not.
	n := len(acct.verified)
	ta.post("/settings", settingsForm(ta.csrf("/settings"), "appsecret", "", "token", "", "aeskey", "", "max_articles", "5"))
	if len(acct.verified) != n {
		t.Fatal("a save that changes no credential fetched a token")
	}
	ta.post("/settings", settingsForm(ta.csrf("/settings"), "appsecret", setSecret2, "token", "", "aeskey", ""))
	if len(acct.verified) != n+1 || acct.verified[n][1] != setSecret2 {
		t.Fatalf("the new secret was not verified: %v", acct.verified)
	}
}

func TestSettingsEnvironmentValuesAreReadOnly(t *testing.T) {
	envSecret := "EnvSecretEnvSecretEnvSecretEnv99"
	acct := &fakeAccount{env: models.Settings{AppID: "wxeeeeeeeeeeeeeeee", AppSecret: envSecret, Token: "envToken"}}
	ta, _ := newSettingsApp(t, acct)
	page := ta.get("/settings")
	doc := page.doc(t)
	appid := doc.Find(`[data-testid=appid-input]`)
	if v, _ := appid.Attr("value"); v != "wxeeeeeeeeeeeeeeee" {
		t.Errorf("env AppID shown as %q", v)
	}
	if _, named := appid.Attr("name"); named {
		t.Error("the env AppID input is submitted with the form")
	}
	if _, ro := appid.Attr("readonly"); !ro {
		t.Error("the env AppID input is not read-only")
	}
	notes := doc.Find(`[data-testid=from-env]`).Text()
	for _, v := range []string{"QUNFA_APPID", "QUNFA_APPSECRET", "QUNFA_TOKEN"} {
		if !strings.Contains(notes, v) {
			t.Errorf("no 'set by environment' note naming %s", v)
		}
	}
	if doc.Find(`input[name=appsecret], input[name=token]`).Length() != 0 {
		t.Error("env-set secrets are editable")
	}
	if doc.Find(`input[name=aeskey]`).Length() != 1 {
		t.Error("the EncodingAESKey, not in the environment, is not editable")
	}
	assertNoSecrets(t, "the page", page.body, envSecret, "envToken")

	// A forged post for env-set fields changes nothing of them.
	r := ta.post("/settings", settingsForm(ta.csrf("/settings"), "appid", setAppID, "appsecret", setSecret, "token", setToken))
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, r.body)
	}
	s, _ := ta.svc.Settings(context.Background())
	if s.AppID != "" || s.AppSecret != "" || s.Token != "" || s.EncodingAESKey != setAESKey {
		t.Fatalf("stored %v: env-set fields must stay unstored, the key must be saved", s)
	}
	if len(acct.verified) != 0 {
		t.Fatalf("the environment's credentials did not change, yet verified %v", acct.verified)
	}
	if a := acct.applied[len(acct.applied)-1]; a.AppID != "wxeeeeeeeeeeeeeeee" || a.AppSecret != envSecret || a.EncodingAESKey != setAESKey {
		t.Fatalf("applied %v, want the environment's account with the new key", a)
	}
}

// TestSettingsShowsWeChatsQuotaPerInterface: where WeChat reported an interface's quota (here a
// 45009 that spent sendall's budget), the settings page lists it; otherwise no table.
func TestSettingsShowsWeChatsQuotaPerInterface(t *testing.T) {
	ta, _ := newSettingsApp(t, &fakeAccount{sandbox: true})
	if n := ta.get("/settings").doc(t).Find(`[data-testid=quota-by-interface]`).Length(); n != 0 {
		t.Fatalf("quota table shown with nothing reported (%d)", n)
	}
	if err := ta.svc.MarkBudgetSpent(context.Background(), models.EndpointSendAll); err != nil {
		t.Fatal(err)
	}
	row := ta.get("/settings").doc(t).Find(`[data-testid=quota-row][data-endpoint="` + models.EndpointSendAll + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "已用完") {
		t.Fatalf("sendall row %q, want it marked spent", row.Text())
	}
}
