package sandbox

import "net/http"

// The daily quota: DailyQuota advanced calls per Beijing calendar day. The counter resets when
// Config.Now crosses Beijing midnight. Callers hold s.mu for rollQuotaDay.

func (s *Server) rollQuotaDay() {
	if d := dayKey(s.now()); d != s.quotaDay {
		s.quotaDay, s.quotaUsed = d, 0
	}
}

// reserveQuota takes one unit of today's quota or answers 45009.
func (s *Server) reserveQuota() (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollQuotaDay()
	if s.quotaUsed >= s.cfg.DailyQuota {
		return "", fail(45009)
	}
	s.quotaUsed++
	return s.quotaDay, nil
}

// refundQuota gives back a unit reserved for a call that was then rejected.
func (s *Server) refundQuota(day string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if day == s.quotaDay && s.quotaUsed > 0 {
		s.quotaUsed--
	}
}

// quotaAnswer is openapi/quota/get's "quota" object.
type quotaAnswer struct {
	DailyLimit int `json:"daily_limit"`
	Used       int `json:"used"`
	Remain     int `json:"remain"`
}

// quotaGet is POST /cgi-bin/openapi/quota/get {"cgi_path"} (§7, §16). Under the seed's rule the
// advanced calls share one budget, so every counted path answers the same figures: daily_limit
// DailyQuota, used the counted calls of today (all paths together), remain the rest. A path the
// sandbox does not count (or no path) → 76021. Whether the real server answers mass-send paths
// is UNCONFIRMED (§17.8); the sandbox says it does, and Qunfa falls back to its own meter when
// an account answers 76021 or 76022.
func (s *Server) quotaGet(r *http.Request) (any, *apiError) {
	var req struct {
		CGIPath string `json:"cgi_path"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	if rt, ok := s.routes[req.CGIPath]; !ok || !rt.counted {
		return nil, fail(76021)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollQuotaDay()
	used := min(s.quotaUsed, s.cfg.DailyQuota)
	return struct {
		Errcode int         `json:"errcode"`
		Errmsg  string      `json:"errmsg"`
		Quota   quotaAnswer `json:"quota"`
	}{0, "ok", quotaAnswer{DailyLimit: s.cfg.DailyQuota, Used: used, Remain: s.cfg.DailyQuota - used}}, nil
}
