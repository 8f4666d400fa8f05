package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// sandboxUsage explains `qunfa sandbox`, the simulator on its own, so any
// WeChat client can be tested against it.
const sandboxUsage = `usage: qunfa sandbox [flags]

Runs the WeChat API simulator alone (模拟微信服务器): point a client's API base
URL at it, and it pushes MASSSENDJOBFINISH, subscribe and unsubscribe events to
-callback. POST /sandbox/subscribe?n=N and /sandbox/unsubscribe?openid=… on its own
address make followers come and go (see wechat/sandbox's documentation).
`

// runSandbox serves the simulator until ctx ends. ready, when not nil,
// receives its base URL.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("qunfa sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sandboxUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:9000", "listen address 监听地址")
	callback := fs.String("callback", "", "callback URL for MASSSENDJOBFINISH pushes 回调地址 (empty: no pushes)")
	appID := fs.String("appid", sandboxAccount.AppID, "AppID of the simulated account")
	secret := fs.String("secret", sandboxAccount.Secret, "AppSecret of the simulated account")
	token := fs.String("token", sandboxAccount.Token, "Token used to sign callbacks")
	aesKey := fs.String("aeskey", "", "EncodingAESKey (43 characters): push callbacks in secure mode 安全模式")
	quota := fs.Int("daily-quota", sandbox.DefaultDailyQuota, "advanced calls a Beijing day, uploads included")
	monthly := fs.Int("monthly-cap", sandbox.DefaultMonthlyCap, "mass messages a follower receives a Beijing month")
	articles := fs.Int("max-articles", sandbox.DefaultMaxArticles, "articles in one news message (10 seed, 8 today)")
	followers := fs.Int("followers", sandbox.DefaultFollowers, "size of the demo follower population")
	growth := fs.Int("growth", 0, "new followers a minute, each pushing a subscribe event 每分钟新增粉丝 (0: none)")
	delay := fs.Duration("finish-delay", sandbox.DefaultFinishDelay, "time from submission to MASSSENDJOBFINISH")
	pushJSON := fs.Bool("json", false, "push callbacks in WeChat's JSON format instead of XML 以 JSON 格式推送")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *followers < 1 || *followers > models.MaxSandboxFollowers {
		return errors.New(i18n.Both("startup.sandbox_followers", models.MaxSandboxFollowers, *followers))
	}
	if *growth < 0 {
		return errors.New(i18n.Both("startup.sandbox_growth", *growth))
	}
	if *callback != "" {
		if u, err := url.Parse(*callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New(i18n.Both("startup.bad_callback", *callback))
		}
	}
	if *aesKey != "" {
		if _, err := wechat.AESKey(*aesKey); err != nil {
			return errors.New(i18n.Both("startup.bad_sandbox_aes", err))
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil)).With("component", "sandbox")
	sim := sandbox.New(sandbox.Config{
		AppID: *appID, AppSecret: *secret, Token: *token, EncodingAESKey: *aesKey, CallbackURL: *callback,
		DailyQuota: *quota, MonthlyCap: *monthly, MaxArticles: *articles, Followers: *followers, Growth: *growth, FinishDelay: *delay,
		PushJSON: *pushJSON, Logger: logger,
	})
	defer sim.Close()
	ln, err := listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%s: %w", i18n.Both("startup.listen", *addr), err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	base := "http://" + reachableAddr(ln.Addr())
	mode := "startup.sandbox_cmd_plain"
	if *aesKey != "" {
		mode = "startup.sandbox_cmd_secure"
	}
	account := func(lang string) string {
		callbacks := *callback
		if callbacks == "" {
			callbacks = i18n.T(lang, "startup.sandbox_cmd_no_callback")
		}
		return i18n.T(lang, "startup.sandbox_cmd_account", *appID, callbacks, i18n.T(lang, mode))
	}
	fmt.Fprintf(stdout, "%s\n  %s / %s\n", i18n.Both("startup.sandbox_cmd_ready", base), account("zh"), account("en"))
	if ready != nil {
		ready <- base
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		// Serve ended on its own (only Shutdown makes it return ErrServerClosed).
		return fmt.Errorf("%s: %w", i18n.Both("startup.sandbox_serve"), err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("%s: %w", i18n.Both("startup.sandbox_shutdown"), err)
	}
	return nil
}
