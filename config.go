package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat/protocol"
)

// Config is everything the operator can set from outside: defaults, then the
// environment, then flags (DESIGN.md "Contract with the outside"), then — for the account
// fields the environment leaves unset — what the operator saved in Settings (WithStored).
type Config struct {
	Addr      string
	DB        string
	WeChatAPI string
	AppID     string
	AppSecret string
	Token     string
	AESKey    string
	AdminUser string
	AdminPass string
	Sandbox   bool
	// StableToken fetches access tokens with cgi-bin/stable_token (§1.2),
	// which other servers of the same account can share without invalidating
	// each other's token.
	StableToken bool
	DailyQuota  int
	MonthlyCap  int

	// SandboxFollowers is the embedded sandbox's population at start (QUNFA_SANDBOX_FOLLOWERS,
	// -sandbox-followers; 0 → the size saved in Settings, else the sandbox's 3000).
	SandboxFollowers int
	// SandboxGrowth is how many new followers a minute the embedded sandbox gains, each pushing a
	// subscribe event (QUNFA_SANDBOX_GROWTH, -sandbox-growth; 0 = none).
	SandboxGrowth int
	// sandboxURL is the embedded sandbox's address once it listens (for the banner).
	sandboxURL string
	// sandboxFollowersSet records an explicit size (env or flag): it wins over the stored setting.
	sandboxFollowersSet bool

	// sandboxFinishDelay is the embedded sandbox's pause before it pushes MASSSENDJOBFINISH
	// (0 → its 3 s). For tests only, so browser journeys need not wait: QUNFA_SANDBOX_FINISH_DELAY
	// (a Go duration), no flag, not in the README.
	sandboxFinishDelay time.Duration
	// sandboxSet records an explicit -sandbox / QUNFA_SANDBOX, which wins over the default
	// (sandbox exactly when no AppID is configured).
	sandboxSet bool

	// TrustedProxies are the proxies whose X-Forwarded-For names the client (comma-separated
	// IPs or CIDRs; QUNFA_TRUSTED_PROXIES, -trusted-proxies; default none: the header is ignored).
	TrustedProxies string
	// SessionIdle ends a logged-in session unused this long (QUNFA_SESSION_IDLE, -session-idle;
	// 0: the web layer's default, 2 h).
	SessionIdle time.Duration
	// SecretKey seals the secrets stored in Settings (QUNFA_SECRET_KEY, base64 of 32 bytes; no
	// flag, so it stays out of ps). Empty: the key file beside the database.
	SecretKey string
}

// The environment variables of the account (DESIGN.md "Contract with the outside"): the one
// declaration, read here and shown by the settings page (liveAccount.EnvNames).
const (
	EnvAppID     = "QUNFA_APPID"
	EnvAppSecret = "QUNFA_APPSECRET"
	EnvToken     = "QUNFA_TOKEN"
	EnvAESKey    = "QUNFA_AESKEY"

	// EnvSandboxFollowers sets the embedded sandbox's population; it wins over Settings.
	EnvSandboxFollowers = "QUNFA_SANDBOX_FOLLOWERS"
)

