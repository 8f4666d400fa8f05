package sandbox

import (
	"net/http"
	"slices"
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
