package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"qunfa/wechat"
)

func TestOpenIDsDecodeToTheirIndex(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range []int{0, 1, 2, 4, 5, 63, 64, 999_999, 1_000_000, 2_000_000, 1 << 40} {
		id := openIDOf(k)
		if seen[id] {
			t.Fatalf("OpenID %q repeated", id)
		}
		seen[id] = true
		if got, ok := indexOf(id); !ok || got != k {
			t.Errorf("indexOf(openIDOf(%d)) = %d, %v", k, got, ok)
		}
	}
	// Neighbours share nothing but the prefix: OpenIDs look random.
	a, b := openIDOf(1000), openIDOf(1001)
	same := 0
	for i := 6; i < 28; i++ {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 5 {
		t.Errorf("%q and %q share %d characters", a, b, same)
	}
	// A made-up OpenID, or a real one with a character changed, is nobody.
	id := []byte(openIDOf(77))
	id[20] ^= 1
	for _, bad := range []string{string(id), "oV5Crj_not_a_follower_000000", "oV5Crj", openIDOf(mphelperIndex), ""} {
		if _, ok := indexOf(bad); ok {
			t.Errorf("%q decodes", bad)
		}
	}
	h := newHarness(t, Config{Followers: 10})
	if _, known, _ := h.s.pop.lookup(openIDOf(10)); known {
		t.Error("index 10 of a 10-follower population is known")
	}
}

// pageAll pages user/get from the top, calling between(page) after each page.
func pageAll(t *testing.T, h *harness, between func(page int, last string)) (ids []string, totals []int64) {
	t.Helper()
	next := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging does not end")
		}
		r := h.get("/cgi-bin/user/get", url.Values{"next_openid": {next}})
		wantCode(t, r, 0)
		totals = append(totals, num(r, "total"))
		if num(r, "count") == 0 {
			return ids, totals
		}
		for _, id := range r["data"].(map[string]any)["openid"].([]any) {
			ids = append(ids, id.(string))
		}
		next = r["next_openid"].(string)
		if between != nil {
			between(page, next)
		}
	}
}