// LoadConfig is the configuration without a database: ParseConfig, then Validate.
func LoadConfig(args []string, env func(string) (string, bool), stderr io.Writer) (Config, error) {
	cfg, err := ParseConfig(args, env, stderr)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// ParseConfig reads env (a lookup function, so tests need not touch the process environment)
// and then args, each once. It only parses: values that are not numbers or booleans are errors
// here; whether the whole makes sense is Validate's job, once the stored account is overlaid.
func ParseConfig(args []string, env func(string) (string, bool), stderr io.Writer) (Config, error) {
	cfg := Config{
		Addr:       "127.0.0.1:8080",
		DB:         "qunfa.db",
		WeChatAPI:  protocol.DefaultAPIBaseURL,
		DailyQuota: 10,
		MonthlyCap: 4,
	}
	str := func(key string, dst *string) {
		if v, ok := env(key); ok && v != "" {
			*dst = v
		}
	}
	str("QUNFA_ADDR", &cfg.Addr)
	str("QUNFA_DB", &cfg.DB)
	str("QUNFA_WECHAT_API", &cfg.WeChatAPI)
	str(EnvAppID, &cfg.AppID)
	str(EnvAppSecret, &cfg.AppSecret)
	str(EnvToken, &cfg.Token)
	str(EnvAESKey, &cfg.AESKey)
	str("QUNFA_ADMIN_USER", &cfg.AdminUser)
	str("QUNFA_ADMIN_PASSWORD", &cfg.AdminPass)
	str("QUNFA_TRUSTED_PROXIES", &cfg.TrustedProxies)
	str("QUNFA_SECRET_KEY", &cfg.SecretKey)

	var errs []error
	intEnv := func(key string, dst *int) {
		if v, ok := env(key); ok && v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, errors.New(i18n.Both("startup.not_integer", key, v)))
				return
			}
			*dst = n
		}
	}
	boolEnv := func(key string) (b, set bool) {
		v, ok := env(key)
		if !ok || v == "" {
			return false, false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, errors.New(i18n.Both("startup.not_bool", key, v)))
			return false, false
		}
		return b, true
	}
	cfg.StableToken, _ = boolEnv("QUNFA_STABLE_TOKEN")
	intEnv("QUNFA_DAILY_QUOTA", &cfg.DailyQuota)
	intEnv("QUNFA_MONTHLY_CAP", &cfg.MonthlyCap)
	intEnv(EnvSandboxFollowers, &cfg.SandboxFollowers)
	if v, ok := env(EnvSandboxFollowers); ok && v != "" {
		cfg.sandboxFollowersSet = true
	}
	intEnv("QUNFA_SANDBOX_GROWTH", &cfg.SandboxGrowth)
	if v, ok := env("QUNFA_SANDBOX_FINISH_DELAY"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, errors.New(i18n.Both("startup.not_duration", "QUNFA_SANDBOX_FINISH_DELAY", v)))
		}
		cfg.sandboxFinishDelay = d
	}

	if v, ok := env("QUNFA_SESSION_IDLE"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, errors.New(i18n.Both("startup.not_duration", "QUNFA_SESSION_IDLE", v)))
		}
		cfg.SessionIdle = d
	}

	// The sandbox defaults to on exactly when no account is configured; an
	// explicit setting (env or flag) wins.
	cfg.Sandbox, cfg.sandboxSet = boolEnv("QUNFA_SANDBOX")
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}

	fs := flag.NewFlagSet("qunfa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address 监听地址 (QUNFA_ADDR)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite database file, or a postgres:// URL 数据库文件或 PostgreSQL URL (QUNFA_DB)")
	fs.StringVar(&cfg.WeChatAPI, "wechat-api", cfg.WeChatAPI, "WeChat API base URL 微信接口地址 (QUNFA_WECHAT_API)")
	fs.BoolVar(&cfg.Sandbox, "sandbox", cfg.Sandbox, "run the embedded WeChat simulator 使用内置模拟器 (QUNFA_SANDBOX; default: on when no AppID)")
	fs.BoolVar(&cfg.StableToken, "stable-token", cfg.StableToken, "fetch tokens with cgi-bin/stable_token 使用稳定版接口调用凭据 (QUNFA_STABLE_TOKEN)")
	fs.IntVar(&cfg.DailyQuota, "daily-quota", cfg.DailyQuota, "advanced-API calls per day 每日高级接口调用次数 (QUNFA_DAILY_QUOTA)")
	fs.IntVar(&cfg.MonthlyCap, "monthly-cap", cfg.MonthlyCap, "mass messages per follower per month 每位粉丝每月群发上限 (QUNFA_MONTHLY_CAP)")
	fs.IntVar(&cfg.SandboxFollowers, "sandbox-followers", cfg.SandboxFollowers, "followers of the embedded simulator 模拟器粉丝数 (QUNFA_SANDBOX_FOLLOWERS; default: Settings, else 3000)")
	fs.IntVar(&cfg.SandboxGrowth, "sandbox-growth", cfg.SandboxGrowth, "new followers a minute in the embedded simulator 模拟器每分钟新增粉丝 (QUNFA_SANDBOX_GROWTH)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies, "proxies whose X-Forwarded-For is believed, comma-separated CIDRs 可信代理 (QUNFA_TRUSTED_PROXIES; default none)")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", cfg.SessionIdle, "log out after this long without activity 闲置多久后退出登录 (QUNFA_SESSION_IDLE; default 2h)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "sandbox":
			cfg.sandboxSet = true
		case "sandbox-followers":
			cfg.sandboxFollowersSet = true
		}
	})
	if !cfg.sandboxSet {
		cfg.Sandbox = cfg.AppID == ""
	}
	return cfg, nil
}

// EnvAccount returns the account fields as the environment set them ("" where it does not).
// Call it before WithStored, which fills the gaps from Settings.
func (c Config) EnvAccount() models.Settings {
	return models.Settings{AppID: c.AppID, AppSecret: c.AppSecret, Token: c.Token, EncodingAESKey: c.AESKey}
}

