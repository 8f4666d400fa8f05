package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// TokenStore persists the access_token outside the client, so a restart or a second process
// reuses the token instead of fetching a new one (which would invalidate the old one after its
// 5-minute overlap, §1.1). models implements it on the database; the default is in memory.
//
// expiresAt is when the client stops using the token: already ahead of WeChat's own expiry by
// the client's safety margin. Load answers "" (and no error) when nothing is stored.
// Implementations must be safe for concurrent use; the token must never be logged or shown.
type TokenStore interface {
	Load(ctx context.Context) (token string, expiresAt time.Time, err error)
	Save(ctx context.Context, token string, expiresAt time.Time) error
}

// TokenLocker is implemented by a TokenStore that several processes share (models, on
// PostgreSQL): the client holds its lock from the load to the save, so one process fetches a
// token and the others, waiting, load the one it saved instead of invalidating it.
type TokenLocker interface {
	LockToken(ctx context.Context) (unlock func(), err error)
}

// MemoryTokenStore is the default TokenStore: it lives as long as the process.
type MemoryTokenStore struct {
	mu      sync.Mutex
	token   string
	expires time.Time
}

// Load returns the stored token and its expiry.
func (m *MemoryTokenStore) Load(context.Context) (string, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token, m.expires, nil
}

// Save replaces the stored token.
func (m *MemoryTokenStore) Save(_ context.Context, token string, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token, m.expires = token, expiresAt
	return nil
}

// tokenCache holds the current access_token. lock is a one-slot channel rather than a
// sync.Mutex so a caller waiting behind a fetch can give up when its context ends.
type tokenCache struct {
	lock    chan struct{}
	mu      sync.Mutex // guards the fields below without waiting for a fetch
	token   string
	expires time.Time
	failed  string // the last token WeChat rejected: never taken back from the store
}

func (t *tokenCache) init() { t.lock = make(chan struct{}, 1) }

func (t *tokenCache) peek() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

func (t *tokenCache) set(tok string, exp time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token, t.expires = tok, exp
}

func (t *tokenCache) lastFailed() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// invalidate forgets the token only if it is still the one that failed, so many callers failing
// with the same stale token cause one refetch, not one each.
func (t *tokenCache) invalidate(failed string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == failed {
		t.token = ""
		t.expires = time.Time{}
		t.failed = failed
	}
}

func (t *tokenCache) valid(now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && now.Before(t.expires) {
		return t.token, true
	}
	return "", false
}

// AccessToken returns the cached access_token. When it is missing or about to expire it takes
// the one in the TokenStore (unless that is the token WeChat just rejected), else fetches a new
// one and saves it. Concurrent callers share one fetch.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if tok, ok := c.tok.valid(c.now()); ok {
		return tok, nil
	}
	select {
	case c.tok.lock <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("wechat: waiting for access_token: %w", ctx.Err())
	}
	defer func() { <-c.tok.lock }()
	// Another caller may have fetched while we waited.
	if tok, ok := c.tok.valid(c.now()); ok {
		return tok, nil
	}
	if l, ok := c.store.(TokenLocker); ok {
		unlock, err := l.LockToken(ctx)
		if err != nil {
			return "", fmt.Errorf("wechat: lock access_token in the store: %w", err)
		}
		defer unlock()
	}
	failed := c.tok.lastFailed()
	stored, exp, err := c.store.Load(ctx)
	if err != nil {
		// Fetching now could invalidate the token another process relies on: fail instead.
		return "", fmt.Errorf("wechat: load access_token from the store: %w", err)
	}
	if stored != "" && stored != failed && c.now().Before(exp) {
		c.tok.set(stored, exp)
		return stored, nil
	}
	tok, ttl, err := c.fetchToken(ctx, failed)
	if err != nil {
		return "", err
	}
	exp = c.now().Add(ttl)
	c.tok.set(tok, exp)
	if err := c.store.Save(ctx, tok, exp); err != nil {
		// The token works; another process may fetch its own and we will recover on 40001.
		c.log.Warn("wechat: cannot save access_token to the store", "err", err)
	}
	return tok, nil
}

// cacheTTL keeps a token until shortly before WeChat expires it: expires_in − 300 s, but never
// less than half its lifetime (short-lived sandbox tokens) and at least one second.
func cacheTTL(expiresIn int64) time.Duration {
	if expiresIn <= 0 {
		expiresIn = 7200 // documented default when the field is missing
	}
	life := time.Duration(expiresIn) * time.Second
	ttl := life - 300*time.Second
	if ttl < life/2 {
		ttl = life / 2
	}
	if ttl < time.Second {
		ttl = time.Second
	}
	return ttl
}

// fetchToken gets a new token from cgi-bin/token, or from cgi-bin/stable_token when configured.
// failed is the token WeChat last rejected: stable_token's normal mode hands the same token back
// until it nears expiry, so when it does, the fetch is repeated once with force_refresh (which is
// limited to 20 a day, so it is used only then).
func (c *Client) fetchToken(ctx context.Context, failed string) (string, time.Duration, error) {
	if !c.stable {
		q := url.Values{}
		q.Set("grant_type", "client_credential")
		q.Set("appid", c.appID)
		q.Set("secret", c.secret)
		raw, err := c.send(ctx, apiRequest{method: http.MethodGet, path: "/cgi-bin/token", query: q, retry: retryAlways})
		if err != nil {
			return "", 0, err
		}
		return decodeToken("/cgi-bin/token", raw)
	}
	tok, ttl, err := c.fetchStable(ctx, false)
	if err != nil || failed == "" || tok != failed {
		return tok, ttl, err
	}
	return c.fetchStable(ctx, true)
}

func (c *Client) fetchStable(ctx context.Context, force bool) (string, time.Duration, error) {
	body, err := json.Marshal(struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", c.appID, c.secret, force})
	if err != nil {
		return "", 0, fmt.Errorf("wechat: /cgi-bin/stable_token: %w", err)
	}
	policy := retryAlways
	if force {
		policy = retryErrcode // a timed-out force may have happened: do not spend another of 20 a day
	}
	raw, err := c.send(ctx, apiRequest{method: http.MethodPost, path: "/cgi-bin/stable_token",
		contentType: "application/json; charset=utf-8", body: body, retry: policy})
	if err != nil {
		return "", 0, err
	}
	return decodeToken("/cgi-bin/stable_token", raw)
}

func decodeToken(path string, raw []byte) (string, time.Duration, error) {
	var body struct {
		AccessToken string    `json:"access_token"`
		ExpiresIn   flexInt64 `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return "", 0, fmt.Errorf("wechat: %s: decode response: %w", path, err)
	}
	if body.AccessToken == "" {
		return "", 0, fmt.Errorf("wechat: %s: no access_token in the answer", path)
	}
	return body.AccessToken, cacheTTL(int64(body.ExpiresIn)), nil
}
