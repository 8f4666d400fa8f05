package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"qunfa/wechat"
)

// push POSTs a sealed event to the callback URL as WeChat does (§4.2, §4.7): signature query,
// text/xml body (AES-encrypted in secure mode), 5 s timeout, and three more attempts when
// the reply is not "success" or an empty 200. Every attempt carries the same event.
func (s *Server) push(target string, plaintext []byte, now time.Time) {
	codec := wechat.Codec{Token: s.cfg.Token, AppID: s.cfg.AppID, EncodingAESKey: s.cfg.EncodingAESKey}
	q, body, err := codec.Seal(plaintext, strconv.FormatInt(now.Unix(), 10), randomString(digits, 10), s.cfg.EncodingAESKey != "")
	if err != nil {
		s.cfg.Logger.Error("sandbox: cannot seal callback", "err", err)
		return
	}
	u, err := url.Parse(target)
	if err != nil {
		s.cfg.Logger.Error("sandbox: bad callback URL", "url", target, "err", err)
		return
	}
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	for attempt := 0; attempt <= pushRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-s.pushCtx.Done():
				return // Close: stop retrying
			case <-time.After(s.cfg.PushRetryGap):
			}
		}
		reply, err := s.pushOnce(u.String(), body)
		if err == nil {
			return
		}
		s.cfg.Logger.Warn("sandbox: callback not acknowledged", "attempt", attempt+1, "err", err, "reply", reply)
	}
}

// pushOnce makes one delivery attempt; nil means the receiver acknowledged it.
func (s *Server) pushOnce(target string, body []byte) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0") // what WeChat's pusher sends
	resp, err := s.pushClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	reply := strings.TrimSpace(string(raw))
	if resp.StatusCode != http.StatusOK {
		return reply, &pushError{status: resp.StatusCode}
	}
	if reply != "" && reply != "success" {
		return reply, &pushError{status: resp.StatusCode}
	}
	return reply, nil
}

type pushError struct{ status int }

func (e *pushError) Error() string {
	return "callback answered HTTP " + strconv.Itoa(e.status) + " without \"success\""
}
