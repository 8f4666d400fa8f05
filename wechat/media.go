package wechat

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Media is an uploaded temporary media or news item.
type Media struct {
	Type      string
	MediaID   string
	CreatedAt int64
}

type mediaBody struct {
	Type         string    `json:"type"`
	MediaID      string    `json:"media_id"`
	ThumbMediaID string    `json:"thumb_media_id"` // type=thumb answers use this key
	CreatedAt    flexInt64 `json:"created_at"`
}

func (m mediaBody) media() Media {
	id := m.MediaID
	if id == "" {
		id = m.ThumbMediaID
	}
	return Media{Type: m.Type, MediaID: id, CreatedAt: int64(m.CreatedAt)}
}

// UploadMedia uploads temporary media (media/upload?type=thumb|image|voice|video) as multipart
// field "media". The media_id lasts 3 days.
func (c *Client) UploadMedia(ctx context.Context, mediaType, filename string, data []byte) (Media, error) {
	if mediaType == "" {
		return Media{}, fmt.Errorf("wechat: UploadMedia: media type is required")
	}
	contentType, body, err := mediaForm(filename, data)
	if err != nil {
		return Media{}, fmt.Errorf("wechat: UploadMedia: %w", err)
	}
	var out mediaBody
	q := url.Values{"type": {mediaType}}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/cgi-bin/media/upload", query: q,
		contentType: contentType, body: body, retry: retryErrcode}, &out); err != nil {
		return Media{}, err
	}
	m := out.media()
	if m.MediaID == "" {
		return Media{}, fmt.Errorf("wechat: media/upload: no media_id in the answer")
	}
	return m, nil
}

// AddMaterial uploads a permanent material (material/add_material?type=thumb|image, today's API) as
// multipart field "media" and returns its media_id and URL. Permanent media ids do not expire;
// draft/add takes only them as thumb_media_id. A thumb is a JPG of at most 64 KB. Voice and
// video (which need a description field) are not supported. Retried like other uploads: only
// after a transient errcode, when WeChat stored nothing.
func (c *Client) AddMaterial(ctx context.Context, mediaType, filename string, data []byte) (mediaID, imageURL string, err error) {
	if mediaType != "thumb" && mediaType != "image" {
		return "", "", fmt.Errorf("wechat: AddMaterial: media type %q is not thumb or image", mediaType)
	}
	contentType, body, err := mediaForm(filename, data)
	if err != nil {
		return "", "", fmt.Errorf("wechat: AddMaterial: %w", err)
	}
	var out struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url"`
	}
	q := url.Values{"type": {mediaType}}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/cgi-bin/material/add_material", query: q,
		contentType: contentType, body: body, retry: retryErrcode}, &out); err != nil {
		return "", "", err
	}
	if out.MediaID == "" {
		return "", "", fmt.Errorf("wechat: material/add_material: no media_id in the answer")
	}
	return out.MediaID, out.URL, nil
}

// mediaForm builds the multipart body with the file in field "media", as WeChat expects.
func mediaForm(filename string, data []byte) (contentType string, body []byte, err error) {
	if filename == "" {
		filename = "media"
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"`, quoteEscaper.Replace(filename)))
	h.Set("Content-Type", http.DetectContentType(data))
	part, err := w.CreatePart(h)
	if err != nil {
		return "", nil, err
	}
	if _, err := part.Write(data); err != nil {
		return "", nil, err
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return w.FormDataContentType(), buf.Bytes(), nil
}

// UploadImage uploads an image for use inside article HTML (media/uploadimg, §2.2) and returns
// its URL: WeChat drops images from other hosts. JPEG or PNG under 1 MB; it makes no media_id.
func (c *Client) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	contentType, body, err := mediaForm(filename, data)
	if err != nil {
		return "", fmt.Errorf("wechat: UploadImage: %w", err)
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/cgi-bin/media/uploadimg",
		contentType: contentType, body: body, retry: retryErrcode}, &out); err != nil {
		return "", err
	}
	if out.URL == "" {
		return "", fmt.Errorf("wechat: media/uploadimg: no url in the answer")
	}
	return out.URL, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// Article is one article of a news message (media/uploadnews).
type Article struct {
	ThumbMediaID     string `json:"thumb_media_id"`
	Author           string `json:"author,omitempty"`
	Title            string `json:"title"`
	ContentSourceURL string `json:"content_source_url,omitempty"`
	Content          string `json:"content"`
	Digest           string `json:"digest,omitempty"`
	ShowCoverPic     int    `json:"show_cover_pic"`
	// NeedOpenComment 1 opens comments; OnlyFansCanComment 1 limits them to followers.
	NeedOpenComment    int `json:"need_open_comment,omitempty"`
	OnlyFansCanComment int `json:"only_fans_can_comment,omitempty"`
}

// draftArticle is an Article as draft/add takes it (no show_cover_pic).
type draftArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author,omitempty"`
	Digest             string `json:"digest,omitempty"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url,omitempty"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// AddDraft saves a news message in the draft box (draft/add, today's API) and returns its
// media_id, which mass sends and previews of msgtype mpnews take like an uploadnews one.
func (c *Client) AddDraft(ctx context.Context, articles []Article) (string, error) {
	if len(articles) == 0 {
		return "", fmt.Errorf("wechat: AddDraft: no articles")
	}
	in := make([]draftArticle, len(articles))
	for i, a := range articles {
		in[i] = draftArticle{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
			ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID,
			NeedOpenComment: a.NeedOpenComment, OnlyFansCanComment: a.OnlyFansCanComment}
	}
	var out struct {
		MediaID string `json:"media_id"`
	}
	if err := c.callJSON(ctx, "/cgi-bin/draft/add", retryErrcode, struct {
		Articles []draftArticle `json:"articles"`
	}{in}, &out); err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", fmt.Errorf("wechat: draft/add: no media_id in the answer")
	}
	return out.MediaID, nil
}

// UploadNews uploads a news message for mass sending (media/uploadnews).
func (c *Client) UploadNews(ctx context.Context, articles []Article) (Media, error) {
	if len(articles) == 0 {
		return Media{}, fmt.Errorf("wechat: UploadNews: no articles")
	}
	var out mediaBody
	if err := c.callJSON(ctx, "/cgi-bin/media/uploadnews", retryErrcode, struct {
		Articles []Article `json:"articles"`
	}{articles}, &out); err != nil {
		return Media{}, err
	}
	m := out.media()
	if m.MediaID == "" {
		return Media{}, fmt.Errorf("wechat: media/uploadnews: no media_id in the answer")
	}
	return m, nil
}
