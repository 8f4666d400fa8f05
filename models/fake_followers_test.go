package models

import (
	"context"
	"slices"
)

// fakeFollowerPage is user/get's page size (protocol §6.3).
const fakeFollowerPage = 10000

// fakeAudience is the fake WeChat's follower population: OpenIDs in user/get's order, the
// details batchget answers, and the blacklist. Tests set it through setAudience.
type fakeAudience struct {
	order     []string
	info      map[string]FollowerInfo
	blacklist []string
}

func (f *fakeWeChat) setAudience(people []FollowerInfo, blacklist []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := &fakeAudience{info: make(map[string]FollowerInfo, len(people)), blacklist: blacklist}
	for _, p := range people {
		if p.Subscribed {
			a.order = append(a.order, p.OpenID)
		}
		a.info[p.OpenID] = p
	}
	f.audience = a
}

func page(list []string, next string) FollowerPage {
	start := 0
	if next != "" {
		start = slices.Index(list, next) + 1
	}
	end := min(start+fakeFollowerPage, len(list))
	p := FollowerPage{Total: len(list)}
	if start < end {
		p.OpenIDs = list[start:end]
		p.Next = list[end-1]
	}
	return p
}

func (f *fakeWeChat) Followers(ctx context.Context, next string) (FollowerPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["user/get"]++
	if f.audience == nil {
		return FollowerPage{}, nil
	}
	return page(f.audience.order, next), nil
}

func (f *fakeWeChat) Blacklist(ctx context.Context, begin string) (FollowerPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.audience == nil {
		return FollowerPage{}, nil
	}
	return page(f.audience.blacklist, begin), nil
}

func (f *fakeWeChat) FollowerDetails(ctx context.Context, openIDs []string) ([]FollowerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["user/info/batchget"]++
	out := make([]FollowerInfo, 0, len(openIDs))
	for _, id := range openIDs {
		var p FollowerInfo
		ok := false
		if f.audience != nil {
			p, ok = f.audience.info[id]
		}
		if !ok {
			p = FollowerInfo{OpenID: id}
		}
		out = append(out, p)
	}
	return out, nil
}
