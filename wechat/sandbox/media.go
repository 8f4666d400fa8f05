package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

type mediaItem struct {
	kind      string // thumb, image, news (uploadnews), draft (draft/add)
	createdAt time.Time
	articles  int           // news and draft
	news      []NewsArticle // news and draft, as received
	permanent bool          // drafts and permanent materials do not expire
	material  bool          // a permanent material (material/add_material): what draft/add takes as a cover
	consumed  bool          // a draft that a mass send took: it has left the draft box (under s.mu)
}

// NewsArticle is one article of an uploaded news or draft, as the sandbox received it.
type NewsArticle struct {
	Title, Author, Digest, Content, ContentSourceURL, ThumbMediaID string
	ShowCoverPic, NeedOpenComment, OnlyFansCanComment              int
}

type mediaResponse struct {
	Type      string `json:"type"`
	MediaID   string `json:"media_id"`
	CreatedAt int64  `json:"created_at"`
}

// uploadMedia serves POST /cgi-bin/media/upload?type=thumb|image, multipart field "media" (§2.3).
// Only thumb and image are simulated; voice and video answer 40004.
func (s *Server) uploadMedia(r *http.Request) (any, *apiError) {
	kind := r.URL.Query().Get("type")
	if kind != "thumb" && kind != "image" {
		return nil, fail(40004)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, uploadMaxBytes+1<<20) // room for multipart framing
	data, e := readMediaPart(r)
	if e != nil {
		return nil, e
	}
	limit, okFormat := imageMaxBytes, isJPEG(data) || isPNG(data)
	if kind == "thumb" {
		limit, okFormat = thumbMaxBytes, isJPEG(data)
	}
	if !okFormat {
		return nil, fail(40005)
	}
	if len(data) > limit {
		return nil, fail(40006)
	}
	id, created := s.storeMedia(&mediaItem{kind: kind})
	return mediaResponse{Type: kind, MediaID: id, CreatedAt: created}, nil
}

// addMaterial serves POST /cgi-bin/material/add_material?type=thumb|image, multipart field
// "media" (today's API): a permanent material, with the checks of media/upload. Its media_id never
// expires and is the only kind draft/add takes as thumb_media_id. Answers {"media_id","url"}.
// Not counted against the daily quota: it is not a mass-send call.
func (s *Server) addMaterial(r *http.Request) (any, *apiError) {
	kind := r.URL.Query().Get("type")
	if kind != "thumb" && kind != "image" {
		return nil, fail(40004) // voice and video (with their description field) are not simulated
	}
	r.Body = http.MaxBytesReader(nil, r.Body, uploadMaxBytes+1<<20)
	data, e := readMediaPart(r)
	if e != nil {
		return nil, e
	}
	limit, okFormat := imageMaxBytes, isJPEG(data) || isPNG(data)
	if kind == "thumb" {
		limit, okFormat = thumbMaxBytes, isJPEG(data)
	}
	if !okFormat {
		return nil, fail(40005)
	}
	if len(data) > limit {
		return nil, fail(40006)
	}
	ext := "jpg"
	if isPNG(data) {
		ext = "png"
	}
	id, _ := s.storeMedia(&mediaItem{kind: kind, permanent: true, material: true})
	return struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url"`
	}{id, "http://mmbiz.qpic.cn/mmbiz_" + ext + "/" + randomString(tokenAlphabet, 54) + "/0"}, nil
}

// readMediaPart returns the bytes of the "media" file part: 41005 when absent or empty,
// 45001 beyond the largest media WeChat accepts at all.
func readMediaPart(r *http.Request) ([]byte, *apiError) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fail(41005)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fail(41005)
		}
		if err != nil {
			return nil, tooBigOr(err, 41005)
		}
		if part.FormName() != "media" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, uploadMaxBytes+1))
		if err != nil {
			return nil, tooBigOr(err, 41005)
		}
		if len(data) > uploadMaxBytes {
			return nil, fail(45001)
		}
		if len(data) == 0 {
			return nil, fail(41005)
		}
		return data, nil
	}
}

func tooBigOr(err error, code int) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fail(45001)
	}
	return fail(code)
}

func isJPEG(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) }
func isPNG(b []byte) bool  { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }

