// Command qunfa is a self-hosted dashboard for WeChat Official Account mass
// messages (群发). See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"qunfa/handlers"
	"qunfa/models"
	"qunfa/static"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "sandbox" {
		err = runSandbox(ctx, os.Args[2:], os.Stdout, os.Stderr, nil)
	} else {
		err = run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "qunfa:", err)
		os.Exit(1)
	}
}

// sandboxAccount is the simulated account used when none is configured. The
// secret never leaves this process, so a fixed value is fine.
var sandboxAccount = struct{ AppID, Secret, Token string }{
	AppID:  "wx5a4db0c5e0a1b2c3",
	Secret: "sandbox-secret-not-a-real-account",
	Token:  "qunfasandbox",
}

// run starts the dashboard and blocks until ctx is cancelled. ready, when not
// nil, receives the dashboard's base URL once it accepts connections.
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string) error {
	// Everything but the account first (the account may be in the database, whose path this
	// yields), then the account: the environment's, else the one saved in Settings.
	cfg, err := LoadConfig(args, withPlaceholderAccount(env), stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	store, err := models.Open(cfg.DB)
	if err != nil {
		return fmt.Errorf("打开数据库失败 / open database %s: %w", cfg.DB, err)
	}
	defer store.Close()
	envAccount := accountFromEnv(env)
	if cfg, err = configWithStoredAccount(ctx, args, env, store); err != nil {
		return err
	}
	logger.Info("starting", "config", cfg.String(), "account", accountSummary(cfg, envAccount))
	// A profile the operator has not saved follows the mode: the seed's rules in the sandbox,
	// today's on a real account (models.DefaultProfile).
	if err := store.UseDefaultProfile(ctx, cfg.Sandbox); err != nil {
		return err
	}

	createdAdmin, err := ensureAdmin(ctx, store, cfg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("无法监听 / cannot listen on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + reachableAddr(ln.Addr())

	wx, err := connectWeChat(cfg, baseURL, store, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer wx.Close()
	live := newLiveAccount(cfg, wx, envAccount, store, logger.With("component", "account"))

	svc := models.NewService(store, gateway{wx.client}, models.Rules{
		DailyQuota: cfg.DailyQuota,
		MonthlyCap: cfg.MonthlyCap,
		Now:        time.Now,
	}, logger.With("component", "send"))
	svcCtx, stopSvc := context.WithCancel(context.Background())
	svc.Start(svcCtx)

	srv := &http.Server{
		// The settings page changes the account at run time: the codec is read through live.
		Handler: handlers.New(handlers.Deps{
			Service: svc,
			Codec:   live.Codec,
			Static:  static.FS,
			Logger:  logger,
			Now:     time.Now,
			Account: live,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	printBanner(ctx, stdout, cfg, baseURL, createdAdmin, store)
	if ready != nil {
		ready <- baseURL
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("server stopped", "err", err)
		}
	}

	// Graceful stop: let in-flight requests finish, then the worker, then the
	// simulator; the store closes last (deferred).
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	stopSvc()
	svc.Stop()
	return nil
}

// account is the WeChat side of the process: the API client, the callback
// codec, and the embedded simulator when there is no real account.
type account struct {
	client *wechat.Client
	codec  wechat.Codec
	sim    *sandbox.Server
	simSrv *http.Server
}

// connectWeChat points the client at the configured API, or starts the
// sandbox (which pushes its callbacks to baseURL) and points the client there.
func connectWeChat(cfg Config, baseURL string, store *models.Store, logger *slog.Logger) (*account, error) {
	a := &account{codec: wechat.Codec{Token: cfg.Token, AppID: cfg.AppID, EncodingAESKey: cfg.AESKey}}
	apiBase, appSecret := cfg.WeChatAPI, cfg.AppSecret
	if cfg.Sandbox {
		if a.codec.AppID == "" {
			a.codec.AppID, appSecret = sandboxAccount.AppID, sandboxAccount.Secret
		}
		if a.codec.Token == "" {
			a.codec.Token = sandboxAccount.Token
		}
		a.sim = sandbox.New(sandbox.Config{
			AppID:          a.codec.AppID,
			AppSecret:      appSecret,
			Token:          a.codec.Token,
			EncodingAESKey: a.codec.EncodingAESKey,
			CallbackURL:    baseURL + "/wechat/callback",
			DailyQuota:     cfg.DailyQuota,
			MonthlyCap:     cfg.MonthlyCap,
			FinishDelay:    cfg.sandboxFinishDelay, // tests only; 0 → 3 s
			Logger:         logger.With("component", "sandbox"),
		})
		simLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			a.sim.Close()
			return nil, fmt.Errorf("无法启动模拟器 / cannot start the sandbox: %w", err)
		}
		apiBase = "http://" + simLn.Addr().String()
		a.simSrv = &http.Server{Handler: a.sim, ReadHeaderTimeout: 10 * time.Second}
		go a.simSrv.Serve(simLn)
	}
	a.client = wechat.NewClient(wechat.Config{
		BaseURL: apiBase, AppID: a.codec.AppID, AppSecret: appSecret,
		// Kept in the database: a restart must not fetch a new token, which
		// would invalidate the one in use (protocol §1.1).
		TokenStore:  store.AccessTokens(a.codec.AppID),
		StableToken: cfg.StableToken,
		Logger:      logger.With("component", "wechat"),
	})
	return a, nil
}

// Close stops the simulator, if any.
func (a *account) Close() {
	if a.sim == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.simSrv.Shutdown(ctx)
	a.sim.Close()
}

// ensureAdmin creates the first operator from QUNFA_ADMIN_USER/PASSWORD when
// the database has none yet.
func ensureAdmin(ctx context.Context, store *models.Store, cfg Config) (bool, error) {
	if cfg.AdminUser == "" {
		return false, nil
	}
	if _, err := store.CreateFirstOperator(ctx, cfg.AdminUser, cfg.AdminPass); err != nil {
		if errors.Is(err, models.ErrSetupDone) {
			return false, nil
		}
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			return false, fmt.Errorf("QUNFA_ADMIN_USER/QUNFA_ADMIN_PASSWORD 无效（用户名 2–32 个字符，密码至少 8 位）/ invalid first admin (username 2–32 characters, password at least 8): %v", ve.Fields)
		}
		return false, err
	}
	return true, nil
}

func printBanner(ctx context.Context, w io.Writer, cfg Config, baseURL string, createdAdmin bool, store *models.Store) {
	fmt.Fprintf(w, "\nQunfa 群发 is running at %s\n", baseURL)
	if cfg.Sandbox {
		fmt.Fprintln(w, "  模拟器已启用 / embedded WeChat sandbox: demo followers and groups, callbacks pushed back to this server.")
	} else {
		fmt.Fprintf(w, "  WeChat API: %s (AppID %s). Callback URL for the WeChat backend: %s/wechat/callback\n", cfg.WeChatAPI, cfg.AppID, baseURL)
	}
	n, _ := store.OperatorCount(ctx)
	switch {
	case createdAdmin:
		fmt.Fprintf(w, "  登录 / log in as %q with the password from QUNFA_ADMIN_PASSWORD.\n", cfg.AdminUser)
	case n == 0:
		fmt.Fprintf(w, "  首次使用：打开 %s/setup 创建管理员 / first run: open %s/setup to create the admin account.\n", baseURL, baseURL)
	default:
		fmt.Fprintf(w, "  登录 / log in at %s/login\n", baseURL)
	}
	fmt.Fprintln(w)
}

// reachableAddr turns a wildcard listen address into one a browser (and the
// sandbox's callback) can reach.
func reachableAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
