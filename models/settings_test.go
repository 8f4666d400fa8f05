package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	tAppID   = "wx0123456789abcdef"
	tSecret  = "0123456789abcdef0123456789ABCDEF"
	tSecret2 = "fedcba9876543210fedcba9876543210"
	tToken   = "qunfaToken1"
	tAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

func validSettings() Settings {
	s := DefaultProfile(false)
	s.AppID, s.AppSecret, s.Token, s.EncodingAESKey = tAppID, tSecret, tToken, tAESKey
	return s
}

func TestDefaultProfile(t *testing.T) {
	if got, want := DefaultProfile(true), (Settings{MaxArticles: 10, Audience: AudienceGroups, UploadPath: UploadNews}); got != want {
		t.Errorf("sandbox/seed profile %+v, want %+v", got, want)
	}
	if got, want := DefaultProfile(false), (Settings{MaxArticles: 8, Audience: AudienceTags, UploadPath: UploadDraft}); got != want {
		t.Errorf("real-account profile %+v, want %+v", got, want)
	}
}

func TestSettingsDefaultsFollowTheRecordedMode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	got, err := f.store.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultProfile(true) {
		t.Fatalf("fresh store: %+v, want the seed's profile and no account", got)
	}
	if err := f.store.UseDefaultProfile(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Settings(ctx); got != DefaultProfile(false) {
		t.Fatalf("real account, profile never saved: %+v, want today's", got)
	}
	// Once saved, the profile no longer follows the mode.
	in := Settings{MaxArticles: 6, Audience: AudienceGroups, UploadPath: UploadDraft}
	if err := f.saveSettings(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := f.store.UseDefaultProfile(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Settings(ctx); got.Profile() != in {
		t.Fatalf("saved profile %+v, want %+v", got.Profile(), in)
	}
}

func TestSaveSettingsValidation(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Settings)
		fields map[string]string // field → catalogue key; nil = valid
	}{
		{"valid", func(*Settings) {}, nil},
		{"no account at all", func(s *Settings) { *s = s.Profile() }, nil},
		{"no aeskey", func(s *Settings) { s.EncodingAESKey = "" }, nil},
		{"max articles 1", func(s *Settings) { s.MaxArticles = 1 }, nil},
		{"max articles 10", func(s *Settings) { s.MaxArticles = 10 }, nil},
		{"appid upper hex", func(s *Settings) { s.AppID = "wx0123456789ABCDEF" }, map[string]string{FieldAppID: "err.settings_appid_format"}},
		{"appid short", func(s *Settings) { s.AppID = "wx0123" }, map[string]string{FieldAppID: "err.settings_appid_format"}},
		{"appid prefix", func(s *Settings) { s.AppID = "ab0123456789abcdef" }, map[string]string{FieldAppID: "err.settings_appid_format"}},
		{"secret 31", func(s *Settings) { s.AppSecret = tSecret[:31] }, map[string]string{FieldAppSecret: "err.settings_appsecret_format"}},
		{"secret symbol", func(s *Settings) { s.AppSecret = tSecret[:31] + "-" }, map[string]string{FieldAppSecret: "err.settings_appsecret_format"}},
		{"secret missing", func(s *Settings) { s.AppSecret = "" }, map[string]string{FieldAppSecret: "err.settings_appsecret_required"}},
		{"token short", func(s *Settings) { s.Token = "ab" }, map[string]string{FieldToken: "err.settings_token_format"}},
		{"token long", func(s *Settings) { s.Token = strings.Repeat("a", 33) }, map[string]string{FieldToken: "err.settings_token_format"}},
		{"token 3", func(s *Settings) { s.Token = "abc" }, nil},
		{"token 32", func(s *Settings) { s.Token = strings.Repeat("a", 32) }, nil},
		{"token space", func(s *Settings) { s.Token = "ab cd" }, map[string]string{FieldToken: "err.settings_token_format"}},
		{"token missing", func(s *Settings) { s.Token = "" }, map[string]string{FieldToken: "err.settings_token_required"}},
		{"aeskey 42", func(s *Settings) { s.EncodingAESKey = tAESKey[:42] }, map[string]string{FieldEncodingAESKey: "err.settings_aeskey_format"}},
		{"aeskey symbol", func(s *Settings) { s.EncodingAESKey = tAESKey[:42] + "+" }, map[string]string{FieldEncodingAESKey: "err.settings_aeskey_format"}},
		{"max articles 0", func(s *Settings) { s.MaxArticles = 0 }, map[string]string{FieldMaxArticles: "err.settings_max_articles"}},
		{"max articles 11", func(s *Settings) { s.MaxArticles = 11 }, map[string]string{FieldMaxArticles: "err.settings_max_articles"}},
		{"audience", func(s *Settings) { s.Audience = "everyone" }, map[string]string{FieldAudience: "err.settings_audience"}},
		{"upload path", func(s *Settings) { s.UploadPath = "" }, map[string]string{FieldUploadPath: "err.settings_upload_path"}},
		{"several", func(s *Settings) { s.AppID, s.Token, s.MaxArticles = "x", "", 99 }, map[string]string{
			FieldAppID: "err.settings_appid_format", FieldToken: "err.settings_token_required", FieldMaxArticles: "err.settings_max_articles"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := validSettings()
			tt.edit(&in)
			err := f.saveSettings(context.Background(), in)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("SaveSettings: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !reflect.DeepEqual(map[string]string(ve.Fields), tt.fields) {
				t.Fatalf("fields %v, want %v", ve.Fields, tt.fields)
			}
			if got, _ := f.store.Settings(context.Background()); got != DefaultProfile(true) {
				t.Fatalf("a refused save stored something: %+v", got)
			}
			for _, secret := range []string{in.AppSecret, in.Token, in.EncodingAESKey} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Fatalf("the error repeats a secret: %v", err)
				}
			}
		})
	}
}

