package models

import (
	"context"
	"qunfa/wechat/protocol"
	"time"
)

// Endpoints recorded in quota_calls (the advanced calls WeChat counts).
const (
	EndpointUploadThumb = "media/upload?type=thumb"
	EndpointUploadNews  = "media/uploadnews"
	EndpointAddDraft    = "draft/add"
	EndpointSendAll     = "message/mass/sendall"
	EndpointSend        = "message/mass/send"
	EndpointDelete      = "message/mass/delete"
)

// EndpointAddMaterial is the upload of a cover as a permanent material on the draft path. The
// plan shows it, but it is not an advanced call: no quota row is ever recorded for it.
const EndpointAddMaterial = "material/add_material?type=thumb"

// beijingDay is the WeChat quota day of t.
func beijingDay(t time.Time) string { return protocol.BeijingDay(t) }

// QuotaLeft is today's (Beijing) advanced calls left: the daily quota minus calls made and calls
// reserved by queued sends.
func (s *Service) QuotaLeft(ctx context.Context) (int, error) {
	var n int64
	if err := s.store.db(ctx).Model(&quotaCallRow{}).Where("day = ?", beijingDay(s.now())).Count(&n).Error; err != nil {
		return 0, err
	}
	left := s.rules.DailyQuota - int(n)
	if left < 0 {
		left = 0
	}
	return left, nil
}

// reserveQuota records count planned calls of a send (inside StartSend's transaction).
func (s *Service) reserveQuota(ctx context.Context, sendID uint, endpoint string, count int) error {
	now := s.now()
	for i := 0; i < count; i++ {
		id := sendID
		row := quotaCallRow{Day: beijingDay(now), Endpoint: endpoint, SendID: &id, Reserved: true, At: now}
		if err := s.store.db(ctx).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// useQuota records that a call is being made now: it turns one of the send's reservations for that
// endpoint into a call (moved to today, should the send run on a later day), or adds a call row when
// none is left (a retry, a re-upload). sendID 0 means a call outside a send.
func (s *Service) useQuota(ctx context.Context, sendID uint, endpoint string) error {
	now := s.now()
	db := s.store.db(ctx)
	if sendID != 0 {
		var r []quotaCallRow
		if err := db.Where("send_id = ? AND endpoint = ? AND reserved = ?", sendID, endpoint, true).
			Order("id").Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if len(r) == 1 {
			return db.Model(&r[0]).Updates(map[string]any{"reserved": false, "day": beijingDay(now), "at": now}).Error
		}
	}
	row := quotaCallRow{Day: beijingDay(now), Endpoint: endpoint, Reserved: false, At: now}
	if sendID != 0 {
		id := sendID
		row.SendID = &id
	}
	return db.Create(&row).Error
}

// releaseQuota drops the reservations of calls a send will never make.
func (s *Service) releaseQuota(ctx context.Context, sendID uint) error {
	return s.store.db(ctx).Where("send_id = ? AND reserved = ?", sendID, true).Delete(&quotaCallRow{}).Error
}
