package models

import (
	"context"
	"fmt"
)

// profile is the API profile in force: the operator's saved settings, or the
// defaults of the mode this process runs in (Store.Settings).
func (s *Service) profile(ctx context.Context) (Settings, error) {
	st, err := s.store.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	return st.Profile(), nil
}

// MaxArticles is how many articles a news message may have under the API
// profile in force (10 on the seed's API, 8 on today's).
func (s *Service) MaxArticles(ctx context.Context) (int, error) {
	p, err := s.profile(ctx)
	return p.MaxArticles, err
}

// Audiences lists what a send can target besides everyone, with follower
// counts, straight from WeChat (ordinary calls: no daily quota): the 2014
// groups or today's tags, as the API profile says. byTag tells which.
func (s *Service) Audiences(ctx context.Context) (list []Group, byTag bool, err error) {
	p, err := s.profile(ctx)
	if err != nil {
		return nil, false, err
	}
	return s.audiences(ctx, p.Audience)
}

func (s *Service) audiences(ctx context.Context, audience string) ([]Group, bool, error) {
	if audience == AudienceTags {
		list, err := s.wx.Tags(ctx)
		if err != nil {
			return nil, true, fmt.Errorf("models: fetch tags: %w", err)
		}
		return list, true, nil
	}
	list, err := s.wx.Groups(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("models: fetch groups: %w", err)
	}
	return list, false, nil
}
