package views

// SettingsPage is the account and API-profile form. It never carries a secret's value: the
// AppSecret, Token and EncodingAESKey are write-only, shown only as set or not set.
type SettingsPage struct {
	Layout      Layout
	Sandbox     bool   // the embedded simulator stands in for WeChat
	LiveAppID   string // the account in use (real account mode)
	StoredAppID string // the account saved for a start without the sandbox ("" none)
	CallbackURL string // to paste into the WeChat backend

	AppID     AccountField
	AppSecret AccountField
	Token     AccountField
	AESKey    AccountField

	Presets     []SettingsPreset
	Preset      string // a preset's Key, or "custom"
	MaxArticles int
	Audience    string // "groups" | "tags"
	UploadPath  string // "uploadnews" | "draft"

	// SandboxFollowers is the embedded sandbox's population setting (sandbox mode only).
	SandboxFollowers SandboxFollowersField

	// Quota is WeChat's count per interface (openapi/quota/get); empty where it reports none.
	Quota QuotaTable
	// DailySync is the daily incremental follower sync setting (its own form, followers.templ).
	DailySync DailySyncSetting
	// Approval is the four-eyes setting (its own form, approval.templ).
	Approval ApprovalSetting

	Errors FieldErrors
	// VerifyError is WeChat's refusal of new credentials, already in the page language
	// ("" for none).
	VerifyError string
}

// AccountField is one account field as the page may show it.
type AccountField struct {
	Value  string // the AppID only; always "" for a secret
	Set    bool   // a value is in effect (stored, or from the environment)
	EnvVar string // the environment variable that sets it, "" when the environment does not
}

// SettingsPreset is a named API profile of the preset select.
type SettingsPreset struct {
	Key, Label           string // "seed" | "today"; catalogue key
	MaxArticles          int
	Audience, UploadPath string
}

// SandboxFollowersField is the embedded sandbox's population on the settings page.
type SandboxFollowersField struct {
	Value   int    // shown in the input: the saved size, what was typed, or the running one
	Running int    // the population the sandbox started with
	EnvVar  string // set by the environment or a flag: shown read-only ("" = editable)
}
