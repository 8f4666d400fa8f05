package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Preview is one message/mass/preview: a draft sent to one person to check it before a mass
// send. Every attempt that reached WeChat is recorded, refused ones included.
type Preview struct {
	ID         uint
	DraftID    uint
	ToWXName   string // the recipient's WeChat ID (微信号), or
	ToOpenID   string // the recipient's OpenID
	MsgID      int64  // WeChat's msg_id (0 when it answered none, or refused)
	Errcode    int    // WeChat's errcode when it refused (0 otherwise)
	Errmsg     string // what went wrong ("" when the preview went out)
	OperatorID uint
	At         time.Time
}

// Recipient is the WeChat ID or OpenID the preview went to.
func (p Preview) Recipient() string {
	if p.ToWXName != "" {
		return p.ToWXName
	}
	return p.ToOpenID
}

// OK reports whether WeChat accepted the preview.
func (p Preview) OK() bool { return p.Errcode == 0 && p.Errmsg == "" }

// PreviewInput is the preview form: a draft and exactly one recipient.
type PreviewInput struct {
	DraftID  uint
	ToWXName string // a WeChat ID (微信号): 6–20 letters, digits, _ or -, starting with a letter
	ToOpenID string // or an OpenID, as ParseOpenIDs accepts it
}

// FieldPreviewTo is the form field of a preview's recipient (ValidationError key).
const FieldPreviewTo = "preview_to"

// Catalogue keys of a refused recipient (views/i18n/preview.go).
const (
	errPreviewToRequired  = "err.preview_to_required"
	errPreviewToOne       = "err.preview_to_one"
	errPreviewWXName      = "err.preview_wxname_invalid"
	errPreviewOpenID      = "err.preview_openid_invalid"
	errPreviewWXNameDaily = "err.preview_wxname_daily"
)

// previewDailyWXName is WeChat's limit on previews by towxname a (Beijing) day (protocol §3.3).
const previewDailyWXName = 100

// recentPreviews is how many of a draft's previews Previews lists.
const recentPreviews = 20

var wxNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{5,19}$`)

type previewRow struct {
	ID         uint `gorm:"primaryKey"`
	DraftID    uint
	ToWXName   string `gorm:"column:to_wxname"`
	ToOpenID   string `gorm:"column:to_openid"`
	MsgID      int64  `gorm:"column:msg_id"`
	Errcode    int
	Errmsg     string
	OperatorID uint
	At         time.Time
}

func (previewRow) TableName() string { return "previews" }

func (r previewRow) preview() Preview {
	return Preview{ID: r.ID, DraftID: r.DraftID, ToWXName: r.ToWXName, ToOpenID: r.ToOpenID, MsgID: r.MsgID,
		Errcode: r.Errcode, Errmsg: r.Errmsg, OperatorID: r.OperatorID, At: r.At}
}

// previewRecipient checks that the input names exactly one valid recipient and returns it trimmed.
func previewRecipient(in PreviewInput) (wxName, openID string, err error) {
	wxName, openID = strings.TrimSpace(in.ToWXName), strings.TrimSpace(in.ToOpenID)
	switch {
	case wxName == "" && openID == "":
		return "", "", fieldError(FieldPreviewTo, errPreviewToRequired)
	case wxName != "" && openID != "":
		// WeChat would silently pick the WeChat ID; the operator says which one they meant.
		return "", "", fieldError(FieldPreviewTo, errPreviewToOne)
	case wxName != "":
		if !wxNameRE.MatchString(wxName) {
			return "", "", fieldError(FieldPreviewTo, errPreviewWXName)
		}
	default:
		ids, problems := ParseOpenIDs(openID)
		if len(ids) != 1 || len(problems) > 0 {
			return "", "", fieldError(FieldPreviewTo, errPreviewOpenID)
		}
		openID = ids[0]
	}
	return wxName, openID, nil
}

// Preview sends a draft to one person (message/mass/preview) before a mass send: by WeChat ID or
// by OpenID. It checks the recipient and the draft's article count (*ValidationError), makes sure
// the thumbs and the news have media ids — with the send pipeline's uploads, which use the daily
// quota as a send's do (ErrQuotaExceeded, before any call, when today's quota left cannot cover
// them) — then calls WeChat. The preview itself uses no quota.
//
// Every preview that reached WeChat is recorded. When an upload or the preview fails, the
// recorded preview (its Errcode, if WeChat refused) is returned together with the error.
func (s *Service) Preview(ctx context.Context, in PreviewInput, operatorID uint) (_ Preview, err error) {
	defer wrap(&err, "preview of draft %d", in.DraftID)
	wxName, openID, err := previewRecipient(in)
	if err != nil {
		return Preview{}, err
	}
	d, err := s.Draft(ctx, in.DraftID)
	if err != nil {
		return Preview{}, err
	}
	profile, err := s.profile(ctx)
	if err != nil {
		return Preview{}, err
	}
	if len(d.Articles) > profile.MaxArticles {
		return Preview{}, fieldError("draft", "err.too_many_articles_to_send")
	}

	// No worker lock here: a preview never waits for a worker pass. Uploads are serialised by
	// uploadContent itself (uploadMu), so a preview and a send never upload the same thumb twice.
	if wxName != "" {
		n, err := s.wxNamePreviewsToday(ctx)
		if err != nil {
			return Preview{}, err
		}
		if n >= previewDailyWXName {
			return Preview{}, fieldError(FieldPreviewTo, errPreviewWXNameDaily)
		}
	}
	arts := snapshot(d)
	src := s.sourceFor(profile.UploadPath)
	if err := s.previewQuota(ctx, src, arts); err != nil {
		return Preview{}, err
	}

	var msgID int64
	var mediaID string
	// As the worker does, one recovery from 40007: WeChat forgot a media id (a restarted
	// sandbox, an early expiry); forget it too and upload again, if the quota allows.
	err = s.recover40007(ctx, fmt.Sprintf("preview of draft %d", d.ID), func() error {
		var err error
		if mediaID, err = s.uploadContent(ctx, src, uploadFor{draftID: d.ID}, arts); err != nil {
			mediaID = ""
			return asStale(err, true)
		}
		// A preview does not take a draft out of the draft box: the next send's first batch
		// uses the same one.
		msgID, err = s.wx.Preview(ctx, wxName, openID, mediaID)
		return asStale(err, false)
	}, func(stale staleMediaError) (bool, error) {
		if err := src.forget(ctx, []string{mediaID}, distinctThumbs(arts), stale.upload); err != nil {
			return false, err
		}
		// Without the quota for the uploads, report the 40007: the next preview's plan shows them.
		return s.previewQuota(ctx, src, arts) == nil, nil
	})

	row := previewRow{DraftID: d.ID, ToWXName: wxName, ToOpenID: openID, MsgID: msgID, OperatorID: operatorID, At: s.now()}
	if err != nil {
		row.Errmsg = redact(err.Error())
		if ae, ok := asAPIError(err); ok {
			row.Errcode = ae.Errcode()
		}
	}
	// Recorded even when the visitor has gone: the preview was made.
	if cerr := s.store.db(context.WithoutCancel(ctx)).Create(&row).Error; cerr != nil {
		return Preview{}, errors.Join(err, cerr)
	}
	if err != nil {
		s.log.Warn("preview failed", "draft_id", d.ID, "preview_id", row.ID, "errcode", row.Errcode, "err", row.Errmsg)
		return row.preview(), err
	}
	s.log.Info("preview sent", "draft_id", d.ID, "preview_id", row.ID, "msg_id", msgID, "by_wxname", wxName != "")
	return row.preview(), nil
}

// previewQuota refuses a preview whose uploads exceed today's quota left (ErrQuotaExceeded).
func (s *Service) previewQuota(ctx context.Context, src newsSource, arts []ArticleInput) error {
	needs, err := s.uploadsNeeded(ctx, src, arts)
	if err != nil {
		return err
	}
	calls := needs.counted(src)
	endpoints := []string{src.newsEndpoint()}
	if needs.counted(src) > 0 {
		endpoints = append(endpoints, src.coverEndpoint())
	}
	if !needs.fresh {
		calls++
	}
	left, err := s.quotaLeftFor(ctx, endpoints...)
	if err != nil {
		return err
	}
	if calls > left {
		return ErrQuotaExceeded
	}
	return nil
}

// wxNamePreviewsToday counts the previews by WeChat ID WeChat accepted this Beijing day.
func (s *Service) wxNamePreviewsToday(ctx context.Context) (int, error) {
	b := s.now().In(Beijing)
	start := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, Beijing).UTC()
	var n int64
	err := s.store.db(ctx).Model(&previewRow{}).
		Where("to_wxname <> '' AND errcode = 0 AND errmsg = '' AND at >= ?", start).Count(&n).Error
	return int(n), err
}

// Previews lists a draft's recent previews, newest first.
func (s *Service) Previews(ctx context.Context, draftID uint) (_ []Preview, err error) {
	defer wrap(&err, "previews of draft %d", draftID)
	var rows []previewRow
	if err := s.store.db(ctx).Where("draft_id = ?", draftID).Order("at DESC, id DESC").
		Limit(recentPreviews).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Preview, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.preview())
	}
	return out, nil
}
