package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"qunfa/handlers"
	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// liveAccount is the account of the running process as the settings page sees it: the
// environment's fields, the mode, the callback codec (swapped under a lock, read by every
// callback) and the API client, switched to new credentials at once when the operator saves
// them. It implements handlers.AccountControl.
type liveAccount struct {
	sandbox bool
	env     models.Settings
	apiBase string
	stable  bool // tokens from cgi-bin/stable_token
	client  *wechat.Client
	store   *models.Store
	log     *slog.Logger

	// The embedded sandbox's population as it started, and whether env/flag chose it.
	sandboxFollowers    int
	sandboxFollowersEnv bool

	mu     sync.RWMutex
	codec  wechat.Codec
	appID  string
	secret string
}

var _ handlers.AccountControl = (*liveAccount)(nil)

func newLiveAccount(cfg Config, wx *account, env models.Settings, store *models.Store, log *slog.Logger) *liveAccount {
	return &liveAccount{
		sandbox: cfg.Sandbox,
		env:     env,
		apiBase: cfg.WeChatAPI,
		stable:  cfg.StableToken,
		client:  wx.client,
		store:   store,
		log:     log,
		codec:   wx.codec,
		appID:   cfg.AppID,
		secret:  cfg.AppSecret,

		sandboxFollowers:    cmp.Or(cfg.SandboxFollowers, sandbox.DefaultFollowers),
		sandboxFollowersEnv: cfg.sandboxFollowersSet,
	}
}

// SandboxFollowers is the embedded sandbox's population at start and, when the environment or a
// flag chose it, where from (the settings page then shows it read-only).
func (l *liveAccount) SandboxFollowers() (int, string) {
	if l.sandboxFollowersEnv {
		return l.sandboxFollowers, EnvSandboxFollowers + " / -sandbox-followers"
	}
	return l.sandboxFollowers, ""
}

// Codec is the current callback codec (handlers.Deps.Codec).
func (l *liveAccount) Codec() wechat.Codec {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.codec
}

// Sandbox reports whether the embedded simulator stands in for WeChat.
func (l *liveAccount) Sandbox() bool { return l.sandbox }

// Env returns the account fields the environment sets.
func (l *liveAccount) Env() models.Settings { return l.env }

// EnvNames returns the environment variables of the account fields (config.go).
func (l *liveAccount) EnvNames() handlers.EnvNames {
	return handlers.EnvNames{AppID: EnvAppID, AppSecret: EnvAppSecret, Token: EnvToken, AESKey: EnvAESKey}
}

// verifyTimeout bounds the credentials check, which the operator waits for.
const verifyTimeout = 20 * time.Second

// Verify fetches a token with the new credentials on a temporary client, with no retries so a
// refusal comes back at once. The token it gets goes into the account's token store: a fetch
// invalidates the previous token (after a 5-minute overlap), so this one must be the one the
// live client goes on with, not thrown away.
func (l *liveAccount) Verify(ctx context.Context, appID, appSecret string) error {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	c := wechat.NewClient(wechat.Config{
		BaseURL: l.apiBase, AppID: appID, AppSecret: appSecret,
		MaxRetries:  -1,
		TokenStore:  verifiedTokenStore{l.store.AccessTokens(appID)},
		StableToken: l.stable,
		Logger:      l.log,
	})
	_, err := c.AccessToken(ctx)
	return err
}

// Apply switches the live client (when the AppID or AppSecret changed) and the callback codec
// to account.
func (l *liveAccount) Apply(account models.Settings) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if account.AppID != l.appID || account.AppSecret != l.secret {
		// Waits for a token fetch in progress, which the client's timeouts bound.
		err := l.client.Reconfigure(context.Background(), wechat.Account{
			AppID:      account.AppID,
			AppSecret:  account.AppSecret,
			TokenStore: l.store.AccessTokens(account.AppID),
		})
		if err != nil {
			l.log.Error("switching the WeChat account failed", "appid", account.AppID, "err", err)
			return
		}
		l.appID, l.secret = account.AppID, account.AppSecret
	}
	prevKey := l.codec.PreviousEncodingAESKey
	if l.codec.EncodingAESKey != account.EncodingAESKey {
		prevKey = l.codec.EncodingAESKey // pushes sealed before the change still open
	}
	l.codec = wechat.Codec{Token: account.Token, AppID: account.AppID, EncodingAESKey: account.EncodingAESKey,
		PreviousEncodingAESKey: prevKey}
	l.log.Info("WeChat account applied", "appid", account.AppID, "secure_callbacks", account.EncodingAESKey != "")
}

// accountSummary is a one-line, secret-free description of where the account comes from.
func accountSummary(cfg Config, env models.Settings) string {
	switch {
	case cfg.Sandbox:
		return "sandbox"
	case env.AppID != "":
		return fmt.Sprintf("appid %s from the environment", cfg.AppID)
	default:
		return fmt.Sprintf("appid %s from Settings", cfg.AppID)
	}
}

// verifiedTokenStore saves the token a verification fetched but never hands
// one out: the check must ask WeChat, not trust a stored token.
type verifiedTokenStore struct{ *models.TokenStore }

func (verifiedTokenStore) Load(context.Context) (string, time.Time, error) {
	return "", time.Time{}, nil
}
