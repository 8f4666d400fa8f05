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

// tokenCache holds the current access_token. lock is a one-slot channel rather than a
// sync.Mutex so a caller waiting behind a fetch can give up when its context ends.
type tokenCache struct {
	lock    chan struct{}
	token   string
	expires time.Time
	mu      sync.Mutex // guards token for peek/invalidate without waiting for a fetch
}

func (t *tokenCache) init() { t.lock = make(chan struct{}, 1) }

func (t *tokenCache) peek() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

// invalidate forgets the token only if it is still the one that failed, so many callers failing
// with the same stale token cause one refetch, not one each.
func (t *tokenCache) invalidate(failed string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == failed {
		t.token = ""
		t.expires = time.Time{}
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

// AccessToken returns the cached access_token, fetching a new one when it is missing or about to
// expire. Concurrent callers share one fetch.
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
	tok, ttl, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.tok.mu.Lock()
	c.tok.token = tok
	c.tok.expires = c.now().Add(ttl)
	c.tok.mu.Unlock()
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

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	q := url.Values{}
	q.Set("grant_type", "client_credential")
	q.Set("appid", c.appID)
	q.Set("secret", c.secret)
	raw, err := c.roundTrip(ctx, http.MethodGet, "/cgi-bin/token", q, "", nil)
	if err != nil {
		return "", 0, err
	}
	var body struct {
		errBody
		AccessToken string    `json:"access_token"`
		ExpiresIn   flexInt64 `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return "", 0, fmt.Errorf("wechat: /cgi-bin/token: response is not JSON: %w", err)
	}
	if body.Errcode != 0 {
		return "", 0, &Error{Code: body.Errcode, Msg: body.Errmsg}
	}
	if body.AccessToken == "" {
		return "", 0, fmt.Errorf("wechat: /cgi-bin/token: no access_token in the answer")
	}
	return body.AccessToken, cacheTTL(int64(body.ExpiresIn)), nil
}