// storeMedia records a temporary media and returns its 64-character id and created_at.
func (s *Server) storeMedia(m *mediaItem) (string, int64) {
	m.createdAt = s.now()
	id := randomString(tokenAlphabet, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = m
	return id, m.createdAt.Unix()
}

// lookupMedia finds a live media of one of kinds; unknown, expired, a draft already mass-sent, or
// the wrong kind → 40007.
func (s *Server) lookupMedia(id string, kinds ...string) (*mediaItem, *apiError) {
	return s.findMedia(id, false, kinds...)
}

// findMedia is lookupMedia; with consumedOK a draft already mass-sent is found too (submit
// decides about it, after the clientmsgid check).
func (s *Server) findMedia(id string, consumedOK bool, kinds ...string) (*mediaItem, *apiError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok || !m.permanent && !now.Before(m.createdAt.Add(mediaTTL)) || m.consumed && !consumedOK {
		return nil, fail(40007)
	}
	for _, k := range kinds {
		if m.kind == k {
			return m, nil
		}
	}
	return nil, fail(40007)
}

type newsArticle struct {
	ThumbMediaID     string          `json:"thumb_media_id"`
	Author           string          `json:"author"`
	Title            string          `json:"title"`
	ContentSourceURL string          `json:"content_source_url"`
	Content          string          `json:"content"`
	Digest           string          `json:"digest"`
	ShowCoverPic     json.RawMessage `json:"show_cover_pic"` // number, or a string as WxJava sends it
	// 0 or 1 each, number or string; anything else → 47001 (UNCONFIRMED errcode).
	NeedOpenComment    json.RawMessage `json:"need_open_comment"`
	OnlyFansCanComment json.RawMessage `json:"only_fans_can_comment"`
}

// uploadNews serves POST /cgi-bin/media/uploadnews (§2.1).
func (s *Server) uploadNews(r *http.Request) (any, *apiError) {
	var req struct {
		Articles []newsArticle `json:"articles"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	switch {
	case len(req.Articles) == 0:
		return nil, fail(44003)
	case len(req.Articles) > s.cfg.MaxArticles:
		return nil, fail(45008)
	}
	arts, e := s.checkArticles(req.Articles, false)
	if e != nil {
		return nil, e
	}
	id, created := s.storeMedia(&mediaItem{kind: "news", articles: len(arts), news: arts})
	return mediaResponse{Type: "news", MediaID: id, CreatedAt: created}, nil
}

// addDraft serves POST /cgi-bin/draft/add (today's API): the same article checks as uploadnews,
// at most 8 articles, and every thumb_media_id must be a permanent material (add_material; a
// temporary media/upload id → 40007). The media_id does not expire and is usable as
// sendall/send/preview mpnews until a mass send takes it (then it leaves the draft box).
// Answers {"media_id"} only.
func (s *Server) addDraft(r *http.Request) (any, *apiError) {
	var req struct {
		Articles []newsArticle `json:"articles"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	switch {
	case len(req.Articles) == 0:
		return nil, fail(44003)
	case len(req.Articles) > draftMaxArticles:
		return nil, fail(45008)
	}
	arts, e := s.checkArticles(req.Articles, true)
	if e != nil {
		return nil, e
	}
	id, _ := s.storeMedia(&mediaItem{kind: "draft", articles: len(arts), news: arts, permanent: true})
	return struct {
		MediaID string `json:"media_id"`
	}{id}, nil
}

// checkArticles validates the articles of uploadnews, or of draft/add (materialThumbs: every
// cover must be a permanent material).
func (s *Server) checkArticles(in []newsArticle, materialThumbs bool) ([]NewsArticle, *apiError) {
	out := make([]NewsArticle, 0, len(in))
	for _, a := range in {
		if e := s.checkArticle(a, materialThumbs); e != nil {
			return nil, e
		}
		flags := [3]int{}
		for i, raw := range []json.RawMessage{a.ShowCoverPic, a.NeedOpenComment, a.OnlyFansCanComment} {
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			v, ok := flexibleInt(raw)
			if !ok || v < 0 || v > 1 {
				return nil, fail(47001)
			}
			flags[i] = int(v)
		}
		out = append(out, NewsArticle{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
			ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID,
			ShowCoverPic: flags[0], NeedOpenComment: flags[1], OnlyFansCanComment: flags[2]})
	}
	return out, nil
}

// uploadImg serves POST /cgi-bin/media/uploadimg, multipart field "media" (§2.2): an image
// for use inside article HTML. JPEG or PNG only (else 40005), under 1 MB (else 40009); no
// media_id, it answers {"url","errcode":0,"errmsg":"ok"}. Not an advanced call.
func (s *Server) uploadImg(r *http.Request) (any, *apiError) {
	r.Body = http.MaxBytesReader(nil, r.Body, uploadMaxBytes+1<<20)
	data, e := readMediaPart(r)
	if e != nil {
		return nil, e
	}
	jpg, isPng := isJPEG(data), isPNG(data)
	if !jpg && !isPng {
		return nil, fail(40005)
	}
	if len(data) >= uploadImgMaxBytes {
		return nil, fail(40009)
	}
	ext := "jpg"
	if isPng {
		ext = "png"
	}
	u := "http://mmbiz.qpic.cn/mmbiz_" + ext + "/" + randomString(tokenAlphabet, 54) + "/0"
	s.mu.Lock()
	s.images[u] = true
	s.mu.Unlock()
	return struct {
		URL     string `json:"url"`
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}{u, 0, "ok"}, nil
}

// News returns the articles of an uploadnews or draft media_id as the sandbox received them
// (a draft a mass send took included).
func (s *Server) News(mediaID string) ([]NewsArticle, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[mediaID]
	if !ok || m.news == nil {
		return nil, false
	}
	return append([]NewsArticle(nil), m.news...), true
}

// ImageURL reports whether url was returned by media/uploadimg.
func (s *Server) ImageURL(url string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.images[url]
}

func (s *Server) checkArticle(a newsArticle, materialThumb bool) *apiError {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return fail(44003) // an article without its title is incomplete news data
	case utf8.RuneCountInString(a.Title) > titleMaxChars:
		return fail(45003)
	case strings.TrimSpace(a.Content) == "":
		return fail(44004)
	case utf8.RuneCountInString(a.Content) >= contentMaxChars || len(a.Content) >= contentMaxBytes:
		return fail(45002) // §2.1: under 20 000 characters and under 1 MB
	case utf8.RuneCountInString(a.Digest) > digestMaxChars:
		return fail(45004)
	case utf8.RuneCountInString(a.Author) > authorMaxChars:
		return fail(45110)
	case a.ThumbMediaID == "":
		return fail(41006)
	}
	m, e := s.lookupMedia(a.ThumbMediaID, "thumb", "image")
	if e == nil && materialThumb && !m.material {
		return fail(40007) // draft/add: "必须是永久MediaID"
	}
	return e
}

// decodeJSON reads a JSON body: 44002 when empty, 47001 when malformed.
func decodeJSON(r *http.Request, v any) *apiError {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, jsonMaxBytes))
	if err != nil {
		return tooBigOr(err, 47001)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(44002)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fail(47001)
	}
	return nil
}
