package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// DefaultBaseURL is the real WeChat API host.
	DefaultBaseURL = "https://api.weixin.qq.com"
	// maxResponseBytes bounds every response body we read.
	maxResponseBytes = 4 << 20
	defaultTimeout   = 15 * time.Second
)

// Config configures a Client.
type Config struct {
	BaseURL    string // e.g. https://api.weixin.qq.com or the sandbox URL (no trailing slash needed)
	AppID      string
	AppSecret  string
	HTTPClient *http.Client     // nil → one with a 15 s timeout
	Now        func() time.Time // nil → time.Now; used for token expiry
}

// Client calls the WeChat Official Account API. It is safe for concurrent use.
type Client struct {
	base   string
	appID  string
	secret string
	hc     *http.Client
	now    func() time.Time
	tok    tokenCache
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
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{base: base, appID: cfg.AppID, secret: cfg.AppSecret, hc: hc, now: now}
	c.tok.init()
	return c
}

// AppID returns the configured AppID.
func (c *Client) AppID() string { return c.appID }

// errBody is the part of every answer that may carry an error.
type errBody struct {
	Errcode int       `json:"errcode"`
	Errmsg  string    `json:"errmsg"`
	MsgID   flexInt64 `json:"msg_id"`
}

// call performs a business API call with the access_token, refetching the token and retrying once
// when WeChat says the token is invalid or expired. out may be nil.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out any) error {
	for attempt := 0; ; attempt++ {
		token, err := c.AccessToken(ctx)
		if err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("access_token", token)
		raw, err := c.roundTrip(ctx, method, path, q, contentType, body)
		if err != nil {
			return err
		}
		var eb errBody
		if err := json.Unmarshal(raw, &eb); err != nil {
			return fmt.Errorf("wechat: %s: response is not JSON: %w", path, err)
		}
		if eb.Errcode != 0 {
			if attempt == 0 && IsTokenError(eb.Errcode) {
				c.tok.invalidate(token)
				continue
			}
			e := &Error{Code: eb.Errcode, Msg: eb.Errmsg}
			if eb.Errcode == CodeClientMsgIDExist {
				e.MsgID = int64(eb.MsgID)
			}
			return e
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("wechat: %s: decode response: %w", path, err)
			}
		}
		return nil
	}
}

// callJSON marshals in (without HTML escaping: article HTML must arrive as written) and POSTs it.
func (c *Client) callJSON(ctx context.Context, path string, in, out any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return fmt.Errorf("wechat: %s: encode request: %w", path, err)
	}
	return c.call(ctx, http.MethodPost, path, nil, "application/json; charset=utf-8", bytes.TrimRight(buf.Bytes(), "\n"), out)
}

// roundTrip sends one request and returns the (size-limited) body. Errors never contain the query
// string, which holds the access_token or the AppSecret.
func (c *Client) roundTrip(ctx context.Context, method, path string, q url.Values, contentType string, body []byte) ([]byte, error) {
	if c.hc.Timeout == 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
			defer cancel()
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?"+q.Encode(), rd)
	if err != nil {
		return nil, c.redact(fmt.Errorf("wechat: %s %s: %w", method, path, err))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.redact(fmt.Errorf("wechat: %s %s: %w", method, path, redactURLError(err)))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.redact(fmt.Errorf("wechat: %s %s: read response: %w", method, path, redactURLError(err)))
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("wechat: %s %s: response larger than %d bytes", method, path, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wechat: %s %s: HTTP %s", method, path, resp.Status)
	}
	return raw, nil
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
	secrets := []string{c.secret, c.tok.peek()}
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
		target == context.DeadlineExceeded && errors.Is(e.cause, context.DeadlineExceeded)
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
