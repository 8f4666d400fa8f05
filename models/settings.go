package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Settings are what the operator edits on the settings page: the WeChat account and the API
// profile. The profile holds the differences between the seed's 2014 API and today's
// (DESIGN.md "The seed's WeChat and today's") as settings rather than forks in the code:
//
//   - MaxArticles: articles in one news message — 10 on the seed's API, 8 on today's
//     (draft/add refuses more).
//   - Audience: how followers are grouped for a mass send — AudienceGroups (groups/get,
//     filter.group_id) on the seed's API, AudienceTags (tags/get, filter.tag_id) on today's.
//   - UploadPath: where the mpnews media_id comes from — UploadNews (media/uploadnews) on the
//     seed's API, UploadDraft (draft/add, the draft box) on today's.
//
// AppSecret, Token and EncodingAESKey are secrets: never logged, shown or echoed into a page.
// Values the environment sets (QUNFA_APPID, QUNFA_APPSECRET, QUNFA_TOKEN, QUNFA_AESKEY) win over
// the stored ones; Store.Settings returns only what is stored (see Overlay).
type Settings struct {
	AppID          string
	AppSecret      string
	Token          string
	EncodingAESKey string

	MaxArticles int    // 1–10
	Audience    string // AudienceGroups | AudienceTags
	UploadPath  string // UploadNews | UploadDraft

	// SandboxFollowers is the embedded sandbox's population, applied at the next start
	// (0 = never saved: the sandbox's default; QUNFA_SANDBOX_FOLLOWERS wins over it).
	SandboxFollowers int

	// SecretsUnreadable: secrets are stored but sealed under another key (the key file lost or
	// replaced): AppSecret, Token and EncodingAESKey read as empty and must be entered again.
	SecretsUnreadable bool
}

// MaxSandboxFollowers bounds the embedded sandbox's population (the scale, doubled).
const MaxSandboxFollowers = 2_000_000

// The sandbox population's settings key and form field.
const (
	keySandboxFollowers   = "sandbox_followers"
	FieldSandboxFollowers = "sandbox_followers"
)

// Values of Settings.Audience and Settings.UploadPath.
const (
	AudienceGroups = "groups"     // groups/get, filter.group_id (2014 seed)
	AudienceTags   = "tags"       // tags/get, filter.tag_id (today's API)
	UploadNews     = "uploadnews" // media/uploadnews (2014 seed)
	UploadDraft    = "draft"      // draft/add (today's API)
)

// DefaultProfile is the API profile for a mode: the sandbox follows the seed's rules (10 articles,
// groups, media/uploadnews); a real account gets today's (8 articles, tags, draft/add). Only the
// profile fields are set.
func DefaultProfile(sandbox bool) Settings {
	if sandbox {
		return Settings{MaxArticles: 10, Audience: AudienceGroups, UploadPath: UploadNews}
	}
	return Settings{MaxArticles: 8, Audience: AudienceTags, UploadPath: UploadDraft}
}

// Profile returns only the API-profile fields of s.
func (s Settings) Profile() Settings {
	return Settings{MaxArticles: s.MaxArticles, Audience: s.Audience, UploadPath: s.UploadPath}
}

// Overlay returns s with every account field that env sets in its place: the environment wins.
func (s Settings) Overlay(env Settings) Settings {
	pick := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	pick(&s.AppID, env.AppID)
	pick(&s.AppSecret, env.AppSecret)
	pick(&s.Token, env.Token)
	pick(&s.EncodingAESKey, env.EncodingAESKey)
	return s
}

// String is safe to log: secrets are masked.
func (s Settings) String() string {
	mask := func(v string) string {
		if v == "" {
			return "(unset)"
		}
		return "****"
	}
	return fmt.Sprintf("appid=%s appsecret=%s token=%s aeskey=%s max_articles=%d audience=%s upload_path=%s",
		s.AppID, mask(s.AppSecret), mask(s.Token), mask(s.EncodingAESKey), s.MaxArticles, s.Audience, s.UploadPath)
}

