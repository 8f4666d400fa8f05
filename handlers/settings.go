package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
	"qunfa/wechat"
)

// AccountControl is the settings page's view of the running account; main provides it
// (main_account.go) in Deps.Account.
type AccountControl interface {
	// Sandbox reports whether the embedded simulator stands in for WeChat. Then a saved
	// account is neither checked nor applied: it is for the next start without the sandbox.
	Sandbox() bool
	// Env returns the account fields the environment sets; they win and are read-only here.
	Env() models.Settings
	// EnvNames returns the environment variables that set them (declared once, in main).
	EnvNames() EnvNames
	// Verify and Apply check new credentials with WeChat and switch to them (real account only).
	models.AccountSwitcher
}

// accountControl returns Deps.Account; without one (a test of another page) the page
// behaves as in sandbox mode with nothing from the environment.
func (a *app) accountControl() AccountControl {
	if a.account != nil {
		return a.account
	}
	return noAccount{}
}

type noAccount struct{}

func (noAccount) Sandbox() bool                                { return true }
func (noAccount) Env() models.Settings                         { return models.Settings{} }
func (noAccount) EnvNames() EnvNames                           { return EnvNames{} }
func (noAccount) Verify(context.Context, string, string) error { return nil }
func (noAccount) Apply(models.Settings)                        {}

// SandboxSize is the part of AccountControl main adds for the embedded sandbox's population
// setting: the size it started with, and the variable/flag that chose it ("" = Settings or the
// default, so the page lets the operator change it).
type SandboxSize interface {
	SandboxFollowers() (running int, fromEnv string)
}

// EnvNames are the environment variables of the account fields (DESIGN.md "Contract with the outside").
type EnvNames struct{ AppID, AppSecret, Token, AESKey string }

// settingsForm shows the account and the API profile (GET /settings).
func (a *app) settingsForm(c *gin.Context) error {
	stored, err := a.svc.Settings(c.Request.Context())
	if err != nil {
		return err
	}
	a.renderSettings(c, http.StatusOK, stored, stored, nil, "")
	return nil
}

