package sandbox

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAddMaterial(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	tests := []struct {
		name string
		kind string
		data []byte
		code int
	}{
		{"thumb jpeg", "thumb", jpeg(2048), 0},
		{"thumb at 64 KB", "thumb", jpeg(64 << 10), 0},
		{"thumb over 64 KB", "thumb", jpeg(64<<10 + 1), 40006},
		{"thumb png", "thumb", png(2048), 40005},
		{"image png", "image", png(2048), 0},
		{"image over 2 MB", "image", png(2<<20 + 1), 40006},
		{"voice", "voice", jpeg(2048), 40004},
		{"no type", "", jpeg(2048), 40004},
		{"no media part", "thumb", nil, 41005},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.uploadTo("/cgi-bin/material/add_material", url.Values{"type": {tt.kind}}, tt.data)
			wantCode(t, r, tt.code)
			if tt.code != 0 {
				return
			}
			id, _ := r["media_id"].(string)
			u, _ := r["url"].(string)
			if id == "" || !strings.HasPrefix(u, "http://mmbiz.qpic.cn/") || len(r) != 2 {
				t.Errorf("body = %v, want {media_id, url}", r)
			}
		})
	}
	// Not a mass-send call: the daily quota is untouched.
	if left := h.s.QuotaLeft(); left != 100 {
		t.Errorf("quota left %d after add_material, want 100", left)
	}
}

// draft/add takes only permanent materials as covers, and they never expire; a temporary
// media/upload id is refused with 40007, as the official doc says (必须是永久MediaID).
func TestDraftAddWantsPermanentCovers(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	temp := h.thumb()
	mat := h.material()
	img := h.uploadTo("/cgi-bin/material/add_material", url.Values{"type": {"image"}}, png(4096))["media_id"].(string)
	draft := func(covers ...string) map[string]any {
		var arts []any
		for _, c := range covers {
			arts = append(arts, article(c))
		}
		return h.post("/cgi-bin/draft/add", map[string]any{"articles": arts})
	}
	wantCode(t, draft(temp), 40007)
	wantCode(t, draft(mat, temp), 40007)
	wantCode(t, draft(mat, img), 0)
	// uploadnews still takes either kind.
	wantCode(t, h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": []any{article(temp), article(mat)}}), 0)
	if left := h.s.QuotaLeft(); left != 100-3 {
		t.Errorf("quota left %d, want 97 (one media/upload, one draft/add, one uploadnews)", left)
	}

	h.clock.Add(365 * 24 * time.Hour)
	h.token = h.fetchToken()
	wantCode(t, draft(mat), 0)
	wantCode(t, draft(temp), 40007)
}

// A draft leaves the draft box when a mass send takes it: later sends and previews of its
// media_id answer 40007 — except a repeat of the very call that took it, which learns its
// msg_id (45065). A preview does not take it; an uploadnews media_id is never taken.
func TestMassSendTakesTheDraft(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	r := h.post("/cgi-bin/draft/add", map[string]any{"articles": []any{article(h.material())}})
	wantCode(t, r, 0)
	draft := r["media_id"].(string)
	me := h.s.OpenIDs(GroupTest)[0]
	mp := func(media string, extra map[string]any) map[string]any {
		out := map[string]any{"msgtype": "mpnews", "mpnews": map[string]any{"media_id": media}}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tag := map[string]any{"is_to_all": false, "tag_id": 103}

	for range 2 {
		wantCode(t, h.post("/cgi-bin/message/mass/preview", mp(draft, map[string]any{"touser": me})), 0)
	}
	first := h.post("/cgi-bin/message/mass/sendall", mp(draft, map[string]any{"filter": tag, "clientmsgid": "a"}))
	wantCode(t, first, 0)
	again := h.post("/cgi-bin/message/mass/sendall", mp(draft, map[string]any{"filter": tag, "clientmsgid": "a"}))
	wantCode(t, again, 45065)
	if num(again, "msg_id") != num(first, "msg_id") {
		t.Errorf("45065 msg_id %d, want %d", num(again, "msg_id"), num(first, "msg_id"))
	}
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", mp(draft, map[string]any{"filter": tag, "clientmsgid": "b"})), 40007)
	ids := h.s.OpenIDs(GroupTest)[:2]
	wantCode(t, h.post("/cgi-bin/message/mass/send", mp(draft, map[string]any{"touser": ids, "clientmsgid": "c"})), 40007)
	wantCode(t, h.post("/cgi-bin/message/mass/preview", mp(draft, map[string]any{"touser": me})), 40007)
	if arts, ok := h.s.News(draft); !ok || len(arts) != 1 {
		t.Errorf("News of a sent draft = %v, %v: still inspectable", arts, ok)
	}

	// A job accepted whose answer was lost took its draft as well.
	r = h.post("/cgi-bin/draft/add", map[string]any{"articles": []any{article(h.material())}})
	lost := r["media_id"].(string)
	h.s.FailNextAfterAccept("/cgi-bin/message/mass/send", -1)
	wantCode(t, h.post("/cgi-bin/message/mass/send", mp(lost, map[string]any{"touser": ids, "clientmsgid": "d"})), -1)
	wantCode(t, h.post("/cgi-bin/message/mass/send", mp(lost, map[string]any{"touser": ids, "clientmsgid": "e"})), 40007)

	// Temporary news is not a draft: it can be sent again.
	news := h.news(1)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", mp(news, map[string]any{"filter": tag, "clientmsgid": "f"})), 0)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", mp(news, map[string]any{"filter": tag, "clientmsgid": "g"})), 0)
}
