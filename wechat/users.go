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
	if err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/cgi-bin/groups/get", retry: retryAlways}, &out); err != nil {
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

// userPage is the wire form of a page of OpenIDs: user/get, getblacklist (user/tag/get has no total).
type userPage struct {
	Total flexInt64 `json:"total"`
	Count flexInt64 `json:"count"`
	Data  struct {
		OpenID []string `json:"openid"`
	} `json:"data"`
	NextOpenID string `json:"next_openid"`
}

func (p userPage) list() UserList {
	return UserList{Total: int(p.Total), Count: int(p.Count), OpenIDs: p.Data.OpenID, NextOpenID: p.NextOpenID}
}

// Users lists followers starting after nextOpenID ("" = from the beginning) (GET cgi-bin/user/get).
func (c *Client) Users(ctx context.Context, nextOpenID string) (UserList, error) {
	var out userPage
	q := url.Values{"next_openid": {nextOpenID}}
	if err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/cgi-bin/user/get", query: q, retry: retryAlways}, &out); err != nil {
		return UserList{}, err
	}
	return out.list(), nil
}

// Tag is a follower tag (tags/get); Count is the number of followers carrying it.
type Tag struct {
	ID    int64
	Name  string
	Count int
}

// Tags lists the account's tags (GET cgi-bin/tags/get).
func (c *Client) Tags(ctx context.Context) ([]Tag, error) {
	var out struct {
		Tags []struct {
			ID    flexInt64 `json:"id"`
			Name  string    `json:"name"`
			Count flexInt64 `json:"count"`
		} `json:"tags"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/cgi-bin/tags/get", retry: retryAlways}, &out); err != nil {
		return nil, err
	}
	tags := make([]Tag, 0, len(out.Tags))
	for _, t := range out.Tags {
		tags = append(tags, Tag{ID: int64(t.ID), Name: t.Name, Count: int(t.Count)})
	}
	return tags, nil
}

// TagUsers lists one page of a tag's followers after nextOpenID ("" = from the start)
// (POST cgi-bin/user/tag/get). Total is 0: that answer has none.
func (c *Client) TagUsers(ctx context.Context, tagID int64, nextOpenID string) (UserList, error) {
	var out userPage // no total in this answer
	if err := c.callJSON(ctx, "/cgi-bin/user/tag/get", retryAlways, struct {
		TagID      int64  `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}{tagID, nextOpenID}, &out); err != nil {
		return UserList{}, err
	}
	return out.list(), nil
}

// UserTagIDs returns the ids of the tags a follower carries (POST cgi-bin/tags/getidlist).
func (c *Client) UserTagIDs(ctx context.Context, openID string) ([]int64, error) {
	var out struct {
		TagIDList []int64 `json:"tagid_list"`
	}
	if err := c.callJSON(ctx, "/cgi-bin/tags/getidlist", retryAlways, struct {
		OpenID string `json:"openid"`
	}{openID}, &out); err != nil {
		return nil, err
	}
	return out.TagIDList, nil
}

// UserInfo is a follower's profile as user/info and user/info/batchget return it. Since
// 2021-12-27 WeChat no longer returns nickname, avatar, sex or place. Subscribe 0 means the
// person does not follow the account, and the other fields are then empty.
type UserInfo struct {
	Subscribe      int     `json:"subscribe"`
	OpenID         string  `json:"openid"`
	Language       string  `json:"language"`
	SubscribeTime  int64   `json:"subscribe_time"`
	UnionID        string  `json:"unionid"`
	Remark         string  `json:"remark"`
	GroupID        int64   `json:"groupid"`
	TagIDs         []int64 `json:"tagid_list"`
	SubscribeScene string  `json:"subscribe_scene"`
	QRScene        int64   `json:"qr_scene"`
	QRSceneStr     string  `json:"qr_scene_str"`
}

// BatchUserInfo returns the profiles of up to 100 followers (POST cgi-bin/user/info/batchget);
// lang is zh_CN, zh_TW or en ("" → zh_CN). WeChat answers 40032 for an empty list or over 100.
func (c *Client) BatchUserInfo(ctx context.Context, openIDs []string, lang string) ([]UserInfo, error) {
	if lang == "" {
		lang = "zh_CN"
	}
	type entry struct {
		OpenID string `json:"openid"`
		Lang   string `json:"lang"`
	}
	list := make([]entry, len(openIDs))
	for i, id := range openIDs {
		list[i] = entry{id, lang}
	}
	var out struct {
		UserInfoList []UserInfo `json:"user_info_list"`
	}
	if err := c.callJSON(ctx, "/cgi-bin/user/info/batchget", retryAlways, struct {
		UserList []entry `json:"user_list"`
	}{list}, &out); err != nil {
		return nil, err
	}
	return out.UserInfoList, nil
}

// Blacklist lists one page of the followers the account blocked, after begin ("" = from the
// start) (POST cgi-bin/tags/members/getblacklist, protocol §14). Its page size is UNCONFIRMED
// (10,000 or 1,000); callers follow NextOpenID until it is empty or repeats.
func (c *Client) Blacklist(ctx context.Context, begin string) (UserList, error) {
	var out userPage
	if err := c.callJSON(ctx, "/cgi-bin/tags/members/getblacklist", retryAlways, struct {
		BeginOpenID string `json:"begin_openid"`
	}{begin}, &out); err != nil {
		return UserList{}, err
	}
	return out.list(), nil
}
