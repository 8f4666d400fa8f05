package models

import "context"

// Groups lists the account's groups with their follower counts, straight from
// WeChat (an ordinary call: it does not use the advanced-API quota).
func (s *Service) Groups(ctx context.Context) ([]Group, error) {
	return s.wx.Groups(ctx)
}
