package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
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

type openIDList struct {
	OpenID []string `json:"openid"`
}

type userPage struct {
	Total      int         `json:"total"`
	Count      int         `json:"count"`
	Data       *openIDList `json:"data,omitempty"`
	NextOpenID string      `json:"next_openid"`
}

// cursor decodes a next_openid / begin_openid: "" is the top (-1); an OpenID that was ever a
// follower is a position, even after it unsubscribed, so paging goes on where it stopped.
// Anything else → 40003.
func (s *Server) cursor(next string) (int, *apiError) {
	if next == "" {
		return -1, nil
	}
	k, known, _ := s.pop.lookup(next)
	if !known {
		return 0, fail(40003)
	}
	return k, nil
}

// openIDPage lists a page of indexes as OpenIDs; next is the last one ("" past the end, with
// no data, as the real server answers).
func openIDPage(ks []int) (count int, data *openIDList, next string) {
	if len(ks) == 0 {
		return 0, nil, ""
	}
	data = &openIDList{OpenID: make([]string, len(ks))}
	for i, k := range ks {
		data.OpenID[i] = openIDOf(k)
	}
	return len(ks), data, data.OpenID[len(ks)-1]
}

// userGet serves GET /cgi-bin/user/get?next_openid= (§6.3): 10 000 current followers a page,
// in order of subscription, after next_openid. next_openid is the page's last OpenID; past the
// end count is 0, data is absent and next_openid is empty, as the real server answers. total is
// the current number of followers. New followers join at the end and leavers are skipped, so
// paging stays consistent while followers come and go between pages.
func (s *Server) userGet(r *http.Request) (any, *apiError) {
	from, e := s.cursor(r.URL.Query().Get("next_openid"))
	if e != nil {
		return nil, e
	}
	page := userPage{Total: s.pop.total()}
	page.Count, page.Data, page.NextOpenID = openIDPage(s.pop.page(AllFollowers, from, userPageSize))
	return page, nil
}

