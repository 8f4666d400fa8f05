package main

import (
	"io"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:8080", DB: "qunfa.db", WeChatAPI: "https://api.weixin.qq.com", Sandbox: true, DailyQuota: 10, MonthlyCap: 4}
	if cfg != want {
		t.Fatalf("defaults = %+v, want %+v", cfg, want)
	}
}

func TestLoadConfigEnvThenFlags(t *testing.T) {
	env := envOf(map[string]string{
		"QUNFA_ADDR": "127.0.0.1:9999", "QUNFA_DB": "/tmp/x.db", "QUNFA_WECHAT_API": "http://127.0.0.1:7000",
		"QUNFA_APPID": "wx123", "QUNFA_APPSECRET": "s3cr3t", "QUNFA_TOKEN": "tok",
		"QUNFA_AESKEY": strings.Repeat("a", 43), "QUNFA_DAILY_QUOTA": "7", "QUNFA_MONTHLY_CAP": "3",
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password1",
	})
	cfg, err := LoadConfig([]string{"-addr", "127.0.0.1:7777", "-daily-quota", "5"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7777" || cfg.DailyQuota != 5 {
		t.Errorf("flags must win over env: %+v", cfg)
	}
	if cfg.DB != "/tmp/x.db" || cfg.WeChatAPI != "http://127.0.0.1:7000" || cfg.MonthlyCap != 3 || cfg.AppID != "wx123" {
		t.Errorf("env not applied: %+v", cfg)
	}
	if cfg.Sandbox {
		t.Error("sandbox must default to off when an AppID is configured")
	}
	// An explicit -sandbox wins even with an account.
	cfg, err = LoadConfig([]string{"-sandbox"}, env, io.Discard)
	if err != nil || !cfg.Sandbox {
		t.Fatalf("-sandbox: %v %+v", err, cfg)
	}
	cfg, err = LoadConfig(nil, envOf(map[string]string{"QUNFA_SANDBOX": "true", "QUNFA_APPID": "wx1", "QUNFA_APPSECRET": "s", "QUNFA_TOKEN": "t"}), io.Discard)
	if err != nil || !cfg.Sandbox {
		t.Fatalf("QUNFA_SANDBOX=true: %v %+v", err, cfg)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"quota not int", map[string]string{"QUNFA_DAILY_QUOTA": "ten"}, nil, "QUNFA_DAILY_QUOTA"},
		{"quota zero", nil, []string{"-daily-quota", "0"}, "daily quota"},
		{"cap zero", nil, []string{"-monthly-cap", "0"}, "monthly cap"},
		{"bad addr", nil, []string{"-addr", "nonsense"}, "listen address"},
		{"bad api", nil, []string{"-wechat-api", "ftp://x"}, "WeChat API URL"},
		{"no account without sandbox", nil, []string{"-sandbox=false"}, "no account configured"},
		{"short aes key", map[string]string{"QUNFA_AESKEY": "short"}, nil, "43 characters"},
		{"half admin", map[string]string{"QUNFA_ADMIN_USER": "admin"}, nil, "QUNFA_ADMIN_PASSWORD"},
		{"bad sandbox", map[string]string{"QUNFA_SANDBOX": "maybe"}, nil, "QUNFA_SANDBOX"},
		{"bad stable token", map[string]string{"QUNFA_STABLE_TOKEN": "sometimes"}, nil, "QUNFA_STABLE_TOKEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(c.args, envOf(c.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestConfigStringMasksSecrets(t *testing.T) {
	cfg := Config{AppID: "wx1", AppSecret: "TOPSECRET", Token: "TOKENVALUE", AESKey: "AESKEYVALUE", AdminPass: "PASSWORD9"}
	s := cfg.String()
	for _, secret := range []string{"TOPSECRET", "TOKENVALUE", "AESKEYVALUE", "PASSWORD9"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() leaks %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "appid=wx1") {
		t.Errorf("String() should show the AppID: %s", s)
	}
}

// A PostgreSQL URL is shown without its password (the start-up log line).
func TestConfigStringMasksDatabasePassword(t *testing.T) {
	s := Config{DB: "postgres://qunfa:DBPASSWORD9@db.internal:5432/qunfa?sslmode=require"}.String()
	if strings.Contains(s, "DBPASSWORD9") || !strings.Contains(s, "db.internal:5432/qunfa") {
		t.Errorf("String() = %s", s)
	}
}

func TestLoadConfigHardeningSettings(t *testing.T) {
	env := envOf(map[string]string{"QUNFA_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1", "QUNFA_SESSION_IDLE": "30m",
		"QUNFA_SECRET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
	cfg, err := LoadConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := cfg.trustedProxies(); len(p) != 2 || p[0] != "10.0.0.0/8" || p[1] != "192.0.2.1" || cfg.SessionIdle.Minutes() != 30 {
		t.Fatalf("parsed %+v", cfg)
	}
	if strings.Contains(cfg.String(), "AAAA") {
		t.Error("String() shows the secret key")
	}
	cfg, err = LoadConfig([]string{"-trusted-proxies", "127.0.0.1/32", "-session-idle", "1h"}, envOf(nil), io.Discard)
	if err != nil || cfg.TrustedProxies != "127.0.0.1/32" || cfg.SessionIdle.Hours() != 1 {
		t.Fatalf("flags: %v %+v", err, cfg)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"QUNFA_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"}, "QUNFA_TRUSTED_PROXIES"},
		{map[string]string{"QUNFA_SESSION_IDLE": "10s"}, "QUNFA_SESSION_IDLE"},
		{map[string]string{"QUNFA_SESSION_IDLE": "soon"}, "QUNFA_SESSION_IDLE"},
		{map[string]string{"QUNFA_SECRET_KEY": "c2hvcnQ="}, "QUNFA_SECRET_KEY"},
	} {
		if _, err := LoadConfig(nil, envOf(c.env), io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to mention %s", c.env, err, c.want)
		}
	}
}
