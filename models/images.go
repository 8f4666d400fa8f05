package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG
	_ "image/png"  // and PNG
	"io"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Image is a picture inside article content, kept locally and shown in the editor as /images/ID.
// WeChat shows only images uploaded with media/uploadimg inside a message, so on sending each one
// is uploaded once and its src replaced with the URL WeChat returned (WeChatURL; it does not expire).
type Image struct {
	ID          uint
	Filename    string
	ContentType string
	Data        []byte
	SHA256      string
	WeChatURL   string
	UploadedAt  *time.Time
	CreatedAt   time.Time
}

type imageRow struct {
	ID          uint `gorm:"primaryKey"`
	Filename    string
	ContentType string
	Data        []byte
	SHA256      string `gorm:"column:sha256"`
	WeChatURL   string `gorm:"column:wechat_url"`
	UploadedAt  *time.Time
	CreatedAt   time.Time
}

func (imageRow) TableName() string { return "images" }

func (r imageRow) image() Image {
	return Image{ID: r.ID, Filename: r.Filename, ContentType: r.ContentType, Data: r.Data, SHA256: r.SHA256,
		WeChatURL: r.WeChatURL, UploadedAt: r.UploadedAt, CreatedAt: r.CreatedAt}
}

// MaxImageBytes is uploadimg's rule: JPEG or PNG, under 1 MB. An image must be smaller than this.
const MaxImageBytes = 1 << 20

const maxImageSide = 16384

// Catalogue keys of SaveImage's refusals (field "image").
const (
	errImageEmpty    = "err.image_empty"
	errImageTooLarge = "err.image_too_large"
	errImageType     = "err.image_type"
)

// Catalogue keys of the content field when its images cannot be sent.
const (
	errContentImageInvalid = "err.content_image_invalid"
	errContentImageRemote  = "err.content_image_remote"
	errContentImageMissing = "err.content_image_missing"
)

// checkImage applies uploadimg's rule (by the bytes, not the name or declared type) and returns the
// content type, or the catalogue key of the refusal.
func checkImage(data []byte) (contentType, errKey string) {
	switch {
	case len(data) == 0:
		return "", errImageEmpty
	case len(data) >= MaxImageBytes:
		return "", errImageTooLarge
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		contentType = "image/jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		contentType = "image/png"
	default:
		return "", errImageType
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return "", errImageType
	}
	if overPixelBudget(cfg.Width, cfg.Height, MaxImagePixels) {
		return "", errImagePixels // by the header, nothing decoded (image_budget.go)
	}
	return contentType, ""
}

// SaveImage stores an image for article content: JPEG or PNG under 1 MB. The same bytes saved twice
// give the same image (and keep its WeChat URL).
func (s *Service) SaveImage(ctx context.Context, filename string, data []byte) (Image, error) {
	ct, key := checkImage(data)
	if key != "" {
		return Image{}, fieldError("image", key)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	name := imageFilename(filename, ct)
	var row imageRow
	err := s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		var existing []imageRow
		if err := db.Where("sha256 = ?", hash).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) > 0 {
			row = existing[0]
			return nil
		}
		row = imageRow{Filename: name, ContentType: ct, Data: data, SHA256: hash, CreatedAt: s.now()}
		return db.Create(&row).Error
	})
	if err != nil {
		return Image{}, err
	}
	return row.image(), nil
}

// imageFilename is the base name with an extension that matches the bytes (WeChat goes by it).
func imageFilename(name, contentType string) string {
	ext := ".jpg"
	if contentType == "image/png" {
		ext = ".png"
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "image"
	}
	name = cleanFilename(name)
	have := strings.ToLower(path.Ext(name))
	if have == ext || have == ".jpeg" && ext == ".jpg" {
		return name
	}
	return strings.TrimSuffix(name, path.Ext(name)) + ext
}

// Image returns one stored image with its bytes.
func (s *Service) Image(ctx context.Context, id uint) (Image, error) {
	var row imageRow
	if err := s.store.db(ctx).Take(&row, id).Error; err != nil {
		return Image{}, notFound(err)
	}
	return row.image(), nil
}

// ImagePath is where the dashboard serves a stored image, and the src it has in a draft.
func ImagePath(id uint) string { return "/images/" + strconv.FormatUint(uint64(id), 10) }

var imagePathRE = regexp.MustCompile(`^/images/([1-9][0-9]{0,9})$`)

// localImageID recognises a draft's own image src, /images/N.
func localImageID(src string) (uint, bool) {
	m := imagePathRE.FindStringSubmatch(strings.TrimSpace(src))
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return 0, false
	}
	return uint(id), true
}

