package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"qunfa/wechat/protocol"
	"strconv"
	"strings"
	"time"
)

// Config is everything the operator can set from outside: defaults, then the
// environment, then flags (DESIGN.md "Contract with the outside").
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

	// sandboxFinishDelay is the embedded sandbox's pause before it pushes MASSSENDJOBFINISH
	// (0 → its 3 s). For tests only, so browser journeys need not wait: QUNFA_SANDBOX_FINISH_DELAY
	// (a Go duration), no flag, not in the README.
	sandboxFinishDelay time.Duration
}

const defaultWeChatAPI = protocol.DefaultAPIBaseURL

// LoadConfig reads env (a lookup function, so tests need not touch the process
// environment) and then args. Errors name the setting in Chinese and English.
func LoadConfig(args []string, env func(string) (string, bool), stderr io.Writer) (Config, error) {
	cfg := Config{
		Addr:       "127.0.0.1:8080",
		DB:         "qunfa.db",
		WeChatAPI:  defaultWeChatAPI,
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
	str("QUNFA_APPID", &cfg.AppID)
	str("QUNFA_APPSECRET", &cfg.AppSecret)
	str("QUNFA_TOKEN", &cfg.Token)
	str("QUNFA_AESKEY", &cfg.AESKey)
	str("QUNFA_ADMIN_USER", &cfg.AdminUser)
	str("QUNFA_ADMIN_PASSWORD", &cfg.AdminPass)

	var errs []error
	intEnv := func(key string, dst *int) {
		if v, ok := env(key); ok && v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q 不是整数 / is not an integer", key, v))
				return
			}
			*dst = n
		}
	}
	if v, ok := env("QUNFA_STABLE_TOKEN"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("QUNFA_STABLE_TOKEN=%q 应为 true/false / must be true or false", v))
		}
		cfg.StableToken = b
	}
	intEnv("QUNFA_DAILY_QUOTA", &cfg.DailyQuota)
	intEnv("QUNFA_MONTHLY_CAP", &cfg.MonthlyCap)
	if v, ok := env("QUNFA_SANDBOX_FINISH_DELAY"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("QUNFA_SANDBOX_FINISH_DELAY=%q 不是时长 / is not a duration", v))
		}
		cfg.sandboxFinishDelay = d
	}

	// The sandbox defaults to on exactly when no account is configured; an
	// explicit setting (env or flag) wins.
	sandboxSet := false
	if v, ok := env("QUNFA_SANDBOX"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("QUNFA_SANDBOX=%q 应为 true/false / must be true or false", v))
		} else {
			cfg.Sandbox, sandboxSet = b, true
		}
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}

	fs := flag.NewFlagSet("qunfa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address 监听地址 (QUNFA_ADDR)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite database file 数据库文件 (QUNFA_DB)")
	fs.StringVar(&cfg.WeChatAPI, "wechat-api", cfg.WeChatAPI, "WeChat API base URL 微信接口地址 (QUNFA_WECHAT_API)")
	sandboxFlag := fs.Bool("sandbox", cfg.Sandbox, "run the embedded WeChat simulator 使用内置模拟器 (QUNFA_SANDBOX; default: on when no AppID)")
	fs.BoolVar(&cfg.StableToken, "stable-token", cfg.StableToken, "fetch tokens with cgi-bin/stable_token 使用稳定版接口调用凭据 (QUNFA_STABLE_TOKEN)")
	fs.IntVar(&cfg.DailyQuota, "daily-quota", cfg.DailyQuota, "advanced-API calls per day 每日高级接口调用次数 (QUNFA_DAILY_QUOTA)")
	fs.IntVar(&cfg.MonthlyCap, "monthly-cap", cfg.MonthlyCap, "mass messages per follower per month 每位粉丝每月群发上限 (QUNFA_MONTHLY_CAP)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "sandbox" {
			sandboxSet = true
		}
	})
	if sandboxSet {
		cfg.Sandbox = *sandboxFlag
	} else {
		cfg.Sandbox = cfg.AppID == ""
	}
	return cfg, cfg.Validate()
}

// Validate reports every bad setting at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("监听地址无效 / invalid listen address %q: %v", c.Addr, err))
	}
	if strings.TrimSpace(c.DB) == "" {
		errs = append(errs, errors.New("数据库路径为空 / database path is empty"))
	}
	if u, err := url.Parse(c.WeChatAPI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("微信接口地址无效 / invalid WeChat API URL %q", c.WeChatAPI))
	}
	if c.DailyQuota < 1 {
		errs = append(errs, fmt.Errorf("每日调用次数必须 ≥ 1 / daily quota must be at least 1 (got %d)", c.DailyQuota))
	}
	if c.MonthlyCap < 1 {
		errs = append(errs, fmt.Errorf("每月群发上限必须 ≥ 1 / monthly cap must be at least 1 (got %d)", c.MonthlyCap))
	}
	if !c.Sandbox {
		if c.AppID == "" || c.AppSecret == "" || c.Token == "" {
			errs = append(errs, errors.New("未配置公众号：请设置 QUNFA_APPID、QUNFA_APPSECRET、QUNFA_TOKEN，或使用 -sandbox / "+
				"no account configured: set QUNFA_APPID, QUNFA_APPSECRET and QUNFA_TOKEN, or run with -sandbox"))
		}
	}
	if c.AESKey != "" && len(c.AESKey) != 43 {
		errs = append(errs, fmt.Errorf("EncodingAESKey 必须是 43 个字符 / QUNFA_AESKEY must be 43 characters (got %d)", len(c.AESKey)))
	}
	if (c.AdminUser == "") != (c.AdminPass == "") {
		errs = append(errs, errors.New("QUNFA_ADMIN_USER 与 QUNFA_ADMIN_PASSWORD 需同时设置 / set both QUNFA_ADMIN_USER and QUNFA_ADMIN_PASSWORD"))
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
	return fmt.Sprintf("addr=%s db=%s wechat_api=%s appid=%s appsecret=%s token=%s aeskey=%s admin_user=%s admin_password=%s sandbox=%t stable_token=%t daily_quota=%d monthly_cap=%d",
		c.Addr, c.DB, c.WeChatAPI, c.AppID, mask(c.AppSecret), mask(c.Token), mask(c.AESKey), c.AdminUser, mask(c.AdminPass),
		c.Sandbox, c.StableToken, c.DailyQuota, c.MonthlyCap)
}
