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
		return Media{}, fmt.Errorf("wechat: UploadMedia: %w", err)
	}
	if _, err := part.Write(data); err != nil {
		return Media{}, fmt.Errorf("wechat: UploadMedia: %w", err)
	}
	if err := w.Close(); err != nil {
		return Media{}, fmt.Errorf("wechat: UploadMedia: %w", err)
	}
	var out mediaBody
	q := url.Values{"type": {mediaType}}
	if err := c.call(ctx, http.MethodPost, "/cgi-bin/media/upload", q, w.FormDataContentType(), buf.Bytes(), &out); err != nil {
		return Media{}, err
	}
	m := out.media()
	if m.MediaID == "" {
		return Media{}, fmt.Errorf("wechat: media/upload: no media_id in the answer")
	}
	return m, nil
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
}

// UploadNews uploads a news message for mass sending (media/uploadnews).
func (c *Client) UploadNews(ctx context.Context, articles []Article) (Media, error) {
	if len(articles) == 0 {
		return Media{}, fmt.Errorf("wechat: UploadNews: no articles")
	}
	var out mediaBody
	if err := c.callJSON(ctx, "/cgi-bin/media/uploadnews", struct {
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