// isWeChatImage reports whether src is on WeChat's image host (uploadimg's answers, or images
// pasted from another WeChat article): WeChat keeps these in a message.
func isWeChatImage(src string) bool {
	u, err := url.Parse(strings.TrimSpace(src))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Hostname(), "mmbiz.qpic.cn")
}

// rewriteImages passes the src of every <img> of an HTML fragment to fn, which returns the src to
// put instead (the same one to leave the tag untouched) or keep=false to drop the tag. Everything
// else is copied byte for byte.
func rewriteImages(fragment string, fn func(src string) (newSrc string, keep bool, err error)) (string, error) {
	if !strings.Contains(strings.ToLower(fragment), "<img") {
		return fragment, nil
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	var out strings.Builder
	out.Grow(len(fragment))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				return "", z.Err()
			}
			out.Write(z.Raw())
			return out.String(), nil
		}
		raw := string(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.WriteString(raw)
			continue
		}
		tok := z.Token()
		if tok.Data != "img" {
			out.WriteString(raw)
			continue
		}
		i := -1
		for j, a := range tok.Attr {
			if a.Namespace == "" && a.Key == "src" {
				i = j
				break
			}
		}
		if i < 0 {
			out.WriteString(raw)
			continue
		}
		newSrc, keep, err := fn(tok.Attr[i].Val)
		switch {
		case err != nil:
			return "", err
		case !keep:
			continue
		case newSrc == tok.Attr[i].Val:
			out.WriteString(raw)
		default:
			tok.Attr[i].Val = newSrc
			out.WriteString(tok.String())
		}
	}
}

// dataImageMaxEncoded bounds what is decoded of a data: URL (base64 of MaxImageBytes, with room
// for line breaks); anything longer is too large anyway.
const dataImageMaxEncoded = MaxImageBytes/3*4 + 4096

// storeDataImages turns the data: URL images of raw (pasted) HTML into stored images with
// src="/images/N", so that nothing large sits in the content and every image can be uploaded to
// WeChat. It returns the catalogue key of the content field when an image is not JPEG/PNG under
// 1 MB (the draft is then refused: WeChat would drop the image).
func (s *Service) storeDataImages(ctx context.Context, raw string) (string, string, error) {
	if !strings.Contains(strings.ToLower(raw), "data:") {
		return raw, "", nil
	}
	var errKey string
	out, err := rewriteImages(raw, func(src string) (string, bool, error) {
		data, ok := decodeDataURL(src)
		if !ok {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(src)), "data:") {
				errKey = errContentImageInvalid
			}
			return src, true, nil
		}
		img, err := s.SaveImage(ctx, "pasted", data)
		var ve *ValidationError
		if errors.As(err, &ve) {
			errKey = errContentImageInvalid
			return src, true, nil
		}
		if err != nil {
			return "", false, err
		}
		return ImagePath(img.ID), true, nil
	})
	if err != nil {
		return "", "", err
	}
	return out, errKey, nil
}

// decodeDataURL returns the bytes of a base64 data: URL of an image (whatever type it declares:
// SaveImage looks at the bytes).
func decodeDataURL(src string) ([]byte, bool) {
	src = strings.TrimSpace(src)
	if len(src) < 5 || !strings.EqualFold(src[:5], "data:") || len(src) > dataImageMaxEncoded+256 {
		return nil, false
	}
	meta, payload, ok := strings.Cut(src[5:], ",")
	if !ok || !strings.HasSuffix(strings.ToLower(meta), ";base64") || !strings.HasPrefix(strings.ToLower(meta), "image/") {
		return nil, false
	}
	payload = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, payload)
	if p, err := url.PathUnescape(payload); err == nil {
		payload = p // %2B, %2F, %3D from some clipboards
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "=")); err != nil {
			return nil, false
		}
	}
	return data, true
}

// checkContentImages looks at the images of sanitised content: each /images/N must exist, and
// images from other sites are refused, because WeChat drops every image in a message that was not
// uploaded with media/uploadimg (the operator uploads it with the editor's image button instead).
// It returns the catalogue key of the content field, or "".
func (s *Service) checkContentImages(ctx context.Context, content string) (string, error) {
	var ids []uint
	errKey := ""
	_, err := rewriteImages(content, func(src string) (string, bool, error) {
		if id, ok := localImageID(src); ok {
			ids = append(ids, id)
		} else if !isWeChatImage(src) && errKey == "" {
			errKey = errContentImageRemote
		}
		return src, true, nil
	})
	if err != nil || errKey != "" {
		return errKey, err
	}
	if len(ids) == 0 {
		return "", nil
	}
	var found []uint
	if err := s.store.db(ctx).Model(&imageRow{}).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return "", err
	}
	have := make(map[uint]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for _, id := range ids {
		if !have[id] {
			return errContentImageMissing, nil
		}
	}
	return "", nil
}