// WithStored overlays the account the operator saved in Settings under the environment's: a
// variable that is set wins, field by field (models.Settings.Overlay, the one place that rule
// lives). With no AppID anywhere the sandbox runs (as before Settings existed), and an explicit
// -sandbox / QUNFA_SANDBOX still wins. In sandbox mode the stored account is not used: the
// simulator plays its own account (or the environment's), and the stored one takes effect at
// the next start without the sandbox.
func (c Config) WithStored(stored models.Settings) Config {
	if !c.sandboxFollowersSet && stored.SandboxFollowers > 0 {
		c.SandboxFollowers = stored.SandboxFollowers
	}
	acct := stored.Overlay(c.EnvAccount())
	sandbox := c.Sandbox
	if !c.sandboxSet {
		sandbox = acct.AppID == ""
	}
	if sandbox {
		c.Sandbox = true
		return c
	}
	c.AppID, c.AppSecret, c.Token, c.AESKey = acct.AppID, acct.AppSecret, acct.Token, acct.EncodingAESKey
	c.Sandbox = false
	return c
}

// Validate reports every bad setting at once.
func (c Config) Validate() error {
	return errors.Join(c.validateSettings(), c.validateAccount())
}

// validateSettings checks everything but the account, which may still come from the database:
// start-up runs it before it opens (and so creates) the database file a typo could name.
func (c Config) validateSettings() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, errors.New(i18n.Both("startup.bad_addr", c.Addr, err)))
	}
	if strings.TrimSpace(c.DB) == "" {
		errs = append(errs, errors.New(i18n.Both("startup.db_empty")))
	}
	if u, err := url.Parse(c.WeChatAPI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New(i18n.Both("startup.bad_api", c.WeChatAPI)))
	}
	if c.DailyQuota < 1 {
		errs = append(errs, errors.New(i18n.Both("startup.daily_quota", c.DailyQuota)))
	}
	if c.MonthlyCap < 1 {
		errs = append(errs, errors.New(i18n.Both("startup.monthly_cap", c.MonthlyCap)))
	}
	if c.sandboxFollowersSet && (c.SandboxFollowers < 1 || c.SandboxFollowers > models.MaxSandboxFollowers) {
		errs = append(errs, errors.New(i18n.Both("startup.sandbox_followers", models.MaxSandboxFollowers, c.SandboxFollowers)))
	}
	if c.SandboxGrowth < 0 {
		errs = append(errs, errors.New(i18n.Both("startup.sandbox_growth", c.SandboxGrowth)))
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if c.SessionIdle != 0 && (c.SessionIdle < time.Minute || c.SessionIdle > 12*time.Hour) {
		errs = append(errs, errors.New(i18n.Both("startup.session_idle", c.SessionIdle)))
	}
	if c.SecretKey != "" {
		if _, err := models.ParseSecretKey(c.SecretKey); err != nil {
			errs = append(errs, errors.New(i18n.Both("startup.secret_key")))
		}
	}
	if (c.AdminUser == "") != (c.AdminPass == "") {
		errs = append(errs, errors.New(i18n.Both("startup.admin_pair")))
	}
	return errors.Join(errs...)
}

// trustedProxies splits TrustedProxies into the IPs and CIDRs gin takes, each checked.
func (c Config) trustedProxies() ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(c.TrustedProxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, errors.New(i18n.Both("startup.trusted_proxies", p))
		}
		out = append(out, p)
	}
	return out, nil
}

// validateAccount checks the account, once the one saved in Settings is overlaid.
func (c Config) validateAccount() error {
	var errs []error
	if !c.Sandbox {
		if c.AppID == "" || c.AppSecret == "" || c.Token == "" {
			errs = append(errs, errors.New(i18n.Both("startup.no_account")))
		}
	}
	if c.AESKey != "" && len(c.AESKey) != 43 {
		errs = append(errs, errors.New(i18n.Both("startup.aeskey_length", len(c.AESKey))))
	}
	return errors.Join(errs...)
}

// String is safe to log: secrets are masked.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "****"
	}
	return fmt.Sprintf("addr=%s db=%s wechat_api=%s appid=%s appsecret=%s token=%s aeskey=%s admin_user=%s admin_password=%s sandbox=%t stable_token=%t daily_quota=%d monthly_cap=%d sandbox_followers=%d sandbox_growth=%d trusted_proxies=%q session_idle=%s secret_key=%s",
		c.Addr, models.RedactDB(c.DB), c.WeChatAPI, c.AppID, mask(c.AppSecret), mask(c.Token), mask(c.AESKey), c.AdminUser, mask(c.AdminPass),
		c.Sandbox, c.StableToken, c.DailyQuota, c.MonthlyCap, c.SandboxFollowers, c.SandboxGrowth, c.TrustedProxies, c.SessionIdle, mask(c.SecretKey))
}