// settingsSave stores the settings (POST /settings): on a real account new credentials are
// checked with WeChat first and applied at once; in sandbox mode they wait for the next start.
func (a *app) settingsSave(c *gin.Context) error {
	ctx := c.Request.Context()
	acct := a.accountControl()
	in, clearKey := parseSettingsForm(c)
	ch := models.SettingsChange{Settings: in, ClearEncodingAESKey: clearKey, Env: acct.Env()}
	if v, ok := c.GetPostForm("sandbox_followers"); ok && acct.Sandbox() {
		ch.SandboxFollowers = &v
	}
	if !acct.Sandbox() {
		ch.Live = acct
	}
	before, berr := a.svc.Settings(ctx)
	eff, err := a.svc.UpdateSettings(ctx, ch)
	if err == nil {
		if after, aerr := a.svc.Settings(ctx); berr == nil && aerr == nil {
			a.audit(c, models.AuditSettingsSave, "", "changed: "+settingsChanged(before, after))
		} else {
			a.audit(c, models.AuditSettingsSave, "", "")
		}
		if acct.Sandbox() && eff.AppID != "" && acct.Env().AppID == "" {
			a.flash(c, "flash.settings_saved_next_start")
		} else {
			a.flash(c, "flash.settings_saved")
		}
		a.redirect(c, "/settings")
		return nil
	}

	stored, serr := a.svc.Settings(ctx)
	if serr != nil {
		return serr
	}
	// What the operator typed, secrets excepted: they are never echoed back.
	shown := in
	shown.AppSecret, shown.Token, shown.EncodingAESKey = "", "", ""
	if errs, ok := validationErrors(err); ok {
		if v, ok := c.GetPostForm("sandbox_followers"); ok {
			shown.SandboxFollowers, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		a.renderSettings(c, http.StatusUnprocessableEntity, stored, shown, errs, "")
		return nil
	}
	var verr *models.VerifyError
	if errors.As(err, &verr) {
		// The client redacts the secret from its errors; the log gets the cause, the page the
		// explanation in the operator's language.
		a.log.Warn("settings: new WeChat credentials refused", "appid", in.Overlay(ch.Env).AppID, "err", err)
		a.renderSettings(c, http.StatusUnprocessableEntity, stored, shown, nil, a.verifyMessage(c, err))
		return nil
	}
	return err
}

// parseSettingsForm reads the form. A chosen preset sets the three profile fields.
func parseSettingsForm(c *gin.Context) (models.Settings, bool) {
	field := func(name string) string { return strings.TrimSpace(c.PostForm(name)) }
	in := models.Settings{
		AppID:          field("appid"),
		AppSecret:      field("appsecret"),
		Token:          field("token"),
		EncodingAESKey: field("aeskey"),
		Audience:       field("audience"),
		UploadPath:     field("upload_path"),
	}
	in.MaxArticles, _ = strconv.Atoi(field("max_articles")) // not a number → 0 → a field error
	switch field("preset") {
	case "seed":
		in = overlayProfile(in, models.DefaultProfile(true))
	case "today":
		in = overlayProfile(in, models.DefaultProfile(false))
	}
	return in, c.PostForm("aeskey_clear") != ""
}

func overlayProfile(s, profile models.Settings) models.Settings {
	s.MaxArticles, s.Audience, s.UploadPath = profile.MaxArticles, profile.Audience, profile.UploadPath
	return s
}

// verifyMessage explains WeChat's refusal of new credentials in the page language.
func (a *app) verifyMessage(c *gin.Context, err error) string {
	lang := langOf(c)
	we, ok := wechat.AsError(err)
	if !ok {
		return views.Layout{Lang: lang}.T("err.settings_unreachable")
	}
	meaning, action := errcodeText(lang, we.Code)
	return views.Layout{Lang: lang}.T("settings.verify_failed", we.Code, meaning, action)
}

// renderSettings shows the page: stored is what the database holds (the environment is laid
// over it here), form the values to show in the profile fields and the AppID input.
func (a *app) renderSettings(c *gin.Context, status int, stored, form models.Settings, errs views.FieldErrors, verifyErr string) {
	acct := a.accountControl()
	env, names := acct.Env(), acct.EnvNames()
	eff := stored.Overlay(env)
	l := a.layout(c, "settings.title")
	l.Nav = "settings"

	secret := func(envValue, effValue, envVar string) views.AccountField {
		f := views.AccountField{Set: effValue != ""}
		if envValue != "" {
			f.EnvVar = envVar
		}
		return f
	}
	p := views.SettingsPage{
		Layout:      l,
		Sandbox:     acct.Sandbox(),
		LiveAppID:   eff.AppID,
		CallbackURL: requestOrigin(c.Request) + callbackPath,
		AppID:       views.AccountField{Value: form.AppID, Set: eff.AppID != ""},
		AppSecret:   secret(env.AppSecret, eff.AppSecret, names.AppSecret),
		Token:       secret(env.Token, eff.Token, names.Token),
		AESKey:      secret(env.EncodingAESKey, eff.EncodingAESKey, names.AESKey),
		MaxArticles: form.MaxArticles,
		Audience:    form.Audience,
		UploadPath:  form.UploadPath,
		Errors:      errs,
		VerifyError: verifyErr,
	}
	if env.AppID != "" {
		p.AppID = views.AccountField{Value: env.AppID, Set: true, EnvVar: names.AppID}
	}
	if p.Sandbox && env.AppID == "" {
		p.StoredAppID = stored.AppID
	}
	p.Presets = []views.SettingsPreset{
		preset("seed", "settings.preset_seed", models.DefaultProfile(true)),
		preset("today", "settings.preset_today", models.DefaultProfile(false)),
	}
	p.Preset = "custom"
	for _, pr := range p.Presets {
		if pr.MaxArticles == p.MaxArticles && pr.Audience == p.Audience && pr.UploadPath == p.UploadPath {
			p.Preset = pr.Key
		}
	}
	if sz, ok := acct.(SandboxSize); ok && p.Sandbox {
		p.SandboxFollowers.Running, p.SandboxFollowers.EnvVar = sz.SandboxFollowers()
		p.SandboxFollowers.Value = form.SandboxFollowers
		if p.SandboxFollowers.Value == 0 || p.SandboxFollowers.EnvVar != "" {
			p.SandboxFollowers.Value = p.SandboxFollowers.Running
		}
	}
	p.Quota = a.quotaTable(c)
	if on, err := a.svc.DailyFollowerSync(c.Request.Context()); err == nil {
		p.DailySync.On = on
	}
	p.Approval = a.approvalSetting(c)
	a.render(c, status, views.Settings(p))
}

// quotaTable is WeChat's own count of each interface today, where the account reports it; a
// failure to read it leaves the table out (the nav's meter still stands).
func (a *app) quotaTable(c *gin.Context) views.QuotaTable {
	rows, err := a.svc.QuotaByInterface(c.Request.Context())
	if err != nil {
		a.log.Error("quota by interface", "err", err)
		return views.QuotaTable{}
	}
	var t views.QuotaTable
	for _, r := range rows {
		t.Rows = append(t.Rows, views.QuotaRow{Endpoint: r.Endpoint, DailyLimit: r.DailyLimit, Used: r.Used,
			Remain: r.Remain, Spent: r.Spent, CheckedAt: r.CheckedAt})
	}
	return t
}

func preset(key, label string, s models.Settings) views.SettingsPreset {
	return views.SettingsPreset{Key: key, Label: label, MaxArticles: s.MaxArticles, Audience: s.Audience, UploadPath: s.UploadPath}
}

// requestOrigin is the scheme and host the browser used, so the callback URL shown is one that
// reaches this server (behind a TLS-terminating proxy, X-Forwarded-Proto says https).
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
