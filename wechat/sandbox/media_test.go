package sandbox

import (
	"strings"
	"testing"
	"time"
)

func TestUploadMedia(t *testing.T) {
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
		{"image jpeg", "image", jpeg(2048), 0},
		{"image gif", "image", []byte("GIF89a........"), 40005},
		{"image over 2 MB", "image", png(2<<20 + 1), 40006},
		{"bad type", "voice", jpeg(2048), 40004},
		{"no media part", "thumb", nil, 41005},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.upload(tt.kind, tt.data)
			wantCode(t, r, tt.code)
			if tt.code != 0 {
				return
			}
			id, _ := r["media_id"].(string)
			if r["type"] != tt.kind || len(id) != 64 || num(r, "created_at") != start.Unix() || len(r) != 3 {
				t.Errorf("body = %v, want {type, media_id (64 chars), created_at}", r)
			}
		})
	}
}

func TestUploadNews(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100, MaxArticles: 10})
	th := h.thumb()
	img := h.upload("image", png(100))["media_id"].(string)
	arts := func(n int) []any {
		var out []any
		for range n {
			out = append(out, article(th))
		}
		return out
	}
	with := func(k string, v any) []any {
		a := article(th)
		a[k] = v
		return []any{a}
	}
	tests := []struct {
		name     string
		articles []any
		code     int
	}{
		{"one article", arts(1), 0},
		{"ten articles", arts(10), 0},
		{"image as cover", with("thumb_media_id", img), 0},
		{"cover_pic as string", with("show_cover_pic", "1"), 0},
		{"no articles", arts(0), 44003},
		{"eleven articles", arts(11), 45008},
		{"no title", with("title", ""), 44003},
		{"long title", with("title", strings.Repeat("标", 65)), 45003},
		{"no content", with("content", " "), 44004},
		{"long digest", with("digest", strings.Repeat("d", 121)), 45004},
		// The editor's limits (models/article_limits.go), at their edges.
		{"title of 64", with("title", strings.Repeat("标", 64)), 0},
		{"digest of 120", with("digest", strings.Repeat("摘", 120)), 0},
		{"author of 8", with("author", strings.Repeat("作", 8)), 0},
		{"long author", with("author", strings.Repeat("作", 9)), 45110},
		{"content of 19,999", with("content", strings.Repeat("字", 19999)), 0},
		{"content of 20,000", with("content", strings.Repeat("字", 20000)), 45002},
		{"no thumb", with("thumb_media_id", ""), 41006},
		{"unknown thumb", with("thumb_media_id", "nope"), 40007},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": tt.articles})
			wantCode(t, r, tt.code)
			if tt.code == 0 && (r["type"] != "news" || len(r) != 3) {
				t.Errorf("body = %v", r)
			}
		})
	}
	wantCode(t, h.post("/cgi-bin/media/uploadnews", ""), 44002)
	wantCode(t, h.post("/cgi-bin/media/uploadnews", "{not json"), 47001)
}

func TestMediaExpiresAfterThreeDays(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	th := h.thumb()
	news := h.news(1)
	h.clock.Add(72*time.Hour - time.Second)
	h.token = h.fetchToken()
	wantCode(t, h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": []any{article(th)}}), 0)
	h.clock.Add(time.Second)
	h.token = h.fetchToken()
	wantCode(t, h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": []any{article(th)}}), 40007)
	send := map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}}
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", send), 40007)
}