func TestSaveSettingsRoundTripAndBlankSecretsKeepStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := validSettings()
	if err := f.saveSettings(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Settings(ctx)
	if err != nil || got != in {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, in)
	}

	// The form never shows the secrets, so it sends them back blank: keep the stored ones.
	edit := in
	edit.AppSecret, edit.Token, edit.EncodingAESKey = "", "", ""
	edit.MaxArticles, edit.Audience = 5, AudienceGroups
	if err := f.saveSettings(ctx, edit); err != nil {
		t.Fatal(err)
	}
	got, _ = f.store.Settings(ctx)
	want := in
	want.MaxArticles, want.Audience = 5, AudienceGroups
	if got != want {
		t.Fatalf("blank secrets: %+v, want %+v", got, want)
	}

	// A new secret replaces the old one.
	edit.AppSecret = tSecret2
	if err := f.saveSettings(ctx, edit); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.store.Settings(ctx); got.AppSecret != tSecret2 || got.Token != tToken {
		t.Fatalf("new secret not stored, or token lost: %v", got)
	}

	// A blank AppID removes the account, secrets included.
	if err := f.saveSettings(ctx, in.Profile()); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.store.Settings(ctx); got.AppID != "" || got.AppSecret != "" || got.Token != "" || got.EncodingAESKey != "" {
		t.Fatalf("account not removed: %v", got)
	}
}

func TestSaveSettingsNewAppIDNeedsItsSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.saveSettings(ctx, validSettings()); err != nil {
		t.Fatal(err)
	}
	in := validSettings()
	in.AppID, in.AppSecret = "wxfedcba9876543210", ""
	var ve *ValidationError
	if err := f.saveSettings(ctx, in); !errors.As(err, &ve) || ve.Fields[FieldAppSecret] != "err.settings_appsecret_new_account" {
		t.Fatalf("another AppID with the old secret: %v", err)
	}
}

func TestSettingsNeverPrintSecrets(t *testing.T) {
	s := validSettings()
	for _, out := range []string{s.String(), fmt.Sprintf("%v", s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		for _, secret := range []string{tSecret, tToken, tAESKey} {
			if strings.Contains(out, secret) {
				t.Fatalf("%q shows a secret", out)
			}
		}
		if !strings.Contains(out, tAppID) {
			t.Fatalf("%q does not show the AppID", out)
		}
	}
}

// switcher records what UpdateSettings asks of the WeChat side.
type switcher struct {
	verifyErr error
	verified  [][2]string
	applied   []Settings
}

func (s *switcher) Verify(ctx context.Context, appID, appSecret string) error {
	s.verified = append(s.verified, [2]string{appID, appSecret})
	return s.verifyErr
}

func (s *switcher) Apply(a Settings) { s.applied = append(s.applied, a) }

func TestUpdateSettingsVerifiesThenStoresThenApplies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.saveSettings(ctx, validSettings()); err != nil {
		t.Fatal(err)
	}

	// WeChat refuses the new secret: nothing is stored or applied.
	sw := &switcher{verifyErr: &fakeAPIError{code: 40125}}
	in := validSettings()
	in.AppSecret = tSecret2
	_, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in, Live: sw})
	var verr *VerifyError
	if !errors.As(err, &verr) || !errors.Is(err, ErrVerifyFailed) {
		t.Fatalf("err = %v, want a *VerifyError", err)
	}
	if ae, ok := asAPIError(err); !ok || ae.Errcode() != 40125 {
		t.Fatalf("the errcode is lost: %v", err)
	}
	if got, _ := f.store.Settings(ctx); got.AppSecret != tSecret {
		t.Fatal("a refused secret was stored")
	}
	if len(sw.verified) != 1 || sw.verified[0] != [2]string{tAppID, tSecret2} || len(sw.applied) != 0 {
		t.Fatalf("verified %v, applied %v", sw.verified, sw.applied)
	}

	// Accepted: stored and applied.
	sw.verifyErr = nil
	eff, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in, Live: sw})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Settings(ctx); got.AppSecret != tSecret2 || eff != got {
		t.Fatalf("stored %v, effective %v", got, eff)
	}
	if len(sw.applied) != 1 || sw.applied[0].AppSecret != tSecret2 {
		t.Fatalf("applied %v", sw.applied)
	}

	// Only the profile changes: no verification (a token fetch would invalidate the live one),
	// but the (same) account is applied.
	in.AppSecret, in.MaxArticles = "", 3
	if _, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in, Live: sw}); err != nil {
		t.Fatal(err)
	}
	if len(sw.verified) != 2 || len(sw.applied) != 2 {
		t.Fatalf("verified %d times, applied %d", len(sw.verified), len(sw.applied))
	}

	// A running real account cannot be removed.
	var ve *ValidationError
	if _, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in.Profile(), Live: sw}); !errors.As(err, &ve) || ve.Fields[FieldAppID] != "err.settings_appid_required" {
		t.Fatalf("removing the live account: %v", err)
	}

	// In sandbox mode (no Live) the account is stored without a check.
	in.AppID, in.AppSecret = "wxfedcba9876543210", tSecret
	if _, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Settings(ctx); got.AppID != "wxfedcba9876543210" {
		t.Fatalf("sandbox mode: %v", got)
	}
}