func TestUserGetPagingWhileFollowersComeAndGo(t *testing.T) {
	h := newHarness(t, Config{Followers: 25000})
	before := h.s.OpenIDs(AllFollowers)
	var gone, joined []string
	got, totals := pageAll(t, h, func(page int, last string) {
		if page != 0 {
			return
		}
		// Between pages 1 and 2: the cursor itself leaves, so do one follower already listed and
		// two not listed yet, and three subscribe.
		gone = []string{last, before[5000], before[10001], before[24999]}
		if err := h.s.Unsubscribe(gone...); err != nil {
			t.Fatal(err)
		}
		joined = h.s.Subscribe(3)
	})
	if want := []int64{25000, 24999, 24999, 24999}; !slices.Equal(totals, want) {
		t.Errorf("totals %v, want %v (the current followers on each page)", totals, want)
	}
	// Everyone listed exactly once: the first page as it was, then everyone after the cursor who
	// is still a follower, the newcomers last.
	want := append(append([]string{}, before[:10000]...), before[10000:]...)
	want = slices.DeleteFunc(want, func(id string) bool { return id == before[10001] || id == before[24999] })
	want = append(want, joined...)
	if !slices.Equal(got, want) {
		t.Fatalf("paged %d OpenIDs, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	// A fresh pass lists the current followers: the leavers are gone.
	now, _ := pageAll(t, h, nil)
	if len(now) != 24999 || slices.Contains(now, before[5000]) || slices.Contains(now, gone[0]) || now[len(now)-1] != joined[2] {
		t.Errorf("a fresh pass lists %d followers", len(now))
	}
	if !slices.Equal(now, h.s.OpenIDs(AllFollowers)) {
		t.Error("user/get and OpenIDs(AllFollowers) differ")
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestGroupCountsFollowTheFollowers(t *testing.T) {
	h := newHarness(t, Config{Followers: 3000})
	count := func(path, key string, id int64) int64 {
		var list []any
		if path == "/cgi-bin/groups/get" {
			list = h.get(path, nil)["groups"].([]any)
		} else {
			list = h.get(path, nil)["tags"].([]any)
		}
		for _, g := range list {
			g := g.(map[string]any)
			if n, _ := g["id"].(json.Number).Int64(); n == id {
				v, _ := g["count"].(json.Number).Int64()
				return v
			}
		}
		t.Fatalf("%s has no %d", path, id)
		return 0
	}
	vip := h.s.OpenIDs(GroupVIP)
	g0, t0 := count("/cgi-bin/groups/get", "groups", GroupVIP), count("/cgi-bin/tags/get", "tags", GroupVIP)
	if g0 != int64(len(vip)) || t0 != g0 {
		t.Fatalf("老客户: groups/get %d, tags/get %d, members %d", g0, t0, len(vip))
	}
	if err := h.s.Unsubscribe(vip[0], vip[1]); err != nil {
		t.Fatal(err)
	}
	if g := count("/cgi-bin/groups/get", "groups", GroupVIP); g != g0-2 || count("/cgi-bin/tags/get", "tags", GroupVIP) != g0-2 {
		t.Errorf("after two left: %d, want %d", g, g0-2)
	}
	// user/tag/get lists the tag's current followers and still continues after a leaver.
	r := h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": GroupVIP, "next_openid": vip[0]})
	wantCode(t, r, 0)
	ids := r["data"].(map[string]any)["openid"].([]any)
	if num(r, "count") != g0-2 || ids[0] != vip[2] {
		t.Errorf("user/tag/get after a leaver: count %v, first %v, want %d from %s", r["count"], ids[0], g0-2, vip[2])
	}
	// New followers are drawn into groups like the others, and counted.
	added := h.s.Subscribe(1000)
	total := 0
	for _, g := range h.s.Groups() {
		total += g.Count
	}
	if total != 3000-2+1000 || len(added) != 1000 || h.s.Followers() != total {
		t.Errorf("groups hold %d, Followers %d, want %d", total, h.s.Followers(), 3000-2+1000)
	}
}

func TestBatchGetFields(t *testing.T) {
	h := newHarness(t, Config{Followers: 2000})
	all := h.s.OpenIDs(AllFollowers)
	info := func(ids ...string) []map[string]any {
		var list []map[string]any
		for _, id := range ids {
			list = append(list, map[string]any{"openid": id, "lang": "zh_CN"})
		}
		r := h.post("/cgi-bin/user/info/batchget", map[string]any{"user_list": list})
		wantCode(t, r, 0)
		var out []map[string]any
		for _, u := range r["user_info_list"].([]any) {
			out = append(out, u.(map[string]any))
		}
		return out
	}
	group := map[string]int64{}
	for _, g := range h.s.Groups() {
		for _, id := range h.s.OpenIDs(g.ID) {
			group[id] = g.ID
		}
	}
	langs, scenes := map[string]int{}, map[string]bool{}
	remarks, prev := 0, int64(0)
	for i := 0; i < len(all); i += 100 {
		for j, u := range info(all[i : i+100]...) {
			id := all[i+j]
			st := num(u, "subscribe_time")
			if u["openid"] != id || num(u, "subscribe") != 1 || num(u, "groupid") != group[id] {
				t.Fatalf("entry %v for %s (group %d)", u, id, group[id])
			}
			if st < prev || st < demoEpoch || st >= start.Unix() {
				t.Fatalf("subscribe_time %d of follower %d: not in order within 2013 .. the sandbox's start", st, i+j)
			}
			prev = st
			tags := u["tagid_list"].([]any)
			if isTag(group[id]) != (len(tags) == 1) {
				t.Errorf("tagid_list %v of a follower in group %d", tags, group[id])
			}
			langs[u["language"].(string)]++
			scenes[u["subscribe_scene"].(string)] = true
			if u["remark"] != "" {
				remarks++
			}
		}
	}
	if first := num(info(all[0])[0], "subscribe_time"); prev-first < 300*86400 {
		t.Errorf("subscribe times span %d days, want the years before the start", (prev-first)/86400)
	}
	if langs["zh_CN"] < 1600 || langs["en"] == 0 || langs["zh_TW"] == 0 {
		t.Errorf("languages %v: want mostly zh_CN, some en and zh_TW", langs)
	}
	if len(scenes) < 4 || remarks == 0 || remarks > 100 {
		t.Errorf("%d scenes, %d remarks", len(scenes), remarks)
	}

	// A newcomer subscribed now; one who left answers subscribe 0 and nothing else.
	h.clock.Add(time.Hour)
	newcomer := h.s.Subscribe(1)[0]
	if err := h.s.Unsubscribe(all[7]); err != nil {
		t.Fatal(err)
	}
	got := info(newcomer, all[7], all[8])
	if num(got[0], "subscribe") != 1 || num(got[0], "subscribe_time") != start.Add(time.Hour).Unix() {
		t.Errorf("newcomer %v, want subscribe 1 at %d", got[0], start.Add(time.Hour).Unix())
	}
	if num(got[1], "subscribe") != 0 || got[1]["openid"] != all[7] || len(got[1]) != 2 {
		t.Errorf("leaver %v, want only subscribe 0 and openid", got[1])
	}
	if num(got[2], "subscribe") != 1 {
		t.Errorf("%v", got[2])
	}
	// One who was never a follower is still an error.
	r := h.post("/cgi-bin/user/info/batchget", map[string]any{"user_list": []any{map[string]any{"openid": openIDOf(5000)}}})
	wantCode(t, r, 40003)
}

func TestGetBlacklistPaging(t *testing.T) {
	h := newHarness(t, Config{Followers: 250000})
	black := h.s.OpenIDs(GroupBlacklist)
	if len(black) < 2001 || len(black) > 3000 {
		t.Fatalf("%d blacklisted of 250000, want about 1%%", len(black))
	}
	var got []string
	begin := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		r := h.post("/cgi-bin/tags/members/getblacklist", map[string]any{"begin_openid": begin})
		wantCode(t, r, 0)
		if num(r, "total") != int64(len(black)) {
			t.Fatalf("total %v, want %d", r["total"], len(black))
		}
		n := num(r, "count")
		if n == 0 {
			if r["next_openid"] != "" || r["data"] != nil {
				t.Errorf("past the end: %v", r)
			}
			break
		}
		if n > blacklistPageSize {
			t.Fatalf("count %d over the page size", n)
		}
		for _, id := range r["data"].(map[string]any)["openid"].([]any) {
			got = append(got, id.(string))
		}
		begin = r["next_openid"].(string)
		if begin != got[len(got)-1] {
			t.Fatalf("next_openid %q is not the page's last", begin)
		}
	}
	if !slices.Equal(got, black) {
		t.Errorf("paged %d blacklisted, want %d in order", len(got), len(black))
	}
	wantCode(t, h.post("/cgi-bin/tags/members/getblacklist", map[string]any{"begin_openid": "oV5Crj_unknown"}), 40003)
	wantCode(t, h.post("/cgi-bin/tags/members/getblacklist", ""), 44002)
}

func TestBlacklistedNeverReceive(t *testing.T) {
	h := newHarness(t, Config{Followers: 2000, DailyQuota: 100})
	black := h.s.OpenIDs(GroupBlacklist)
	others := h.s.OpenIDs(GroupTest)
	if len(black) < 3 {
		t.Fatalf("%d blacklisted", len(black))
	}
	list := append(append([]string{}, black[:3]...), others...)
	r := h.post("/cgi-bin/message/mass/send", map[string]any{"touser": list, "msgtype": "text", "text": map[string]any{"content": "hi"}})
	wantCode(t, r, 0)
	j, _ := h.s.Job(num(r, "msg_id"))
	if j.TotalCount != 8 || j.SentCount != 5 || j.FilterCount != 8 || j.ErrorCount != 3 {
		t.Errorf("list with 3 blacklisted: %+v", j)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": true},
		"msgtype": "text", "text": map[string]any{"content": "all"}}), 0)
	for _, id := range black {
		if n := h.s.Received(id, start); n != 0 {
			t.Fatalf("blacklisted %s received %d", id, n)
		}
	}
	if h.s.Received(others[0], start) != 2 {
		t.Errorf("a 测试组 member received %d, want 2", h.s.Received(others[0], start))
	}
	// A listed follower who has left is accepted and not delivered.
	if err := h.s.Unsubscribe(others[4]); err != nil {
		t.Fatal(err)
	}
	r = h.post("/cgi-bin/message/mass/send", map[string]any{"touser": others, "msgtype": "text", "text": map[string]any{"content": "left"}})
	wantCode(t, r, 0)
	if j, _ := h.s.Job(num(r, "msg_id")); j.TotalCount != 5 || j.SentCount != 4 || j.ErrorCount != 1 || h.s.Received(others[4], start) != 2 {
		t.Errorf("list with a leaver: %+v", j)
	}
}

// waitPushes waits for n acknowledged pushes.
func waitPushes(t *testing.T, rc *receiver, n int) []pushed {
	t.Helper()
	for range n {
		select {
		case <-rc.arrived:
		case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
			t.Fatalf("%d of %d pushes arrived", len(rc.pushes()), n)
		}
	}
	return rc.pushes()
}

func TestSubscribeAndUnsubscribePushEvents(t *testing.T) {
	for _, mode := range []struct {
		name    string
		aes     string
		json    bool
		retries []string
	}{{"plaintext", "", false, []string{"busy"}}, {"secure", testAESKey, false, nil}, {"json", testAESKey, true, nil}} {
		t.Run(mode.name, func(t *testing.T) {
			rc := newReceiver(t, mode.retries...)
			// Retries wait until the test lets them go: after the queued events' first attempts.
			release := make(chan struct{})
			wait := func(ctx context.Context, _ time.Duration) error {
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			h := newHarness(t, Config{CallbackURL: rc.srv.URL + "/wechat/callback", EncodingAESKey: mode.aes, PushJSON: mode.json, Sleep: wait})
			h.clock.Add(time.Minute)
			ids := h.s.Subscribe(2)
			if len(ids) != 2 || ids[0] == ids[1] || !strings.HasPrefix(ids[0], "oV5Crj") {
				t.Fatalf("Subscribe(2) = %v", ids)
			}
			h.clock.Add(time.Minute)
			if err := h.s.Unsubscribe(ids[1]); err != nil {
				t.Fatal(err)
			}
			waitPushes(t, rc, 3)
			close(release)
			got := waitPushes(t, rc, len(mode.retries))
			attempts := 3 + len(mode.retries)
			if len(got) != attempts {
				t.Fatalf("%d pushes, want %d", len(got), attempts)
			}
			codec := wechat.Codec{Token: testToken, AppID: testAppID, EncodingAESKey: mode.aes}
			want := []struct {
				event, openID string
				at            time.Time
			}{{"subscribe", ids[0], start.Add(time.Minute)}, {"subscribe", ids[1], start.Add(time.Minute)}, {"unsubscribe", ids[1], start.Add(2 * time.Minute)}}
			// The first attempts arrive in order; an unacknowledged one is retried on the side,
			// identical, after the events queued behind it.
			acked := got[len(mode.retries):]
			if mode.retries != nil {
				if string(got[0].body) != string(acked[len(acked)-1].body) || got[0].query.Encode() != acked[len(acked)-1].query.Encode() {
					t.Error("the retry is not the identical push")
				}
				acked = append([]pushed{acked[len(acked)-1]}, acked[:len(acked)-1]...)
			}
			for i, p := range acked {
				if mode.aes != "" && p.query.Get("encrypt_type") != "aes" {
					t.Errorf("push %d not in secure mode: %v", i, p.query)
				}
				if ct := map[bool]string{false: "text/xml", true: "application/json"}[mode.json]; p.contentType != ct {
					t.Errorf("Content-Type %q, want %q", p.contentType, ct)
				}
				plain, err := codec.Open(p.query, p.body)
				if err != nil {
					t.Fatalf("push %d: Open: %v", i, err)
				}
				ev, err := wechat.ParseEvent(plain)
				w := want[i]
				if err != nil || ev.Event != w.event || ev.MsgType != "event" || ev.FromUserName != w.openID ||
					ev.ToUserName != h.s.OriginalID() || ev.CreateTime != w.at.Unix() {
					t.Errorf("push %d: %+v (%v), want %s of %s at %d", i, ev, err, w.event, w.openID, w.at.Unix())
				}
				if !strings.Contains(string(plain), "EventKey") {
					t.Errorf("push %d has no EventKey: %s", i, plain)
				}
			}
		})
	}
}

func TestUnsubscribeRefusesNonFollowers(t *testing.T) {
	h := newHarness(t, Config{})
	ids := h.s.OpenIDs(AllFollowers)
	for _, bad := range [][]string{{ids[0], "oV5Crj_not_a_follower_000000"}, {ids[1], openIDOf(200)}} {
		if err := h.s.Unsubscribe(bad...); !errors.Is(err, ErrNotFollower) {
			t.Errorf("Unsubscribe(%v) = %v, want ErrNotFollower", bad, err)
		}
	}
	if h.s.Followers() != 200 {
		t.Fatalf("a refused Unsubscribe removed someone: %d followers", h.s.Followers())
	}
	if err := h.s.Unsubscribe(ids[0], ids[0]); err != nil || h.s.Followers() != 199 {
		t.Fatalf("Unsubscribe twice the same: %v, %d followers", err, h.s.Followers())
	}
	if err := h.s.Unsubscribe(ids[0]); !errors.Is(err, ErrNotFollower) {
		t.Errorf("leaving twice: %v", err)
	}
}

func TestGrowthOverInjectedTime(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{Growth: 6, CallbackURL: rc.srv.URL})
	if h.s.Followers() != 200 {
		t.Fatalf("%d followers at start", h.s.Followers())
	}
	h.clock.Add(90 * time.Second) // 6 a minute: one every 10 s
	r := h.get("/cgi-bin/user/get", nil)
	if num(r, "total") != 209 || num(r, "count") != 209 {
		t.Fatalf("after 90 s: total %v count %v, want 209", r["total"], r["count"])
	}
	ids := r["data"].(map[string]any)["openid"].([]any)
	newest := ids[208].(string)
	u := h.post("/cgi-bin/user/info/batchget", map[string]any{"user_list": []any{map[string]any{"openid": newest}}})
	if got := num(u["user_info_list"].([]any)[0].(map[string]any), "subscribe_time"); got != start.Add(90*time.Second).Unix() {
		t.Errorf("the 9th newcomer subscribed at %d, want %d", got, start.Add(90*time.Second).Unix())
	}
	got := waitPushes(t, rc, 9)
	codec := wechat.Codec{Token: testToken, AppID: testAppID}
	last, _ := wechat.ParseEvent(must(codec.Open(got[8].query, got[8].body)))
	if last.Event != "subscribe" || last.FromUserName != newest {
		t.Errorf("last push %+v, want the subscribe of %s", last, newest)
	}
	h.clock.Add(time.Hour)
	if n := h.s.Followers(); n != 200+6*61+3 {
		t.Errorf("after 61.5 minutes: %d followers, want %d", n, 200+6*61+3)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestControlEndpoints(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{CallbackURL: rc.srv.URL})
	call := func(method, path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, h.srv.URL+path, nil) // no access_token
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
		return resp.StatusCode, out
	}
	code, r := call(http.MethodPost, "/sandbox/subscribe?n=3")
	ids, _ := r["openids"].([]any)
	if code != 200 || len(ids) != 3 {
		t.Fatalf("subscribe: %d %v", code, r)
	}
	if code, r = call(http.MethodGet, "/sandbox/followers"); code != 200 || r["total"] != float64(203) {
		t.Fatalf("followers: %d %v", code, r)
	}
	if code, r = call(http.MethodPost, "/sandbox/subscribe"); code != 200 || len(r["openids"].([]any)) != 1 {
		t.Errorf("subscribe without n: %d %v", code, r)
	}
	q := url.Values{"openid": {ids[0].(string), ids[1].(string)}}
	if code, r = call(http.MethodPost, "/sandbox/unsubscribe?"+q.Encode()); code != 200 || len(r["openids"].([]any)) != 2 {
		t.Fatalf("unsubscribe: %d %v", code, r)
	}
	if h.s.Followers() != 202 {
		t.Errorf("%d followers, want 202", h.s.Followers())
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/sandbox/subscribe?n=1", 405},
		{http.MethodPost, "/sandbox/subscribe?n=0", 400},
		{http.MethodPost, "/sandbox/subscribe?n=abc", 400},
		{http.MethodPost, "/sandbox/subscribe?n=100001", 400},
		{http.MethodPost, "/sandbox/unsubscribe", 400},
		{http.MethodPost, "/sandbox/unsubscribe?openid=" + ids[0].(string), 400}, // already left
		{http.MethodPost, "/sandbox/unsubscribe?openid=" + ids[2].(string) + "&openid=nobody", 400},
	} {
		if code, r := call(c.method, c.path); code != c.status || r["error"] == "" {
			t.Errorf("%s %s: %d %v, want %d with an error", c.method, c.path, code, r, c.status)
		}
	}
	if h.s.Followers() != 202 {
		t.Errorf("a refused unsubscribe removed someone: %d followers", h.s.Followers())
	}
	waitPushes(t, rc, 6) // 4 subscribed, 2 left
	if h.s.Calls("/sandbox/subscribe") != 0 {
		t.Error("controls are counted as API calls")
	}
}

// TestBatchGetEncoding: the hand-built batchget entries are exactly encoding/json's.
func TestBatchGetEncoding(t *testing.T) {
	h := newHarness(t, Config{Followers: 3000})
	kinds := map[string]bool{}
	for k := range 3000 {
		u := h.s.info(k)
		want, _ := json.Marshal(u)
		if got := appendUserInfo(nil, u); string(got) != string(want) {
			t.Fatalf("follower %d: %s, want %s", k, got, want)
		}
		kinds[fmt.Sprint(u.Remark != "", len(u.TagIDList), u.QRScene != 0)] = true
	}
	if len(kinds) < 6 {
		t.Errorf("only %d kinds of entry compared", len(kinds))
	}
	l := leftInfo{OpenID: openIDOf(9)}
	if want, _ := json.Marshal(l); string(appendLeftInfo(nil, l)) != string(want) {
		t.Errorf("leaver %s, want %s", appendLeftInfo(nil, l), want)
	}
}

// TestBatchGetParsing: whatever the quick reader of batchget bodies takes, encoding/json reads
// the same way; the rest falls through to encoding/json (so 44002/47001 stay as they were).
func TestBatchGetParsing(t *testing.T) {
	valid := `{"user_list":[{"openid":"oV5CrjAAA","lang":"zh_CN"},{"lang":"en","openid":"oV5CrjBBB"}]}`
	bodies := []string{valid, " {\n \"user_list\" : [ ] } \n", `{"user_list":[{}]}`, `{"user_list":[{"openid":"a","openid":"b"}]}`,
		`{"user_list":[{"openid":"a\u0041"}]}`, `{"User_List":[{"OpenID":"a"}]}`, `{"user_list":[{"openid":null}]}`,
		`{"user_list":[{"openid":"a",}]}`, `{"user_list":[{"openid":"a"}]} x`, `{"user_list":[{"openid":"a","x":1}]}`,
		`{"user_list":[{"openid":"甲"}]}`, `{"user_list":{}}`, `{"other":1}`, ``, `{`, `[]`}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 5000 { // mutations of a valid body
		b := []byte(valid)
		for range 1 + rng.IntN(3) {
			const chars = " {}[],:\"\\a0_\n"
			b[rng.IntN(len(b))] = chars[rng.IntN(len(chars))]
		}
		bodies = append(bodies, string(b))
	}
	fast := 0
	for _, body := range bodies {
		got, ok := parseBatchGet([]byte(body))
		if !ok {
			continue
		}
		fast++
		var want batchRequest
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("%q: taken by the quick reader, refused by encoding/json: %v", body, err)
		}
		if len(got.UserList) != len(want.UserList) || (len(got.UserList) > 0 && !slices.Equal(got.UserList, want.UserList)) {
			t.Fatalf("%q: quick reader %+v, encoding/json %+v", body, got, want)
		}
	}
	if fast < 10 {
		t.Errorf("the quick reader took only %d bodies", fast)
	}
	h := newHarness(t, Config{})
	id := h.s.OpenIDs(AllFollowers)[3]
	for body, code := range map[string]int{"": 44002, "{": 47001, `{"user_list":[{"openid":"` + id + `","lang":"xx"}]}`: 40003,
		`{"user_list":[]}`: 40032, `{"user_list":[{"OpenID":"` + id + `"}]}`: 0} {
		wantCode(t, h.post("/cgi-bin/user/info/batchget", body), code)
	}
}
