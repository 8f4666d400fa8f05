package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"qunfa/wechat/protocol"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultBaseURL is the real WeChat API host.
	DefaultBaseURL = protocol.DefaultAPIBaseURL
	// maxResponseBytes bounds every response body we read.
	maxResponseBytes = 4 << 20
	defaultTimeout   = 15 * time.Second

	// DefaultMaxRetries, DefaultRetryBaseDelay and DefaultRetryMaxDelay bound the retries of
	// transient failures: at most 3 more attempts, waiting about 1 s, 2 s, 4 s (never over 30 s).
	DefaultMaxRetries     = 3
	DefaultRetryBaseDelay = time.Second
	DefaultRetryMaxDelay  = 30 * time.Second
)

// Config configures a Client.
type Config struct {
	BaseURL    string // e.g. https://api.weixin.qq.com or the sandbox URL (no trailing slash needed)
	AppID      string
	AppSecret  string
	HTTPClient *http.Client     // nil → one with a 15 s timeout that never follows redirects
	Now        func() time.Time // nil → time.Now; used for token expiry

	// TokenStore persists the access_token across restarts and processes (nil → in memory).
	TokenStore TokenStore
	// StableToken fetches tokens with POST cgi-bin/stable_token (§1.2) instead of GET
	// cgi-bin/token: tokens that other callers' fetches do not invalidate.
	StableToken bool

	// RequestTimeout bounds each attempt of each call (0 → 15 s, or the HTTPClient's own
	// Timeout when it has one).
	RequestTimeout time.Duration
	// MaxRetries is how many more times a transient failure (errcode -1, 45011, 42010,
	// 9500002, a timeout, an HTTP 5xx) is tried again: 0 → DefaultMaxRetries, < 0 → never.
	// A mass send without a clientmsgid and a preview are never retried; uploads and deletes
	// are retried only when WeChat answered an errcode (it did nothing), not after a timeout.
	MaxRetries int
	// RetryBaseDelay is the first wait; each retry doubles it, up to RetryMaxDelay, and waits
	// a random time between half of it and all of it (0 → the defaults above).
	RetryBaseDelay, RetryMaxDelay time.Duration

	Logger *slog.Logger // nil → discard; never receives the token or the AppSecret
}

// Client calls the WeChat Official Account API. It is safe for concurrent use.
type Client struct {
	base    string
	appID   string
	secret  string
	hc      *http.Client
	now     func() time.Time
	store   TokenStore
	stable  bool
	timeout time.Duration
	retries int
	delay   time.Duration
	maxWait time.Duration
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error
	tok     tokenCache

	// acctMu guards appID and secret for readers outside the token lock (AppID, redact).
	// appID, secret and store change only in Reconfigure, which also holds the token lock;
	// AccessToken reads them under that lock.
	acctMu sync.RWMutex
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout: defaultTimeout,
			// WeChat never redirects; following one would carry the token to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	c := &Client{base: base, appID: cfg.AppID, secret: cfg.AppSecret, hc: hc, now: cfg.Now,
		store: cfg.TokenStore, stable: cfg.StableToken, timeout: cfg.RequestTimeout,
		retries: cfg.MaxRetries, delay: cfg.RetryBaseDelay, maxWait: cfg.RetryMaxDelay,
		log: cfg.Logger, sleep: sleepCtx}
	if c.now == nil {
		c.now = time.Now
	}
	if c.store == nil {
		c.store = &MemoryTokenStore{}
	}
	if c.timeout <= 0 && hc.Timeout == 0 {
		c.timeout = defaultTimeout
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultMaxRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.delay <= 0 {
		c.delay = DefaultRetryBaseDelay
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultRetryMaxDelay
	}
	if c.maxWait < c.delay {
		c.maxWait = c.delay
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.tok.init()
	return c
}

// AppID returns the configured AppID.
func (c *Client) AppID() string {
	id, _ := c.account()
	return id
}

// errBody is the part of every answer that may carry an error.
type errBody struct {
	Errcode int       `json:"errcode"`
	Errmsg  string    `json:"errmsg"`
	MsgID   flexInt64 `json:"msg_id"`
}

// retryPolicy says when a call may be repeated after a transient failure.
type retryPolicy int

const (
	// retryNever: the call may have acted even when it failed (a mass send without
	// clientmsgid, a preview): repeating it could deliver twice.
	retryNever retryPolicy = iota
	// retryErrcode: repeat only when WeChat answered a transient errcode (it did nothing);
	// after a timeout or a 5xx the call may have acted (and used quota).
	retryErrcode
	// retryAlways: repeating is harmless (reads, sends with a clientmsgid).
	retryAlways
)

// apiRequest is one HTTP call to WeChat.
type apiRequest struct {
	method, path string
	query        url.Values
	contentType  string
	body         []byte
	retry        retryPolicy
	onAttempt    func() // called before every request sent (WithAttemptHook); nil for token fetches
}

type attemptHookKey struct{}

// WithAttemptHook returns a ctx under which every request a business call sends to WeChat,
// each retry included, first calls fn. Each attempt may have reached WeChat and used its quota,
// so the caller can count what WeChat counts.
func WithAttemptHook(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, attemptHookKey{}, fn)
}

