package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
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
	if p, ok := s.seal(target, plaintext, now); ok {
		s.deliver(p, 0, pushRetries)
	}
}

// sealedPush is an event ready to POST: every attempt sends exactly this.
type sealedPush struct {
	url, contentType string
	body             []byte
}

// seal signs (and in secure mode encrypts) the event and builds the URL and body to POST.
func (s *Server) seal(target string, plaintext []byte, now time.Time) (sealedPush, bool) {
	codec := wechat.Codec{Token: s.cfg.Token, AppID: s.cfg.AppID, EncodingAESKey: s.cfg.EncodingAESKey}
	q, body, err := codec.Seal(plaintext, strconv.FormatInt(now.Unix(), 10), randomString(digits, 10), s.cfg.EncodingAESKey != "")
	if err != nil {
		s.cfg.Logger.Error("sandbox: cannot seal callback", "err", err)
		return sealedPush{}, false
	}
	u, err := url.Parse(target)
	if err != nil {
		s.cfg.Logger.Error("sandbox: bad callback URL", "url", target, "err", err)
		return sealedPush{}, false
	}
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	contentType := "text/xml"
	if s.cfg.PushJSON {
		contentType = "application/json"
		if s.cfg.EncodingAESKey != "" {
			var env struct {
				ToUserName string `xml:"ToUserName" json:"ToUserName"`
				Encrypt    string `xml:"Encrypt" json:"Encrypt"`
			}
			if err := xml.Unmarshal(body, &env); err != nil {
				s.cfg.Logger.Error("sandbox: cannot re-wrap callback as JSON", "err", err)
				return sealedPush{}, false
			}
			body, _ = json.Marshal(env)
		}
	}
	return sealedPush{u.String(), contentType, body}, true
}

// deliver makes attempts from..last (0 is the first, pushRetries the last; PushRetryGap before
// each retry) until one is acknowledged, and reports whether one was.
func (s *Server) deliver(p sealedPush, from, last int) bool {
	for attempt := from; attempt <= last; attempt++ {
		if attempt > 0 && s.cfg.Sleep(s.pushCtx, s.cfg.PushRetryGap) != nil {
			return false // Close: stop retrying
		}
		reply, err := s.pushOnce(p.url, p.contentType, p.body)
		if err == nil {
			if s.takeDuplicate() {
				// WeChat sometimes delivers an event again although it was acknowledged;
				// receivers de-duplicate (FromUserName + CreateTime, or MsgID).
				if _, err := s.pushOnce(p.url, p.contentType, p.body); err != nil {
					s.cfg.Logger.Warn("sandbox: duplicate callback not acknowledged", "err", err)
				}
			}
			return true
		}
		s.cfg.Logger.Warn("sandbox: callback not acknowledged", "attempt", attempt+1, "err", err, "reply", reply)
	}
	return false
}

// pushOnce makes one delivery attempt; nil means the receiver acknowledged it.
func (s *Server) pushOnce(target, contentType string, body []byte) (string, error) {
	ctx, cancel := context.WithTimeout(s.pushCtx, s.cfg.PushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", contentType)
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

// takeDuplicate consumes one DuplicateNextCallback.
func (s *Server) takeDuplicate() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.duplicates == 0 {
		return false
	}
	s.duplicates--
	return true
}

type pushError struct{ status int }

func (e *pushError) Error() string {
	return "callback answered HTTP " + strconv.Itoa(e.status) + " without \"success\""
}
