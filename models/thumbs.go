package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"path/filepath"
	"strings"
	"time"
)

// Thumb is a cover image kept locally (WeChat temporary media expire after 3 days, so the bytes are
// what lasts) with the media_id of its latest upload.
type Thumb struct {
	ID              uint
	Filename        string
	ContentType     string
	Data            []byte
	SHA256          string
	MediaID         string
	MediaUploadedAt *time.Time
	MaterialID      string // permanent material (draft path); "" until first needed
}

const (
	maxThumbBytes = 64 << 10 // WeChat's thumb rule: JPG, 64 KB
	maxThumbSide  = 8192
	// WeChat temporary media live 3 days; re-upload a little before, so a send that takes a while
	// (retries, several batches) never uses an id that expires under it.
	mediaLifetime = 3*24*time.Hour - 6*time.Hour
)

// SaveThumb stores a cover image: JPEG only, at most 64 KB. The same bytes uploaded twice give the
// same thumb (and keep its media id).
func (s *Service) SaveThumb(ctx context.Context, filename string, data []byte) (Thumb, error) {
	if len(data) > maxThumbBytes {
		return Thumb{}, fieldError("thumb", "err.thumb_too_large")
	}
	if len(data) < 3 || !bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) {
		return Thumb{}, fieldError("thumb", "err.thumb_not_jpeg")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxThumbSide || cfg.Height > maxThumbSide {
		return Thumb{}, fieldError("thumb", "err.thumb_not_jpeg")
	}
	if overPixelBudget(cfg.Width, cfg.Height, MaxThumbPixels) {
		// Before decoding: a tiny file must not become a huge bitmap (image_budget.go).
		return Thumb{}, fieldError("thumb", errThumbPixels)
	}
	if _, err = jpeg.Decode(bytes.NewReader(data)); err != nil {
		return Thumb{}, fieldError("thumb", "err.thumb_not_jpeg")
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	name := cleanFilename(filename)

	var row thumbRow
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		var existing []thumbRow
		if err := db.Where("sha256 = ?", hash).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) > 0 {
			row = existing[0]
			return nil
		}
		row = thumbRow{Filename: name, ContentType: "image/jpeg", Data: data, SHA256: hash, CreatedAt: s.now()}
		return db.Create(&row).Error
	})
	if err != nil {
		return Thumb{}, err
	}
	return row.thumb(), nil
}

// Thumb returns one stored thumb with its bytes.
func (s *Service) Thumb(ctx context.Context, id uint) (Thumb, error) {
	var row thumbRow
	if err := s.store.db(ctx).Take(&row, id).Error; err != nil {
		return Thumb{}, notFound(err)
	}
	return row.thumb(), nil
}

// mediaFresh reports whether a media id uploaded at t can still be used at now.
func mediaFresh(t *time.Time, now time.Time) bool {
	return t != nil && now.Sub(*t) < mediaLifetime
}

func (r thumbRow) thumb() Thumb {
	return Thumb{ID: r.ID, Filename: r.Filename, ContentType: r.ContentType, Data: r.Data, SHA256: r.SHA256,
		MediaID: r.MediaID, MediaUploadedAt: r.MediaUploadedAt, MaterialID: r.MaterialID}
}

// cleanFilename keeps the base name only (it is shown and sent as the multipart filename).
func cleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		return "thumb.jpg"
	}
	if len(name) > 128 {
		name = name[len(name)-128:]
	}
	return name
}
