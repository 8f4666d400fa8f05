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
	"qunfa/views/i18n"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "sandbox" {
		err = runSandbox(ctx, os.Args[2:], os.Stdout, os.Stderr, nil)
	} else if len(os.Args) > 1 && os.Args[1] == "backup" {
		err = runBackup(ctx, os.Args[2:], os.LookupEnv, os.Stdout, os.Stderr)
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

// listen opens the process's listeners (the dashboard's, the embedded sandbox's, the sandbox
// command's); tests swap it to make a Serve fail.
var listen = net.Listen

// serverHooks let a test wait for the dashboard server's events instead of sleeping: a
// connection's state changes, and the start of a graceful shutdown.
var serverHooks struct {
	connState  func(net.Conn, http.ConnState)
	onShutdown func()
}

// run starts the dashboard and blocks until ctx is cancelled. ready, when not nil, receives the
// dashboard's base URL once it accepts connections. The configuration is read once: flags and
// environment (checked, but for the account), then the database (whose path they give), then the
// account saved in Settings under the environment's (checked).
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string) (err error) {
	cfg, err := ParseConfig(args, env, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// All but the account before the database is opened: a mistyped flag must not create a file.
	if err := cfg.validateSettings(); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	store, err := openDatabase(cfg)
	if err != nil {
		if tooNew, ok := errors.AsType[*models.SchemaTooNewError](err); ok {
			return errors.New(i18n.Both("startup.schema_too_new", models.RedactDB(cfg.DB), tooNew.Database, tooNew.Known))
		}
		if errors.Is(err, models.PostgresKeyRequired) {
			return errors.New(i18n.Both("startup.postgres_key"))
		}
		return fmt.Errorf("%s: %w", i18n.Both("startup.open_db", models.RedactDB(cfg.DB)), err)
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("%s: %w", i18n.Both("startup.close_db", models.RedactDB(cfg.DB)), cerr))
		}
	}()
	envAccount := cfg.EnvAccount()
	warnSecretsLost(ctx, cfg, store, stderr)
	if cfg, err = completeConfig(ctx, cfg, store); err != nil {
		return err
	}
	logger.Info("starting", "config", cfg.String(), "account", accountSummary(cfg, envAccount))
	// A profile the operator has not saved follows the mode: the seed's rules in the sandbox,
	// today's on a real account (models.DefaultProfile).
	if err := store.UseDefaultProfile(ctx, cfg.Sandbox); err != nil {
		return fmt.Errorf("%s: %w", i18n.Both("startup.default_profile"), err)
	}

	createdAdmin, err := ensureAdmin(ctx, store, cfg)
	if err != nil {
		return err
	}

	ln, err := listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s: %w", i18n.Both("startup.listen", cfg.Addr), err)
	}
	baseURL := "http://" + reachableAddr(ln.Addr())

	wx, err := connectWeChat(cfg, baseURL, store, logger)
	if err != nil {
		ln.Close()
		return err
	}
	cfg.sandboxURL = wx.simURL
	defer func() {
		if err := wx.Close(); err != nil {
			logger.Warn("stopping the sandbox", "err", err)
		}
	}()
	live := newLiveAccount(cfg, wx, envAccount, store, logger.With("component", "account"))

	svc := models.NewService(store, gateway{wx.client}, models.Rules{
		DailyQuota: cfg.DailyQuota,
		MonthlyCap: cfg.MonthlyCap,
		Now:        appNow, // time.Now, unless a test lets days pass (main_clock.go)
	}, logger.With("component", "send"))
	svcCtx, stopSvc := context.WithCancel(context.Background())
	svc.Start(svcCtx)

	proxies, _ := cfg.trustedProxies() // checked by validateSettings
	srv := &http.Server{
		// The settings page changes the account at run time: the codec is read through live.
		// Slow clients: deadlines on headers, bodies (main_slow_clients.go) and idle keep-alives.
		Handler: bodyDeadlines(handlers.New(handlers.Deps{
			Service: svc,
			Codec:   live.Codec,
			Static:  static.FS,
			Logger:  logger,
			Now:     time.Now,
			Account: live,
			Reads:   abReadSource(svc), // main_abtest.go

			SessionIdle:    cfg.SessionIdle,
			TrustedProxies: proxies,
		})),
		ReadHeaderTimeout: readLimits.header,
		IdleTimeout:       readLimits.idle,
		ConnState:         serverHooks.connState,
	}
	if serverHooks.onShutdown != nil {
		srv.RegisterOnShutdown(serverHooks.onShutdown)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(limitConnections(ln)) }()

	printBanner(ctx, stdout, cfg, baseURL, createdAdmin, store)
	if ready != nil {
		ready <- baseURL
	}

	// A server that stops serving on its own stops the process, with its error.
	var stopped error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the dashboard stopped serving", "err", err)
			stopped = fmt.Errorf("%s: %w", i18n.Both("startup.serve", cfg.Addr), err)
		}
	case err := <-wx.simErr:
		logger.Error("the sandbox stopped serving", "err", err)
		stopped = fmt.Errorf("%s: %w", i18n.Both("startup.sandbox_serve"), err)
	}

	// Graceful stop: let in-flight requests finish, then the worker, then the
	// simulator; the store closes last (deferred).
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("shutting down the dashboard server", "err", err)
	}
	stopSvc()
	svc.Stop()
	return stopped
}

