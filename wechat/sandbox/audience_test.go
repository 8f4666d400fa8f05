package sandbox

import (
	"encoding/json"
	"net/url"
	"regexp"
	"testing"
)

func TestPopulationIsDeterministic(t *testing.T) {
	a, b := New(Config{Followers: 500}), New(Config{Followers: 500})
	defer a.Close()
	defer b.Close()
	ids := a.OpenIDs(AllFollowers)
	if len(ids) != 500 {
		t.Fatalf("%d followers, want 500", len(ids))
	}
	format := regexp.MustCompile(`^oV5Crj[A-Za-z0-9_-]{22}$`)
	seen := map[string]bool{}
	for i, id := range ids {
		if !format.MatchString(id) || seen[id] {
			t.Fatalf("OpenID %q is malformed or repeated", id)
		}
		seen[id] = true
		if b.OpenIDs(AllFollowers)[i] != id {
			t.Fatal("two sandboxes with the same size differ")
		}
	}
	total, refusers := 0, 0
	want := map[int64]string{0: "未分组", 1: "黑名单", 2: "星标组", 100: "北京用户", 101: "上海用户", 102: "老客户", 103: "测试组"}
	for _, g := range a.Groups() {
		if want[g.ID] != g.Name {
			t.Errorf("group %d %q unexpected", g.ID, g.Name)
		}
		if g.Count != len(a.OpenIDs(g.ID)) {
			t.Errorf("group %d count %d, members %d", g.ID, g.Count, len(a.OpenIDs(g.ID)))
		}
		total += g.Count
	}
	if total != 500 || len(a.Groups()) != len(want) {
		t.Errorf("groups hold %d followers in %d groups", total, len(a.Groups()))
	}
	if n := len(a.OpenIDs(GroupTest)); n != 5 {
		t.Errorf("测试组 has %d members, want 5", n)
	}
	for _, id := range ids {
		if a.Refuses(id) {
			refusers++
		}
	}
	if refusers == 0 || refusers > 50 {
		t.Errorf("%d of 500 refuse mass messages, want about 3%%", refusers)
	}
}

func TestGroupsAndTags(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.get("/cgi-bin/groups/get", nil)
	var body struct {
		Groups []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Count int    `json:"count"`
		} `json:"groups"`
	}
	raw, _ := json.Marshal(r)
	if err := json.Unmarshal(raw, &body); err != nil || len(body.Groups) != 7 || body.Groups[6].Name != "测试组" || body.Groups[6].Count != 5 {
		t.Fatalf("groups/get = %v", r)
	}
	tags := h.get("/cgi-bin/tags/get", nil)["tags"].([]any)
	if len(tags) != 5 { // 星标组 and the four custom groups
		t.Errorf("tags/get has %d tags, want 5", len(tags))
	}
}

func TestUserGetPaging(t *testing.T) {
	h := newHarness(t, Config{Followers: 25000})
	all := h.s.OpenIDs(AllFollowers)
	var got []string
	next := ""
	for page := 0; ; page++ {
		if page > 4 {
			t.Fatal("paging does not end")
		}
		r := h.get("/cgi-bin/user/get", url.Values{"next_openid": {next}})
		wantCode(t, r, 0)
		if num(r, "total") != 25000 {
			t.Fatalf("total = %v", r["total"])
		}
		count := int(num(r, "count"))
		if count == 0 {
			if r["next_openid"] != "" || r["data"] != nil {
				t.Errorf("past the end: %v, want empty next_openid and no data", r)
			}
			break
		}
		ids := r["data"].(map[string]any)["openid"].([]any)
		if count != len(ids) || count > 10000 {
			t.Fatalf("count %d, %d ids", count, len(ids))
		}
		for _, id := range ids {
			got = append(got, id.(string))
		}
		next = r["next_openid"].(string)
		if next != got[len(got)-1] {
			t.Errorf("next_openid %q is not the page's last OpenID", next)
		}
	}
	if len(got) != len(all) || got[0] != all[0] || got[len(got)-1] != all[len(all)-1] {
		t.Errorf("paged %d OpenIDs, want %d in order", len(got), len(all))
	}
	wantCode(t, h.get("/cgi-bin/user/get", url.Values{"next_openid": {"oV5Crj_unknown"}}), 40003)
}