// GoString keeps %#v from printing the secrets too.
func (s Settings) GoString() string { return "models.Settings{" + s.String() + "}" }

// Keys of the settings table.
const (
	keyAppID           = "appid"
	keyAppSecret       = "appsecret"
	keyToken           = "token"
	keyEncodingAESKey  = "encoding_aes_key"
	keyMaxArticles     = "max_articles"
	keyAudience        = "audience"
	keyUploadPath      = "upload_path"
	keyProfileDefaults = "profile_defaults" // "seed" | "today": the defaults of a profile not yet saved
)

type settingRow struct {
	Key       string `gorm:"column:key;primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (settingRow) TableName() string { return "settings" }

// Settings returns the stored settings. Profile fields the operator has never saved take the
// defaults of the mode recorded by UseDefaultProfile (the seed's when none is recorded), so the
// pipeline can read MaxArticles, Audience and UploadPath from here as they are. Account fields
// are only what is stored: overlay the environment's values (Overlay) for the effective account.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	var rows []settingRow
	if err := s.db(ctx).Find(&rows).Error; err != nil {
		return Settings{}, fmt.Errorf("models: read settings: %w", err)
	}
	kv := make(map[string]string, len(rows))
	lost := false
	for _, r := range rows {
		kv[r.Key] = r.Value
	}
	for _, k := range secretKeys { // sealed at rest (secrets.go)
		v, ok := s.box.open(k, kv[k])
		kv[k], lost = v, lost || !ok
	}
	def := DefaultProfile(kv[keyProfileDefaults] != "today")
	out := Settings{
		AppID:          kv[keyAppID],
		AppSecret:      kv[keyAppSecret],
		Token:          kv[keyToken],
		EncodingAESKey: kv[keyEncodingAESKey],
		MaxArticles:    def.MaxArticles,
		Audience:       def.Audience,
		UploadPath:     def.UploadPath,

		SecretsUnreadable: lost,
	}
	if n, err := strconv.Atoi(kv[keyMaxArticles]); err == nil && n >= 1 && n <= maxArticlesLimit {
		out.MaxArticles = n
	}
	if v := kv[keyAudience]; v == AudienceGroups || v == AudienceTags {
		out.Audience = v
	}
	if v := kv[keyUploadPath]; v == UploadNews || v == UploadDraft {
		out.UploadPath = v
	}
	if n, err := strconv.Atoi(kv[keySandboxFollowers]); err == nil && n >= 1 && n <= MaxSandboxFollowers {
		out.SandboxFollowers = n
	}
	return out, nil
}

// UseDefaultProfile records the mode this process runs in, so that a profile the operator has
// not saved yet takes that mode's defaults (DefaultProfile). main calls it at start-up.
func (s *Store) UseDefaultProfile(ctx context.Context, sandbox bool) error {
	v := "today"
	if sandbox {
		v = "seed"
	}
	return s.putSettings(ctx, map[string]string{keyProfileDefaults: v})
}

// AccountSwitcher is what saving the account needs from the WeChat side while Qunfa runs against
// a real account; main implements it over the live API client and callback codec.
type AccountSwitcher interface {
	// Verify fetches an access_token with the credentials on a temporary client: the live
	// client and its stored token are untouched. An error is WeChat's answer (an APIError) or
	// the transport failure.
	Verify(ctx context.Context, appID, appSecret string) error
	// Apply makes account (the effective one: environment over stored) the live account at
	// once: API client and callback codec.
	Apply(account Settings)
}

// SettingsChange is one submission of the settings page.
type SettingsChange struct {
	Settings // the form; a blank AppSecret, Token or EncodingAESKey keeps the stored one

	// ClearEncodingAESKey removes the stored EncodingAESKey (plaintext callbacks only).
	ClearEncodingAESKey bool
	// Env holds the account fields the environment sets: they win, so the form's values for
	// them are ignored and their stored values left as they are.
	Env Settings
	// SandboxFollowers is the form's sandbox population as typed; nil when the page did not show
	// the field (real account, or set by the environment): the stored value stays.
	SandboxFollowers *string
	// Live is the running real account; nil in sandbox mode, where an account is stored for the
	// next start without the sandbox and neither verified nor applied now.
	Live AccountSwitcher
}

// VerifyError says that WeChat (or the way to it) refused new credentials; nothing was saved.
// Err is an APIError when WeChat answered with an errcode. Its text never holds the secret.
type VerifyError struct{ Err error }

func (e *VerifyError) Error() string { return "models: account not verified: " + e.Err.Error() }
func (e *VerifyError) Unwrap() error { return e.Err }

// ErrVerifyFailed is what errors.Is matches for any *VerifyError.
var ErrVerifyFailed = errors.New("models: account not verified")

func (e *VerifyError) Is(target error) bool { return target == ErrVerifyFailed }

// UpdateSettings is the settings page's save: validate; when running against a real account and
// the AppID or AppSecret changes, verify the new credentials with WeChat first (outside any
// transaction: the database has one connection); then store and, when live, apply the new
// account at once. It returns the effective settings (environment over stored).
func (s *Service) UpdateSettings(ctx context.Context, ch SettingsChange) (Settings, error) {
	cur, err := s.store.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	next, fe := resolveSettings(cur, ch)
	if err := fe.orNil(); err != nil {
		return Settings{}, err
	}
	was, eff := cur.Overlay(ch.Env), next.Overlay(ch.Env)
	if ch.Live != nil && (eff.AppID != was.AppID || eff.AppSecret != was.AppSecret) {
		if err := ch.Live.Verify(ctx, eff.AppID, eff.AppSecret); err != nil {
			return Settings{}, &VerifyError{Err: err}
		}
	}
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		// Resolve again inside the transaction: a save in between keeps its secrets.
		latest, err := s.store.Settings(ctx)
		if err != nil {
			return err
		}
		next, fe = resolveSettings(latest, ch)
		if err := fe.orNil(); err != nil {
			return err
		}
		return s.store.storeSettings(ctx, next)
	})
	if err != nil {
		return Settings{}, err
	}
	eff = next.Overlay(ch.Env)
	if ch.Live != nil {
		ch.Live.Apply(eff)
	}
	s.log.Info("settings saved", "appid", eff.AppID, "live", ch.Live != nil,
		"max_articles", eff.MaxArticles, "audience", eff.Audience, "upload_path", eff.UploadPath)
	return eff, nil
}

const maxArticlesLimit = 10 // the seed's limit; no WeChat API allows more

var (
	reAppID     = regexp.MustCompile(`^wx[0-9a-f]{16}$`)
	reAppSecret = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	reToken     = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	reAESKey    = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// Form field names of the settings page (the keys of its FieldErrors).
const (
	FieldAppID          = "appid"
	FieldAppSecret      = "appsecret"
	FieldToken          = "token"
	FieldEncodingAESKey = "aeskey"
	FieldMaxArticles    = "max_articles"
	FieldAudience       = "audience"
	FieldUploadPath     = "upload_path"
)

// resolveSettings turns a submission into the settings to store, given the stored ones. Secrets
// left blank keep their stored values; fields the environment sets keep theirs untouched. Only
// values from the form are format-checked (stored ones were checked when saved; the environment's
// are the operator's own business, checked by the start-up config).
func resolveSettings(cur Settings, ch SettingsChange) (Settings, FieldErrors) {
	fe := FieldErrors{}
	in, env := ch.Settings, ch.Env
	next := Settings{MaxArticles: in.MaxArticles, Audience: in.Audience, UploadPath: in.UploadPath}
	next.SandboxFollowers = cur.SandboxFollowers
	if ch.SandboxFollowers != nil {
		n, err := strconv.Atoi(strings.TrimSpace(*ch.SandboxFollowers))
		if err != nil || n < 1 || n > MaxSandboxFollowers {
			fe[FieldSandboxFollowers] = "err.settings_sandbox_followers"
		} else {
			next.SandboxFollowers = n
		}
	}

	next.AppID = cur.AppID
	if env.AppID == "" {
		next.AppID = in.AppID
		if in.AppID != "" && !reAppID.MatchString(in.AppID) {
			fe[FieldAppID] = "err.settings_appid_format"
		}
	}
	secret := func(field string, cur, env, in string, re *regexp.Regexp, key string) string {
		if env != "" || in == "" {
			return cur
		}
		if !re.MatchString(in) {
			fe[field] = key
		}
		return in
	}
	next.AppSecret = secret(FieldAppSecret, cur.AppSecret, env.AppSecret, in.AppSecret, reAppSecret, "err.settings_appsecret_format")
	next.Token = secret(FieldToken, cur.Token, env.Token, in.Token, reToken, "err.settings_token_format")
	next.EncodingAESKey = secret(FieldEncodingAESKey, cur.EncodingAESKey, env.EncodingAESKey, in.EncodingAESKey, reAESKey, "err.settings_aeskey_format")
	if ch.ClearEncodingAESKey && env.EncodingAESKey == "" {
		next.EncodingAESKey = ""
		delete(fe, FieldEncodingAESKey)
	}

	eff := next.Overlay(env)
	switch {
	case eff.AppID == "" && ch.Live != nil:
		// A running real account cannot be removed from under the process.
		fe[FieldAppID] = "err.settings_appid_required"
	case eff.AppID == "":
		// No account: nothing of one is kept (the environment's values are not stored anyway).
		next.AppSecret, next.Token, next.EncodingAESKey = "", "", ""
		delete(fe, FieldAppSecret)
		delete(fe, FieldToken)
		delete(fe, FieldEncodingAESKey)
	default:
		switch {
		case fe[FieldAppSecret] != "":
		case eff.AppSecret == "":
			fe[FieldAppSecret] = "err.settings_appsecret_required"
		case cur.AppID != "" && next.AppID != cur.AppID && in.AppSecret == "" && env.AppSecret == "":
			// The stored secret belongs to the previous account.
			fe[FieldAppSecret] = "err.settings_appsecret_new_account"
		}
		if eff.Token == "" && fe[FieldToken] == "" {
			fe[FieldToken] = "err.settings_token_required"
		}
	}

	if in.MaxArticles < 1 || in.MaxArticles > maxArticlesLimit {
		fe[FieldMaxArticles] = "err.settings_max_articles"
	}
	if in.Audience != AudienceGroups && in.Audience != AudienceTags {
		fe[FieldAudience] = "err.settings_audience"
	}
	if in.UploadPath != UploadNews && in.UploadPath != UploadDraft {
		fe[FieldUploadPath] = "err.settings_upload_path"
	}
	return next, fe
}

// storeSettings writes every key of s (an empty value is stored as "").
func (s *Store) storeSettings(ctx context.Context, v Settings) error {
	kv := map[string]string{
		keyAppID:          v.AppID,
		keyAppSecret:      v.AppSecret,
		keyToken:          v.Token,
		keyEncodingAESKey: v.EncodingAESKey,
		keyMaxArticles:    strconv.Itoa(v.MaxArticles),
		keyAudience:       v.Audience,
		keyUploadPath:     v.UploadPath,
	}
	if v.SandboxFollowers > 0 {
		kv[keySandboxFollowers] = strconv.Itoa(v.SandboxFollowers)
	}
	for _, k := range secretKeys {
		if kv[k] != "" {
			kv[k] = s.box.seal(k, kv[k])
		}
	}
	return s.putSettings(ctx, kv)
}

func (s *Store) putSettings(ctx context.Context, kv map[string]string) error {
	now := time.Now().UTC()
	rows := make([]settingRow, 0, len(kv))
	for k, v := range kv {
		rows = append(rows, settingRow{Key: k, Value: v, UpdatedAt: now})
	}
	err := s.db(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("models: save settings: %w", err)
	}
	return nil
}