// completeConfig finishes start-up's configuration once the database is open: the account saved
// in Settings under the environment's (Config.WithStored), then validated (the other settings
// were, before the database was opened).
func completeConfig(ctx context.Context, cfg Config, store *models.Store) (Config, error) {
	stored, err := store.Settings(ctx)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", i18n.Both("startup.read_settings", models.RedactDB(cfg.DB)), err)
	}
	if stored.SecretsUnreadable {
		// Keep running: the account counts as not configured until the secrets are entered
		// again in Settings (warnSecretsLost said so).
		stored.AppID = ""
	}
	cfg = cfg.WithStored(stored)
	return cfg, cfg.validateAccount()
}

// account is the WeChat side of the process: the API client, the callback
// codec, and the embedded simulator when there is no real account.
type account struct {
	client *wechat.Client
	codec  wechat.Codec
	sim    *sandbox.Server
	simSrv *http.Server
	simErr chan error // receives why the sandbox stopped serving before Close; nil without one
	simURL string     // the embedded sandbox's address (its /sandbox/ controls are there)
}

// embeddedSandbox, when a test sets it, receives the embedded sandbox and its address once it
// is built, so a journey can make followers come and go (Subscribe, Unsubscribe).
var embeddedSandbox func(sim *sandbox.Server, url string)

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
			Followers:      cfg.SandboxFollowers, // 0 → 3000
			Growth:         cfg.SandboxGrowth,
			FinishDelay:    cfg.sandboxFinishDelay, // tests only; 0 → 3 s
			Now:            appNow,
			Logger:         logger.With("component", "sandbox"),
		})
		simLn, err := listen("tcp", "127.0.0.1:0")
		if err != nil {
			a.sim.Close()
			return nil, fmt.Errorf("%s: %w", i18n.Both("startup.sandbox_start"), err)
		}
		apiBase = "http://" + simLn.Addr().String()
		a.simURL = apiBase
		if embeddedSandbox != nil {
			embeddedSandbox(a.sim, apiBase)
		}
		a.simSrv = &http.Server{Handler: a.sim, ReadHeaderTimeout: 10 * time.Second}
		a.simErr = make(chan error, 1)
		go func() {
			if err := a.simSrv.Serve(simLn); !errors.Is(err, http.ErrServerClosed) {
				a.simErr <- err
			}
		}()
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

// Close stops the simulator, if any: its server first (in-flight calls finish), then its
// pending callbacks.
func (a *account) Close() error {
	if a.sim == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.simSrv.Shutdown(ctx)
	a.sim.Close()
	if err != nil {
		return fmt.Errorf("shut down the sandbox server: %w", err)
	}
	return nil
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
			return false, errors.New(i18n.Both("startup.admin_invalid", ve.Fields))
		}
		return false, fmt.Errorf("%s: %w", i18n.Both("startup.create_admin"), err)
	}
	return true, nil
}

func printBanner(ctx context.Context, w io.Writer, cfg Config, baseURL string, createdAdmin bool, store *models.Store) {
	fmt.Fprintf(w, "\n%s\n", i18n.Both("startup.banner_running", baseURL))
	if cfg.Sandbox {
		fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_sandbox"))
		if cfg.sandboxURL != "" {
			fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_sandbox_controls", cfg.sandboxURL))
		}
	} else {
		fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_api", cfg.WeChatAPI, cfg.AppID, baseURL))
	}
	n, err := store.OperatorCount(ctx)
	switch {
	case createdAdmin:
		fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_login_as", cfg.AdminUser))
	case err == nil && n == 0:
		fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_first_run", baseURL))
	default:
		fmt.Fprintf(w, "  %s\n", i18n.Both("startup.banner_login_at", baseURL))
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