// call performs a business API call with the access_token, refetching the token and retrying once
// when WeChat says the token is invalid or expired, and only if the cached token is still the one
// that failed. out may be nil.
func (c *Client) call(ctx context.Context, rq apiRequest, out any) error {
	for refreshed := false; ; refreshed = true {
		token, err := c.AccessToken(ctx)
		if err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range rq.query {
			q[k] = v
		}
		q.Set("access_token", token)
		withToken := rq
		withToken.query = q
		withToken.onAttempt, _ = ctx.Value(attemptHookKey{}).(func())
		raw, err := c.send(ctx, withToken)
		if err != nil {
			if e, ok := AsError(err); ok && !refreshed && IsTokenError(e.Code) {
				c.tok.invalidate(token)
				continue
			}
			return err
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("wechat: %s: decode response: %w", rq.path, err)
			}
		}
		return nil
	}
}

// callJSON marshals in (without HTML escaping: article HTML must arrive as written) and POSTs it.
func (c *Client) callJSON(ctx context.Context, path string, retry retryPolicy, in, out any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return fmt.Errorf("wechat: %s: encode request: %w", path, err)
	}
	return c.call(ctx, apiRequest{method: http.MethodPost, path: path, contentType: "application/json; charset=utf-8",
		body: bytes.TrimRight(buf.Bytes(), "\n"), retry: retry}, out)
}

// send makes the request, turns a non-zero errcode into *Error, and repeats it after transient
// failures as rq.retry allows, waiting with exponential backoff and jitter.
func (c *Client) send(ctx context.Context, rq apiRequest) ([]byte, error) {
	for n := 0; ; n++ {
		if rq.onAttempt != nil {
			rq.onAttempt()
		}
		raw, ambiguous, err := c.roundTrip(ctx, rq)
		if err == nil {
			if err = checkErrcode(rq.path, raw); err == nil {
				return raw, nil
			}
		}
		if n >= c.retries || ctx.Err() != nil || !retryable(rq.retry, ambiguous, err) {
			return nil, err
		}
		d := backoff(n, c.delay, c.maxWait, rand.Float64())
		c.log.Info("wechat: transient failure, retrying", "path", rq.path, "attempt", n+2, "wait", d, "err", err)
		if c.sleep(ctx, d) != nil {
			return nil, err
		}
	}
}

// retryable decides whether a failed attempt may be repeated under policy. ambiguous means a
// timeout or an HTTP 5xx: WeChat may or may not have acted.
func retryable(policy retryPolicy, ambiguous bool, err error) bool {
	if ambiguous {
		return policy == retryAlways
	}
	e, ok := AsError(err)
	return ok && protocol.Transient(e.Code) && !protocol.WaitMinute(e.Code) && policy >= retryErrcode
}

