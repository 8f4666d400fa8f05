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
	stable       bool      // issued by stable_token: isolated from cgi-bin/token (§1.2)
}

// token serves GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… (§1.1).
func (s *Server) token(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	if e := s.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret")); e != nil {
		return nil, e
	}
	now := s.now()
	tok := randomString(tokenAlphabet, 136) // real tokens are long opaque strings (reserve 512)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if !t.stable && t.supersededAt.IsZero() {
			t.supersededAt = now // the previous token lives on for the 5-minute overlap
		}
		if now.Sub(t.expiresAt) > 24*time.Hour {
			delete(s.tokens, k) // long dead: an unknown token answers 40001 all the same
		}
	}
	s.tokens[tok] = &tokenState{expiresAt: now.Add(s.cfg.TokenTTL)}
	return tokenBody{tok, int64(s.cfg.TokenTTL / time.Second)}, nil
}

func (s *Server) checkCredentials(grantType, appID, secret string) *apiError {
	switch {
	case grantType != "client_credential":
		return fail(40002)
	case appID == "":
		return fail(41002)
	case appID != s.cfg.AppID:
		return fail(40013)
	case secret == "":
		return fail(41004)
	case secret != s.cfg.AppSecret:
		return fail(40001) // the §1.1 table: a wrong AppSecret at fetch answers 40001
	}
	return nil
}

type tokenBody struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// stableToken serves POST /cgi-bin/stable_token with a JSON body (§1.2). Its tokens are isolated
// from cgi-bin/token's: neither endpoint's fetch invalidates the other's tokens. Normal mode
// answers the current stable token with its remaining lifetime, renewing it once 5 minutes or
// less are left (the old one then lives out its last minutes), so expires_in is always ≥ 300.
// force_refresh issues a new token and invalidates the old one at once; at most 20 a Beijing
// day (then 45009) and 30 s apart (else 45011) — those two errcodes are UNCONFIRMED.
func (s *Server) stableToken(r *http.Request) (any, *apiError) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	if e := s.checkCredentials(req.GrantType, req.AppID, req.Secret); e != nil {
		return nil, e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.tokens[s.stable]
	if !req.ForceRefresh && cur != nil && !cur.expired && cur.expiresAt.Sub(now) > tokenOverlap {
		return tokenBody{s.stable, int64(cur.expiresAt.Sub(now) / time.Second)}, nil
	}
	if req.ForceRefresh {
		if d := dayKey(now); d != s.forceDay {
			s.forceDay, s.forceCount = d, 0
		}
		switch {
		case s.forceCount >= stableForceDaily:
			return nil, fail(45009)
		case !s.lastForce.IsZero() && now.Sub(s.lastForce) < stableForceGap:
			return nil, fail(45011)
		}
		s.forceCount++
		s.lastForce = now
		delete(s.tokens, s.stable) // force mode invalidates the old token
	}
	tok := randomString(tokenAlphabet, 136)
	s.tokens[tok] = &tokenState{expiresAt: now.Add(s.cfg.TokenTTL), stable: true}
	s.stable = tok
	return tokenBody{tok, int64(s.cfg.TokenTTL / time.Second)}, nil
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