func TestUpdateSettingsEnvironmentWins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stored := validSettings()
	if err := f.saveSettings(ctx, stored); err != nil {
		t.Fatal(err)
	}
	env := Settings{AppID: "wxeeeeeeeeeeeeeeee", AppSecret: "from-env-not-validated-here"}
	sw := &switcher{}
	in := validSettings()
	in.AppID, in.AppSecret, in.Token = "not an appid", "also not a secret", "newToken"
	eff, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in, Env: env, Live: sw})
	if err != nil {
		t.Fatalf("the form's values for env-set fields must be ignored, not validated: %v", err)
	}
	got, _ := f.store.Settings(ctx)
	if got.AppID != tAppID || got.AppSecret != tSecret || got.Token != "newToken" {
		t.Fatalf("stored %v: env-set fields must keep their stored values, others change", got)
	}
	if eff.AppID != env.AppID || eff.AppSecret != env.AppSecret || eff.Token != "newToken" {
		t.Fatalf("effective %v, want the environment's account with the new token", eff)
	}
	if len(sw.verified) != 0 {
		t.Fatalf("credentials from the environment did not change, yet verified: %v", sw.verified)
	}
	if len(sw.applied) != 1 || sw.applied[0].AppID != env.AppID {
		t.Fatalf("applied %v", sw.applied)
	}

	// With the account in the environment and none stored, a profile-only save is valid.
	f2 := newFixture(t)
	env2 := Settings{AppID: tAppID, AppSecret: tSecret, Token: tToken}
	if _, err := f2.svc.UpdateSettings(ctx, SettingsChange{Settings: DefaultProfile(false), Env: env2, Live: sw}); err != nil {
		t.Fatalf("profile-only save with the account in the environment: %v", err)
	}
	if got, _ := f2.store.Settings(ctx); got.AppID != "" || got.AppSecret != "" {
		t.Fatalf("the environment's account was written to the database: %v", got)
	}
}

func TestClearEncodingAESKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.saveSettings(ctx, validSettings()); err != nil {
		t.Fatal(err)
	}
	in := validSettings()
	in.AppSecret, in.Token, in.EncodingAESKey = "", "", ""
	if _, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in, ClearEncodingAESKey: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Settings(ctx); got.EncodingAESKey != "" || got.AppSecret != tSecret {
		t.Fatalf("after clearing the key: %v", got)
	}
}

// saveSettings stores in through the one checked write path, as the settings page does in
// sandbox mode (no live account to verify with).
func (f *fixture) saveSettings(ctx context.Context, in Settings) error {
	_, err := f.svc.UpdateSettings(ctx, SettingsChange{Settings: in})
	return err
}

// Settings are written only by UpdateSettings, which checks new credentials on a live account;
// the Store has no second, unchecked way in.
func TestStoreHasNoUncheckedSettingsWrite(t *testing.T) {
	for _, name := range []string{"SaveSettings", "StoreSettings"} {
		if _, ok := reflect.TypeOf(&Store{}).MethodByName(name); ok {
			t.Errorf("Store.%s exists: settings must be written through Service.UpdateSettings", name)
		}
	}
}
