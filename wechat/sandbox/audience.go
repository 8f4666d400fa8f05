package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
)

type groupJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// groupsGet serves GET /cgi-bin/groups/get, the 2014 group list (§6.1).
func (s *Server) groupsGet(*http.Request) (any, *apiError) {
	var out struct {
		Groups []groupJSON `json:"groups"`
	}
	for _, g := range s.pop.groups() {
		out.Groups = append(out.Groups, groupJSON{g.ID, g.Name, g.Count})
	}
	return out, nil
}

// tagsGet serves GET /cgi-bin/tags/get: today's tags are the old groups except 未分组 and 黑名单 (§6.2).
func (s *Server) tagsGet(*http.Request) (any, *apiError) {
	out := struct {
		Tags []groupJSON `json:"tags"`
	}{Tags: []groupJSON{}}
	for _, g := range s.pop.groups() {
		if isTag(g.ID) {
			out.Tags = append(out.Tags, groupJSON{g.ID, g.Name, g.Count})
		}
	}
	return out, nil
}

type userPage struct {
	Total int `json:"total"`
	Count int `json:"count"`
	Data  *struct {
		OpenID []string `json:"openid"`
	} `json:"data,omitempty"`
	NextOpenID string `json:"next_openid"`
}

// userGet serves GET /cgi-bin/user/get?next_openid= (§6.3): 10 000 OpenIDs a page, starting
// after next_openid. next_openid is the page's last OpenID; past the end count is 0, data
// is absent and next_openid is empty, as the real server answers.
func (s *Server) userGet(r *http.Request) (any, *apiError) {
	start := 0
	if next := r.URL.Query().Get("next_openid"); next != "" {
		k, ok := s.pop.index[next]
		if !ok {
			return nil, fail(40003)
		}
		start = k + 1
	}
	all := s.pop.followers
	page := userPage{Total: len(all)}
	end := min(start+userPageSize, len(all))
	if start >= end {
		return page, nil
	}
	page.Data = &struct {
		OpenID []string `json:"openid"`
	}{}
	for _, f := range all[start:end] {
		page.Data.OpenID = append(page.Data.OpenID, f.openID)
	}
	page.Count = end - start
	page.NextOpenID = all[end-1].openID
	return page, nil
}

func sortInt64s(v []int64) { slices.Sort(v) }

// userInfo is one entry of user/info/batchget (§6.3): since 2021-12-27 no nickname, avatar,
// sex or place; no unionid (the demo account is not bound to an Open Platform account).
type userInfo struct {
	Subscribe      int     `json:"subscribe"`
	OpenID         string  `json:"openid"`
	Language       string  `json:"language"`
	SubscribeTime  int64   `json:"subscribe_time"`
	Remark         string  `json:"remark"`
	GroupID        int64   `json:"groupid"`
	TagIDList      []int64 `json:"tagid_list"`
	SubscribeScene string  `json:"subscribe_scene"`
	QRScene        int64   `json:"qr_scene"`
	QRSceneStr     string  `json:"qr_scene_str"`
}

var subscribeScenes = []string{"ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD",
	"ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_WECHAT_ADVERTISEMENT", "ADD_SCENE_OTHERS"}

// demoEpoch is when the demo account's first follower subscribed (2013-01-01 Beijing).
const demoEpoch = int64(1356969600)

func (s *Server) info(k int, lang string) userInfo {
	f := s.pop.followers[k]
	u := userInfo{Subscribe: 1, OpenID: f.openID, Language: lang, GroupID: f.groupID, TagIDList: tagsOf(f),
		SubscribeTime: demoEpoch + int64(k)*3607 + int64(k*7919%3600), SubscribeScene: subscribeScenes[k%len(subscribeScenes)]}
	if u.SubscribeScene == "ADD_SCENE_QR_CODE" {
		u.QRScene = 98765
	}
	return u
}

func tagsOf(f follower) []int64 {
	if isTag(f.groupID) {
		return []int64{f.groupID}
	}
	return []int64{}
}

// userInfoBatchGet serves POST /cgi-bin/user/info/batchget {"user_list":[{"openid","lang"}]}
// → {"user_info_list":[...]} in request order. user_list missing, empty or over 100 → 40032;
// an OpenID that is not a follower → 40003; lang zh_CN (default), zh_TW or en, else 40003.
func (s *Server) userInfoBatchGet(r *http.Request) (any, *apiError) {
	var req struct {
		UserList []struct {
			OpenID string `json:"openid"`
			Lang   string `json:"lang"`
		} `json:"user_list"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	if len(req.UserList) == 0 || len(req.UserList) > batchGetMax {
		return nil, fail(40032)
	}
	out := struct {
		UserInfoList []userInfo `json:"user_info_list"`
	}{UserInfoList: make([]userInfo, 0, len(req.UserList))}
	for _, u := range req.UserList {
		k, ok := s.pop.index[u.OpenID]
		if !ok {
			return nil, fail(40003)
		}
		lang := u.Lang
		switch lang {
		case "":
			lang = "zh_CN"
		case "zh_CN", "zh_TW", "en":
		default:
			return nil, fail(40003)
		}
		out.UserInfoList = append(out.UserInfoList, s.info(k, lang))
	}
	return out, nil
}

// userTagGet serves POST /cgi-bin/user/tag/get {"tagid","next_openid"} (§6.2): the tag's
// followers, 10 000 a page after next_openid, shaped like user/get without "total"; past the
// end count 0, no data, next_openid "". tagid missing or not a tag → 45159; an unknown
// next_openid → 40003.
func (s *Server) userTagGet(r *http.Request) (any, *apiError) {
	var req struct {
		TagID      json.RawMessage `json:"tagid"`
		NextOpenID string          `json:"next_openid"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	id, ok := flexibleInt(req.TagID)
	if !ok || !isTag(id) || !s.pop.groupExists(id) {
		return nil, fail(45159)
	}
	members := s.pop.members(id)
	start := 0
	if req.NextOpenID != "" {
		k, ok := s.pop.index[req.NextOpenID]
		if !ok {
			return nil, fail(40003)
		}
		start = sort.SearchInts(members, k+1)
	}
	type tagPage struct {
		Count int `json:"count"`
		Data  *struct {
			OpenID []string `json:"openid"`
		} `json:"data,omitempty"`
		NextOpenID string `json:"next_openid"`
	}
	var page tagPage
	end := min(start+tagPageSize, len(members))
	if start >= end {
		return page, nil
	}
	page.Data = &struct {
		OpenID []string `json:"openid"`
	}{}
	for _, k := range members[start:end] {
		page.Data.OpenID = append(page.Data.OpenID, s.pop.followers[k].openID)
	}
	page.Count = end - start
	page.NextOpenID = page.Data.OpenID[page.Count-1]
	return page, nil
}

// tagsGetIDList serves POST /cgi-bin/tags/getidlist {"openid"} → {"tagid_list":[...]} (§6.2).
// An OpenID missing or not a follower → 40003.
func (s *Server) tagsGetIDList(r *http.Request) (any, *apiError) {
	var req struct {
		OpenID string `json:"openid"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	k, ok := s.pop.index[req.OpenID]
	if !ok {
		return nil, fail(40003)
	}
	return struct {
		TagIDList []int64 `json:"tagid_list"`
	}{tagsOf(s.pop.followers[k])}, nil
}
