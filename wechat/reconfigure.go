package wechat

import (
	"context"
	"fmt"
	"time"
)

// Account is what Reconfigure changes: the credentials and where their token is kept.
type Account struct {
	AppID     string
	AppSecret string
	// TokenStore of the new account (nil → in memory). Never the old account's store: it
	// holds the old account's token.
	TokenStore TokenStore
}

// Reconfigure switches the client to another account (or another AppSecret) while it is in use:
// it waits for a token fetch in progress to end, swaps AppID, AppSecret and TokenStore, and drops
// the cached token, so the next call takes the new account's stored token or fetches one with
// the new credentials. Calls already under way finish with the token they hold. It fails only
// when ctx ends while waiting for the fetch in progress.
func (c *Client) Reconfigure(ctx context.Context, a Account) error {
	// The token lock is what AccessToken holds while it reads appID, secret and store, so
	// taking it orders this swap with every fetch.
	select {
	case c.tok.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wechat: reconfigure: waiting for a token fetch: %w", ctx.Err())
	}
	defer func() { <-c.tok.lock }()

	store := a.TokenStore
	if store == nil {
		store = &MemoryTokenStore{}
	}
	c.acctMu.Lock()
	c.appID, c.secret, c.store = a.AppID, a.AppSecret, store
	c.acctMu.Unlock()

	c.tok.mu.Lock()
	c.tok.token, c.tok.expires, c.tok.failed = "", time.Time{}, ""
	c.tok.mu.Unlock()
	c.log.Info("wechat: account reconfigured", "appid", a.AppID)
	return nil
}

// account returns the AppID and AppSecret for readers outside the token lock.
func (c *Client) account() (appID, secret string) {
	c.acctMu.RLock()
	defer c.acctMu.RUnlock()
	return c.appID, c.secret
}
