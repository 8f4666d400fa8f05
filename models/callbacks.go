package models

import (
	"context"
	"qunfa/wechat/protocol"
	"strings"

	"gorm.io/gorm/clause"
)

// EventMassSendJobFinish is the event name of a mass job's final report.
const EventMassSendJobFinish = protocol.EventMassSendJobFinish

// JobFinished is a MASSSENDJOBFINISH push as the callback handler decoded it.
type JobFinished struct {
	MsgID      int64
	Status     string
	Total      int
	Filter     int
	Sent       int
	Error      int
	CreateTime int64
	FromUser   string
	Raw        []byte
	// ArticleURLs are the permanent URLs of the sent articles, in article
	// order (ArticleUrlResult); CopyrightState is CopyrightCheckResult's
	// CheckState (1 not a reprint, 2 reprint but sent, 3 reprint and stopped).
	ArticleURLs    []string
	CopyrightState int
}

// RecordJobFinished stores the push once per msg_id and applies its figures to the batch with that
// msg_id (and to its send once every batch has finished). A repeated push returns duplicate=true
// and changes nothing. A push for an unknown msg_id is stored, without error, and applied should a
// batch commit that msg_id later.
func (s *Service) RecordJobFinished(ctx context.Context, ev JobFinished) (duplicate bool, err error) {
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		row := callbackEventRow{
			MsgID: ev.MsgID, Event: EventMassSendJobFinish, FromUser: ev.FromUser, CreateTime: ev.CreateTime,
			Status: ev.Status, TotalCount: ev.Total, FilterCount: ev.Filter, SentCount: ev.Sent, ErrorCount: ev.Error,
			Raw: ev.Raw, ReceivedAt: s.now(), ArticleURLs: joinURLs(ev.ArticleURLs), CopyrightState: ev.CopyrightState,
		}
		res := s.store.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			duplicate = true
			return nil
		}
		return s.finishBatch(ctx, ev.MsgID, ev, true)
	})
	return duplicate, err
}

// RecordOtherEvent stores any other pushed event once (FromUserName + CreateTime + Event).
func (s *Service) RecordOtherEvent(ctx context.Context, event, fromUser string, createTime int64, raw []byte) error {
	if event == EventMassSendJobFinish {
		return ErrInvalidArgument
	}
	row := callbackEventRow{Event: event, FromUser: fromUser, CreateTime: createTime, Raw: raw, ReceivedAt: s.now()}
	return s.store.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// applyStoredJobFinished applies a push that arrived before its msg_id was committed.
func (s *Service) applyStoredJobFinished(ctx context.Context, msgID int64) error {
	if msgID == 0 {
		return nil
	}
	var rows []callbackEventRow
	if err := s.store.db(ctx).Where("event = ? AND msg_id = ?", EventMassSendJobFinish, msgID).Limit(1).Find(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	r := rows[0]
	return s.finishBatch(ctx, msgID, JobFinished{MsgID: msgID, Status: r.Status, Total: r.TotalCount,
		Filter: r.FilterCount, Sent: r.SentCount, Error: r.ErrorCount,
		ArticleURLs: splitURLs(r.ArticleURLs), CopyrightState: r.CopyrightState}, true)
}

// finishBatch records a job's outcome on its batch; withFigures=false (mass/get) keeps the counts.
func (s *Service) finishBatch(ctx context.Context, msgID int64, ev JobFinished, withFigures bool) error {
	if msgID == 0 {
		return nil
	}
	var batches []batchRow
	if err := s.store.db(ctx).Where("msg_id = ?", msgID).Find(&batches).Error; err != nil {
		return err
	}
	for _, b := range batches {
		upd := map[string]any{"status": ev.Status}
		if withFigures {
			upd["total_count"], upd["filter_count"], upd["sent_count"], upd["error_count"] = ev.Total, ev.Filter, ev.Sent, ev.Error
			upd["article_urls"], upd["copyright_state"] = joinURLs(ev.ArticleURLs), ev.CopyrightState
		}
		if b.State == string(StateSubmitted) || b.State == string(StateSubmitting) {
			upd["state"] = string(StateFinished)
			upd["finished_at"] = s.now()
		}
		if err := s.store.db(ctx).Model(&b).Updates(upd).Error; err != nil {
			return err
		}
		if err := s.settleSend(ctx, b.SendID); err != nil {
			return err
		}
	}
	return nil
}

// settleSend recomputes a send's figures from its batches and marks it finished once every batch
// has finished.
func (s *Service) settleSend(ctx context.Context, sendID uint) error {
	db := s.store.db(ctx)
	var send sendRow
	if err := db.Take(&send, sendID).Error; err != nil {
		return notFound(err)
	}
	var batches []batchRow
	if err := db.Where("send_id = ?", sendID).Order("batch_index").Find(&batches).Error; err != nil {
		return err
	}
	upd := map[string]any{}
	var total, filter, sent, errs int
	status, failing := "", ""
	allFinished := len(batches) > 0
	for _, b := range batches {
		total, filter, sent, errs = total+b.TotalCount, filter+b.FilterCount, sent+b.SentCount, errs+b.ErrorCount
		if b.Status != "" {
			status = b.Status
			if failing == "" && !statusIsSuccess(b.Status) {
				failing = b.Status
			}
		}
		if b.State != string(StateFinished) {
			allFinished = false
		}
	}
	if failing != "" {
		status = failing
	}
	upd["total_count"], upd["filter_count"], upd["sent_count"], upd["error_count"], upd["status"] = total, filter, sent, errs, status
	finishing := allFinished && send.State == string(StateSubmitted)
	if finishing {
		upd["state"] = string(StateFinished)
		upd["finished_at"] = s.now()
	}
	if err := db.Model(&send).Updates(upd).Error; err != nil {
		return err
	}
	if finishing {
		return s.addHistory(ctx, sendID, 0, HistoryFinished, status)
	}
	return nil
}

// statusIsSuccess accepts both spellings WeChat has used ("send success", the 2014 sample's "sendsuccess").
func statusIsSuccess(st string) bool {
	st = strings.ToLower(strings.ReplaceAll(st, " ", ""))
	return st == "sendsuccess"
}

// Article URLs are stored one per line (URLs have no newlines).
func joinURLs(urls []string) string { return strings.Join(urls, "\n") }

func splitURLs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CountEvents is how many pushes of that event are kept (diagnostics, tests).
func (s *Store) CountEvents(ctx context.Context, event string) (int64, error) {
	var n int64
	err := s.db(ctx).Model(&callbackEventRow{}).Where("event = ?", event).Count(&n).Error
	return n, err
}