// imageFate is what a send does with an image of the content (sendableImage).
type imageFate int

const (
	imageDropped imageFate = iota // not ours, not WeChat's: WeChat would drop it, so we do
	imageOwn                      // /images/N: uploaded with uploadimg, its URL put instead
	imageWeChat                   // already on WeChat's image host: kept as it is
)

// sendableImage is the one rule of contentForWeChat, shared with the editor's preview.
func sendableImage(src string) imageFate {
	if _, ok := localImageID(src); ok {
		return imageOwn
	}
	if isWeChatImage(src) {
		return imageWeChat
	}
	return imageDropped
}

// contentForWeChat rewrites the content of the news about to be uploaded: every /images/N becomes
// the image's uploadimg URL (uploaded now when it has none yet, once per image: the URL does not
// expire), and any other image not on WeChat's host is dropped, as WeChat would drop it (drafts
// saved before images were checked may have some). The stored draft keeps /images/N.
//
// uploadimg is not an advanced call: it uses no daily quota. Its failures go back to the worker,
// which retries transient ones and fails the send on the others.
func (s *Service) contentForWeChat(ctx context.Context, sendID uint, news []NewsArticle) error {
	urls := map[uint]string{}
	for i := range news {
		content, err := rewriteImages(news[i].Content, func(src string) (string, bool, error) {
			switch sendableImage(src) {
			case imageOwn:
				id, _ := localImageID(src)
				u, err := s.wechatImageURL(ctx, sendID, id, urls)
				return u, err == nil, err
			case imageWeChat:
				return src, true, nil
			}
			s.log.Warn("image not uploaded through Qunfa left out of the message (WeChat drops it)",
				"send_id", sendID, "article", i, "src", truncate(src, 120))
			return "", false, nil
		})
		if err != nil {
			return err
		}
		news[i].Content = content
	}
	return nil
}

// wechatImageURL returns the uploadimg URL of a stored image, uploading it if it has none yet and
// committing the URL as soon as WeChat returns it.
func (s *Service) wechatImageURL(ctx context.Context, sendID, id uint, cache map[uint]string) (string, error) {
	if u, ok := cache[id]; ok {
		return u, nil
	}
	var row imageRow
	if err := s.store.db(ctx).Take(&row, id).Error; err != nil {
		return "", permanentError{fmt.Sprintf("image %d: %v", id, notFound(err))}
	}
	if row.WeChatURL == "" {
		u, err := s.wx.UploadImage(ctx, row.Filename, row.Data)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return "", permanentError{fmt.Sprintf("image %d: media/uploadimg answered an unusable url", id)}
		}
		now := s.now()
		if err := s.store.db(ctx).Model(&row).Updates(map[string]any{"wechat_url": u, "uploaded_at": now}).Error; err != nil {
			return "", err
		}
		row.WeChatURL = u
		s.log.Info("image uploaded (media/uploadimg)", "send_id", sendID, "image_id", id)
	}
	cache[id] = row.WeChatURL
	return row.WeChatURL, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// orphanImageAge is how long an image nothing refers to is kept: long enough
// for an operator to come back to a refused save or an open editor.
const orphanImageAge = 7 * 24 * time.Hour

// DeleteOrphanImages removes images older than orphanImageAge that no draft
// article, no send's article snapshot and no kept draft version refers to (an editor upload or a
// pasted image in a draft that was never saved). It returns how many went.
func (s *Store) DeleteOrphanImages(ctx context.Context, now time.Time) (int64, error) {
	res := s.db(ctx).Exec(`DELETE FROM images WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM articles WHERE `+s.dialect.contains("articles.content", `'/images/' || images.id || '"'`)+`)
		AND NOT EXISTS (SELECT 1 FROM sends WHERE `+s.dialect.contains("sends.articles_json", `'/images/' || images.id || '\"'`)+`)
		AND NOT EXISTS (SELECT 1 FROM draft_versions v WHERE `+s.dialect.contains("v.articles_json", `'/images/' || images.id || '\"'`)+`)`,
		now.Add(-orphanImageAge).UTC())
	return res.RowsAffected, res.Error
}
