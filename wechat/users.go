package wechat

import (
	"context"
	"net/http"
	"net/url"
)

// Group is a 2014-style follower group (groups/get). Ids 0, 1, 2 are system groups; custom ids start at 100.
type Group struct {
	ID    int64
	Name  string
	Count int
}

// Groups lists the account's groups (GET cgi-bin/groups/get).
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	var out struct {
		Groups []struct {
			ID    flexInt64 `json:"id"`
			Name  string    `json:"name"`
			Count flexInt64 `json:"count"`
		} `json:"groups"`
	}
	if err := c.call(ctx, http.MethodGet, "/cgi-bin/groups/get", nil, "", nil, &out); err != nil {
		return nil, err
	}
	groups := make([]Group, 0, len(out.Groups))
	for _, g := range out.Groups {
		groups = append(groups, Group{ID: int64(g.ID), Name: g.Name, Count: int(g.Count)})
	}
	return groups, nil
}

// UserList is one page (≤ 10,000) of followers from user/get.
type UserList struct {
	Total, Count int
	OpenIDs      []string
	NextOpenID   string // "" when the list is exhausted
}

// Users lists followers starting after nextOpenID ("" = from the beginning) (GET cgi-bin/user/get).
func (c *Client) Users(ctx context.Context, nextOpenID string) (UserList, error) {
	var out struct {
		Total flexInt64 `json:"total"`
		Count flexInt64 `json:"count"`
		Data  struct {
			OpenID []string `json:"openid"`
		} `json:"data"`
		NextOpenID string `json:"next_openid"`
	}
	q := url.Values{"next_openid": {nextOpenID}}
	if err := c.call(ctx, http.MethodGet, "/cgi-bin/user/get", q, "", nil, &out); err != nil {
		return UserList{}, err
	}
	return UserList{Total: int(out.Total), Count: int(out.Count), OpenIDs: out.Data.OpenID, NextOpenID: out.NextOpenID}, nil
}