// backoff is the wait before retry n+1: base·2ⁿ capped at max, then a random point in its upper
// half (rnd in [0,1)), so concurrent clients spread out and the total wait stays bounded.
func backoff(n int, base, ceiling time.Duration, rnd float64) time.Duration {
	d := ceiling
	if n < 32 && base<<n > 0 && base<<n < ceiling {
		d = base << n
	}
	return d/2 + time.Duration(rnd*float64(d/2))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkErrcode returns the *Error of a non-zero errcode (with the msg_id of a 45065).
func checkErrcode(path string, raw []byte) error {
	var eb errBody
	if err := json.Unmarshal(raw, &eb); err != nil {
		return fmt.Errorf("wechat: %s: response is not JSON: %w", path, err)
	}
	if eb.Errcode == 0 {
		return nil
	}
	e := &Error{Code: eb.Errcode, Msg: eb.Errmsg}
	if eb.Errcode == protocol.CodeClientMsgIDExist {
		e.MsgID = int64(eb.MsgID)
	}
	return e
}

// roundTrip sends one request and returns the (size-limited) body. ambiguous reports a timeout
// or an HTTP 5xx (WeChat may have acted). Errors never contain the query string, which holds
// the access_token or the AppSecret.
func (c *Client) roundTrip(ctx context.Context, rq apiRequest) (raw []byte, ambiguous bool, err error) {
	attempt := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		attempt, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	method, path := rq.method, rq.path
	var rd io.Reader
	if rq.body != nil {
		rd = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(attempt, method, c.base+path+"?"+rq.query.Encode(), rd)
	if err != nil {
		return nil, false, c.redact(fmt.Errorf("wechat: %s %s: %w", method, path, err))
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, isTimeout(ctx, err), c.redact(fmt.Errorf("wechat: %s %s: %w", method, path, redactURLError(err)))
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, isTimeout(ctx, err), c.redact(fmt.Errorf("wechat: %s %s: read response: %w", method, path, redactURLError(err)))
	}
	if len(raw) > maxResponseBytes {
		return nil, false, fmt.Errorf("wechat: %s %s: response larger than %d bytes", method, path, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode >= 500, fmt.Errorf("wechat: %s %s: HTTP %s", method, path, resp.Status)
	}
	return raw, false, nil
}

// isTimeout reports an attempt that timed out while the caller's own context is still live.
func isTimeout(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// redactURLError replaces the URL inside a *url.Error by one without its query string.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &url.Error{Op: ue.Op, URL: stripQuery(ue.URL), Err: ue.Err}
}

func stripQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i] + "?[redacted]"
	}
	return raw
}

// redact is the last line of defence: an error whose text still holds the secret or the
// current token is replaced by a flattened, scrubbed copy.
func (c *Client) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	_, secret := c.account()
	secrets := []string{secret, c.tok.peek()}
	dirty := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			dirty = true
		}
	}
	if !dirty {
		return err
	}
	return &redactedError{msg: msg, cause: errors.Unwrap(err)}
}

// redactedError keeps errors.Is(err, context.DeadlineExceeded) and friends working through the
// sentinel chain while hiding the original text.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Is(target error) bool {
	return target == context.Canceled && errors.Is(e.cause, context.Canceled) ||
		target == context.DeadlineExceeded && errors.Is(e.cause, context.DeadlineExceeded) ||
		target == ErrUnreachable && Unreachable(e.cause)
}

// flexInt64 decodes a JSON number or a string holding a number (WeChat uses both for msg_id).
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		*f = 0
		return nil
	}
	s = strings.Trim(s, `"`)
	s = strings.TrimSpace(s)
	if s == "" {
		*f = 0
		return nil
	}
	var n json.Number = json.Number(s)
	v, err := n.Int64()
	if err != nil {
		return fmt.Errorf("wechat: %q is not an integer", s)
	}
	*f = flexInt64(v)
	return nil
}
