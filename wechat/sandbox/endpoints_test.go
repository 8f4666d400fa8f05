package sandbox

import (
	"testing"
	"time"
)

func TestDraftAddAndCommentFlags(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	th := h.material()
	a := article(th)
	a["need_open_comment"], a["only_fans_can_comment"] = "1", 0
	r := h.post("/cgi-bin/draft/add", map[string]any{"articles": []any{a}})
	wantCode(t, r, 0)
	draft, _ := r["media_id"].(string)
	if draft == "" || len(r) != 1 {
		t.Fatalf("draft/add body = %v, want only media_id", r)
	}
	if arts, _ := h.s.News(draft); len(arts) != 1 || arts[0].NeedOpenComment != 1 || arts[0].OnlyFansCanComment != 0 {
		t.Errorf("draft articles %+v", arts)
	}
	bad := article(th)
	bad["need_open_comment"] = 2
	wantCode(t, h.post("/cgi-bin/draft/add", map[string]any{"articles": []any{bad}}), 47001)
	wantCode(t, h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": []any{bad}}), 47001)
	wantCode(t, h.post("/cgi-bin/draft/add", map[string]any{"articles": []any{}}), 44003)
	nine := make([]any, 9)
	for i := range nine {
		nine[i] = article(th)
	}
	wantCode(t, h.post("/cgi-bin/draft/add", map[string]any{"articles": nine}), 45008)
	if left := h.s.QuotaLeft(); left != 99 {
		t.Errorf("quota left %d, want 99: draft/add is an advanced call, only accepted ones count (add_material is not one)", left)
	}
	// Drafts are permanent; temporary news expire after 3 days.
	news := h.news(1)
	h.clock.Add(73 * time.Hour)
	h.token = h.fetchToken()
	send := func(media, key string) map[string]any {
		return h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": false, "tag_id": 103},
			"msgtype": "mpnews", "mpnews": map[string]any{"media_id": media}, "clientmsgid": key})
	}
	wantCode(t, send(news, "n"), 40007)
	wantCode(t, send(draft, "d"), 0)
}

func TestUploadImg(t *testing.T) {
	h := newHarness(t, Config{})
	up := func(data []byte) map[string]any {
		return h.uploadTo("/cgi-bin/media/uploadimg", nil, data)
	}
	r := up(jpeg(1<<20 - 1))
	wantCode(t, r, 0)
	if u, _ := r["url"].(string); !h.s.ImageURL(u) || r["errmsg"] != "ok" {
		t.Errorf("uploadimg body %v", r)
	}
	wantCode(t, up(png(1<<20)), 40009)
	wantCode(t, up([]byte("GIF89a-not-allowed")), 40005)
	wantCode(t, up(nil), 41005)
	if h.s.QuotaLeft() != 10 {
		t.Error("uploadimg used the advanced quota")
	}
}

func TestPreviewValidation(t *testing.T) {
	h := newHarness(t, Config{})
	me := h.s.OpenIDs(GroupTest)[0]
	text := func(extra map[string]any) map[string]any {
		body := map[string]any{"msgtype": "text", "text": map[string]any{"content": "hi"}}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	r := h.post("/cgi-bin/message/mass/preview", text(map[string]any{"touser": me}))
	wantCode(t, r, 0)
	if r["errmsg"] != "preview success" || num(r, "msg_id") == 0 {
		t.Errorf("preview body %v", r)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(nil)), 40003)
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"touser": []string{me, me}})), 40003)
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"towxname": "1bad"})), 40003)
	wantCode(t, h.post("/cgi-bin/message/mass/preview", map[string]any{"touser": me, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "x"}}), 40007)
	// towxname wins over an invalid touser; 100 a day.
	for i := range 100 {
		wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"touser": "nobody", "towxname": "qunfa_ops"})), 0)
		if i == 0 && h.s.Previews()[1].ToUser != "" {
			t.Error("towxname did not win")
		}
	}
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"towxname": "qunfa_ops"})), 45009)
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"touser": me})), 0) // by OpenID: not limited
	h.clock.Add(24 * time.Hour)
	h.token = h.fetchToken()
	wantCode(t, h.post("/cgi-bin/message/mass/preview", text(map[string]any{"towxname": "qunfa_ops"})), 0)
	if h.s.QuotaLeft() != 10 {
		t.Error("preview used the advanced quota")
	}
}

func TestSpeed(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.post("/cgi-bin/message/mass/speed/get", "")
	if _, has := r["errcode"]; has || num(r, "speed") != 0 || num(r, "realspeed") != 80 {
		t.Errorf("speed/get = %v", r)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/speed/set", map[string]any{}), 45084)
	wantCode(t, h.post("/cgi-bin/message/mass/speed/set", map[string]any{"speed": 5}), 45083)
	wantCode(t, h.post("/cgi-bin/message/mass/speed/set", map[string]any{"speed": "fast"}), 45083)
	r = h.post("/cgi-bin/message/mass/speed/set", map[string]any{"speed": 4})
	if _, has := r["errmsg"]; errcode(r) != 0 || !has || r["errmsg"] != "" {
		t.Errorf("speed/set = %v, want errcode 0 and an empty errmsg", r)
	}
	if r := h.post("/cgi-bin/message/mass/speed/get", "{}"); num(r, "speed") != 4 || num(r, "realspeed") != 10 {
		t.Errorf("speed/get after set = %v", r)
	}
}

func TestAudienceEndpointsValidation(t *testing.T) {
	h := newHarness(t, Config{})
	wantCode(t, h.post("/cgi-bin/user/tag/get", map[string]any{"next_openid": ""}), 45159)
	wantCode(t, h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": 1}), 45159)
	wantCode(t, h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": 999}), 45159)
	wantCode(t, h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": 103, "next_openid": "nobody"}), 40003)
	members := h.s.OpenIDs(GroupTest)
	r := h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": "103"})
	if num(r, "count") != 5 || r["next_openid"] != members[4] {
		t.Errorf("user/tag/get = %v", r)
	}
	r = h.post("/cgi-bin/user/tag/get", map[string]any{"tagid": 103, "next_openid": members[4]})
	if _, has := r["data"]; num(r, "count") != 0 || has || r["next_openid"] != "" {
		t.Errorf("past the end = %v", r)
	}
	wantCode(t, h.post("/cgi-bin/user/info/batchget", map[string]any{}), 40032)
	wantCode(t, h.post("/cgi-bin/user/info/batchget", map[string]any{"user_list": []any{map[string]any{"openid": members[0], "lang": "fr"}}}), 40003)
	wantCode(t, h.post("/cgi-bin/user/info/batchget", map[string]any{"user_list": []any{map[string]any{"openid": "nobody"}}}), 40003)
	wantCode(t, h.post("/cgi-bin/tags/getidlist", map[string]any{}), 40003)
	if r := h.post("/cgi-bin/tags/getidlist", map[string]any{"openid": members[0]}); len(r["tagid_list"].([]any)) != 1 {
		t.Errorf("getidlist = %v", r)
	}
}