// getBlacklist serves POST /cgi-bin/tags/members/getblacklist {"begin_openid"} (§14): the
// members of 黑名单 (group 1), blacklistPageSize a page after begin_openid, shaped like user/get
// with total the blacklist's size. The page size is UNCONFIRMED (10 000 in the 2016 doc, 1 000 in
// today's): the sandbox takes today's 1 000, which also makes clients page.
func (s *Server) getBlacklist(r *http.Request) (any, *apiError) {
	var req struct {
		BeginOpenID string `json:"begin_openid"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	from, e := s.cursor(req.BeginOpenID)
	if e != nil {
		return nil, e
	}
	var page userPage
	for _, g := range s.pop.groups() {
		if g.ID == GroupBlacklist {
			page.Total = g.Count
		}
	}
	page.Count, page.Data, page.NextOpenID = openIDPage(s.pop.page(GroupBlacklist, from, blacklistPageSize))
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

// leftInfo is batchget's entry for someone who unsubscribed: WeChat answers only this.
type leftInfo struct {
	Subscribe int    `json:"subscribe"`
	OpenID    string `json:"openid"`
}

// info is follower k's profile: the user's own language (lang, the request's, only chooses the
// language of place names, which are no longer returned).
func (s *Server) info(k int) userInfo {
	g := groupOf(k)
	u := userInfo{Subscribe: 1, OpenID: openIDOf(k), Language: language(k), GroupID: g, TagIDList: tagsOf(g),
		SubscribeTime: s.pop.subscribeTime(k), Remark: remark(k), SubscribeScene: scene(k)}
	if u.SubscribeScene == "ADD_SCENE_QR_CODE" {
		u.QRScene = 98765
	}
	return u
}

func tagsOf(groupID int64) []int64 {
	if isTag(groupID) {
		return []int64{groupID}
	}
	return []int64{}
}

// userInfoBatchGet serves POST /cgi-bin/user/info/batchget {"user_list":[{"openid","lang"}]}
// → {"user_info_list":[...]} in request order. user_list missing, empty or over 100 → 40032;
// an OpenID that was never a follower → 40003 (one who unsubscribed answers {"subscribe":0,
// "openid"}); lang zh_CN (default), zh_TW or en, else 40003.
func (s *Server) userInfoBatchGet(r *http.Request) (any, *apiError) {
	req, e := decodeBatchGet(r)
	if e != nil {
		return nil, e
	}
	if len(req.UserList) == 0 || len(req.UserList) > batchGetMax {
		return nil, fail(40032)
	}
	for _, u := range req.UserList {
		switch u.Lang {
		case "", "zh_CN", "zh_TW", "en":
		default:
			return nil, fail(40003)
		}
	}
	// Built by hand: a 1,000,000-follower sync makes 10,000 of these calls, and every string in
	// them is plain (OpenID alphabet, fixed languages, scenes and remarks), so nothing needs
	// escaping. TestBatchGetEncoding checks it against encoding/json.
	b := make(encoded, 0, 64+len(req.UserList)*260)
	b = append(b, `{"user_info_list":[`...)
	for i, u := range req.UserList {
		k, known, subscribed := s.pop.lookup(u.OpenID)
		if !known {
			return nil, fail(40003)
		}
		if i > 0 {
			b = append(b, ',')
		}
		if !subscribed {
			b = appendLeftInfo(b, leftInfo{OpenID: openIDOf(k)})
			continue
		}
		b = appendUserInfo(b, s.info(k))
	}
	return append(b, "]}\n"...), nil
}

type batchUser struct {
	OpenID string `json:"openid"`
	Lang   string `json:"lang"`
}

type batchRequest struct {
	UserList []batchUser `json:"user_list"`
}

// decodeBatchGet reads a batchget body as decodeJSON would. The usual shape is read by a small
// scanner (parseBatchGet), the sandbox's costliest step in a 1,000,000-follower sync otherwise;
// anything it does not take as-is goes through encoding/json, so the answers are the same.
func decodeBatchGet(r *http.Request) (batchRequest, *apiError) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, jsonMaxBytes))
	if err != nil {
		return batchRequest{}, tooBigOr(err, 47001)
	}
	if req, ok := parseBatchGet(data); ok {
		return req, nil
	}
	var req batchRequest
	if len(bytes.TrimSpace(data)) == 0 {
		return req, fail(44002)
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return req, fail(47001)
	}
	return req, nil
}

// parseBatchGet reads exactly {"user_list":[{"openid":"…","lang":"…"},…]} with any whitespace,
// keys in any order, and strings of printable ASCII without escapes; ok is false for anything
// else (other keys, escapes, null, bad syntax), which encoding/json then decides.
func parseBatchGet(b []byte) (req batchRequest, ok bool) {
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	tok := func(c byte) bool {
		ws()
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	str := func() (string, bool) {
		if !tok('"') {
			return "", false
		}
		start := i
		for ; i < len(b) && b[i] != '"'; i++ {
			if b[i] < 0x20 || b[i] > 0x7e || b[i] == '\\' {
				return "", false
			}
		}
		if i == len(b) {
			return "", false
		}
		i++
		return string(b[start : i-1]), true
	}
	if !tok('{') {
		return req, false
	}
	if k, ok := str(); !ok || k != "user_list" || !tok(':') || !tok('[') {
		return req, false
	}
	req.UserList = []batchUser{}
	if !tok(']') {
		for {
			var u batchUser
			if !tok('{') {
				return req, false
			}
			for first := true; !tok('}'); first = false {
				if !first && !tok(',') {
					return req, false
				}
				k, ok := str()
				if !ok || !tok(':') {
					return req, false
				}
				v, ok := str()
				switch {
				case !ok:
					return req, false
				case k == "openid":
					u.OpenID = v
				case k == "lang":
					u.Lang = v
				default:
					return req, false
				}
			}
			req.UserList = append(req.UserList, u)
			if tok(']') {
				break
			}
			if !tok(',') {
				return req, false
			}
		}
	}
	if !tok('}') {
		return req, false
	}
	ws()
	return req, i == len(b)
}

// appendUserInfo is json.Marshal(u) for userInfo's plain strings.
func appendUserInfo(b []byte, u userInfo) []byte {
	b = append(b, `{"subscribe":`...)
	b = strconv.AppendInt(b, int64(u.Subscribe), 10)
	b = append(append(append(b, `,"openid":"`...), u.OpenID...), `","language":"`...)
	b = append(append(b, u.Language...), `","subscribe_time":`...)
	b = strconv.AppendInt(b, u.SubscribeTime, 10)
	b = append(append(append(b, `,"remark":"`...), u.Remark...), `","groupid":`...)
	b = strconv.AppendInt(b, u.GroupID, 10)
	b = append(b, `,"tagid_list":[`...)
	for i, t := range u.TagIDList {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, t, 10)
	}
	b = append(append(append(b, `],"subscribe_scene":"`...), u.SubscribeScene...), `","qr_scene":`...)
	b = strconv.AppendInt(b, u.QRScene, 10)
	return append(append(append(b, `,"qr_scene_str":"`...), u.QRSceneStr...), `"}`...)
}

func appendLeftInfo(b []byte, u leftInfo) []byte {
	b = append(b, `{"subscribe":`...)
	b = strconv.AppendInt(b, int64(u.Subscribe), 10)
	return append(append(append(b, `,"openid":"`...), u.OpenID...), `"}`...)
}

// userTagGet serves POST /cgi-bin/user/tag/get {"tagid","next_openid"} (§6.2): the tag's
// current followers, 10 000 a page after next_openid, shaped like user/get without "total"; past
// the end count 0, no data, next_openid "". tagid missing or not a tag → 45159; an unknown
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
	from, e := s.cursor(req.NextOpenID)
	if e != nil {
		return nil, e
	}
	var page struct {
		Count      int         `json:"count"`
		Data       *openIDList `json:"data,omitempty"`
		NextOpenID string      `json:"next_openid"`
	}
	page.Count, page.Data, page.NextOpenID = openIDPage(s.pop.page(id, from, tagPageSize))
	return page, nil
}

// tagsGetIDList serves POST /cgi-bin/tags/getidlist {"openid"} → {"tagid_list":[...]} (§6.2).
// An OpenID missing or not a current follower → 40003.
func (s *Server) tagsGetIDList(r *http.Request) (any, *apiError) {
	var req struct {
		OpenID string `json:"openid"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	k, ok := s.pop.follower(req.OpenID)
	if !ok {
		return nil, fail(40003)
	}
	return struct {
		TagIDList []int64 `json:"tagid_list"`
	}{tagsOf(groupOf(k))}, nil
}
