package models

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// JobFinishedRecorded returns the MASSSENDJOBFINISH recorded for msgID, if any, with a read only:
// WeChat repeats a push it thinks unanswered, and a repeat must not queue behind the writer.
// The callback handler asks this first and calls RecordJobFinished only for a msg_id not seen.
func (s *Service) JobFinishedRecorded(ctx context.Context, msgID int64) (JobFinished, bool, error) {
	// A recorded report never changes, so one remembered answers without the database.
	if ev, ok := s.jobs.recalled(msgID); ok {
		return ev, true, nil
	}
	var rows []callbackEventRow
	// A prepared statement: WeChat may push the same job several times a second.
	err := s.store.db(ctx).Session(&gorm.Session{PrepareStmt: true}).
		Select("msg_id", "status", "total_count", "filter_count", "sent_count", "error_count", "article_urls", "copyright_state").
		Where("msg_id = ? AND event = ?", msgID, EventMassSendJobFinish).Limit(1).Find(&rows).Error
	if err != nil {
		return JobFinished{}, false, fmt.Errorf("models: MASSSENDJOBFINISH of msg_id %d: %w", msgID, err)
	}
	if len(rows) == 0 {
		return JobFinished{}, false, nil
	}
	r := rows[0]
	ev := JobFinished{MsgID: r.MsgID, Status: r.Status, Total: r.TotalCount, Filter: r.FilterCount, Sent: r.SentCount,
		Error: r.ErrorCount, ArticleURLs: splitURLs(r.ArticleURLs), CopyrightState: r.CopyrightState}
	s.jobs.remember(ev)
	return ev, true, nil
}

// SameOutcome reports whether two reports of one job say the same (status, figures, article
// URLs, copyright verdict): a repeat that does not is disputed.
func (j JobFinished) SameOutcome(o JobFinished) bool {
	return j.MsgID == o.MsgID && j.Status == o.Status && j.Total == o.Total && j.Filter == o.Filter &&
		j.Sent == o.Sent && j.Error == o.Error && j.CopyrightState == o.CopyrightState &&
		slices.Equal(j.ArticleURLs, o.ArticleURLs)
}
