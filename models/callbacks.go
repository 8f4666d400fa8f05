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
// batch commit that msg_id later. Pushes that arrive while another is being written are written
// together, in one transaction (jobs.go): WeChat reports many jobs at once, and SQLite's cost is
// the commit, not the rows.
func (s *Service) RecordJobFinished(ctx context.Context, ev JobFinished) (duplicate bool, err error) {
	defer wrap(&err, "callback msg_id %d", ev.MsgID)
	r := s.jobs.record(s, ctx, ev)
	return r.duplicate, r.err
}

// recordJob is one push's writes, inside the transaction ctx carries.
func (s *Service) recordJob(ctx context.Context, ev JobFinished) (duplicate bool, err error) {
	row := callbackEventRow{
		MsgID: ev.MsgID, Event: EventMassSendJobFinish, FromUser: ev.FromUser, CreateTime: ev.CreateTime,
		Status: ev.Status, TotalCount: ev.Total, FilterCount: ev.Filter, SentCount: ev.Sent, ErrorCount: ev.Error,
		Raw: ev.Raw, ReceivedAt: s.now(), ArticleURLs: joinURLs(ev.ArticleURLs), CopyrightState: ev.CopyrightState,
	}
	if duplicate, err = s.pipe.RecordJobEvent(ctx, row); err != nil || duplicate {
		return duplicate, err
	}
	return false, s.pipe.FinishBatch(ctx, ev.MsgID, ev, true)
}

// RecordOtherEvent stores any other pushed event once (FromUserName + CreateTime + Event).
func (s *Service) RecordOtherEvent(ctx context.Context, event, fromUser string, createTime int64, raw []byte) (err error) {
	defer wrap(&err, "callback event %s", event)
	if event == EventMassSendJobFinish {
		return ErrInvalidArgument
	}
	row := callbackEventRow{Event: event, FromUser: fromUser, CreateTime: createTime, Raw: raw, ReceivedAt: s.now()}
	return s.store.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// jobFinished is a stored push as the pipeline applies it (to a batch whose msg_id came later).
func (r callbackEventRow) jobFinished() JobFinished {
	return JobFinished{MsgID: r.MsgID, Status: r.Status, Total: r.TotalCount, Filter: r.FilterCount, Sent: r.SentCount,
		Error: r.ErrorCount, ArticleURLs: splitURLs(r.ArticleURLs), CopyrightState: r.CopyrightState}
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
