package sandbox

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
