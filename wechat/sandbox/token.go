package sandbox

import (
	"math/rand/v2"
	"net/http"
	"time"
)

type tokenState struct {
	expiresAt    time.Time
	supersededAt time.Time // zero while it is the newest token
	expired      bool      // forced by ExpireTokens
}

// token serves GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… (§1.1).
func (s *Server) token(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	switch {
	case q.Get("grant_type") != "client_credential":
		return nil, fail(40002)
	case q.Get("appid") == "":
		return nil, fail(41002)
	case q.Get("appid") != s.cfg.AppID:
		return nil, fail(40013)
	case q.Get("secret") == "":
		return nil, fail(41004)
	case q.Get("secret") != s.cfg.AppSecret:
		return nil, fail(40001) // the §1.1 table: a wrong AppSecret at fetch answers 40001
	}
	now := s.now()
	tok := randomString(tokenAlphabet, 136) // real tokens are long opaque strings (reserve 512)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if t.supersededAt.IsZero() {
			t.supersededAt = now // the previous token lives on for the 5-minute overlap
		}
		if now.Sub(t.expiresAt) > 24*time.Hour {
			delete(s.tokens, k) // long dead: an unknown token answers 40001 all the same
		}
	}
	s.tokens[tok] = &tokenState{expiresAt: now.Add(s.cfg.TokenTTL)}
	return struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}{tok, int64(s.cfg.TokenTTL / time.Second)}, nil
}

// checkToken validates the access_token query parameter of a business call.
func (s *Server) checkToken(tok string) *apiError {
	if tok == "" {
		return fail(41001)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	switch {
	case !ok:
		return fail(40001)
	case t.expired || !now.Before(t.expiresAt):
		return fail(42001)
	case !t.supersededAt.IsZero() && !now.Before(t.supersededAt.Add(tokenOverlap)):
		return fail(40001) // superseded: "access_token is invalid or not latest"
	}
	return nil
}

const (
	tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	digits        = "0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
