package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// EventJobFinishedDisputed keeps a MASSSENDJOBFINISH whose figures differ from the report already
// recorded for its msg_id. The first report stays in force; both are shown on the send's page.
const EventJobFinishedDisputed = EventMassSendJobFinish + ".disputed"

// JobReport is one version of a job's report as stored, for the send's page.
type JobReport struct {
	JobFinished
	ReceivedAt time.Time
	Disputed   bool // false: the report in force
}

// JobDispute is a msg_id with more than one version of its report.
type JobDispute struct {
	MsgID    int64
	Versions []JobReport // the report in force first, then the others as they came
}

// RecordDisputedJob keeps a disputing push under its msg_id with its figures. Identical bodies
// (key) are kept once.
func (s *Service) RecordDisputedJob(ctx context.Context, ev JobFinished, key string, raw []byte) (err error) {
	defer wrap(&err, "disputed callback msg_id %d", ev.MsgID)
	row := callbackEventRow{
		MsgID: ev.MsgID, Event: EventJobFinishedDisputed, FromUser: key, CreateTime: ev.CreateTime,
		Status: ev.Status, TotalCount: ev.Total, FilterCount: ev.Filter, SentCount: ev.Sent, ErrorCount: ev.Error,
		Raw: raw, ReceivedAt: s.now(), ArticleURLs: joinURLs(ev.ArticleURLs), CopyrightState: ev.CopyrightState,
	}
	return s.store.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// JobDisputes returns, for those of msgIDs that have a disputed report, every version of it. One
// indexed read (msg_id) of a send's few batches.
func (s *Service) JobDisputes(ctx context.Context, msgIDs []int64) (_ []JobDispute, err error) {
	defer wrap(&err, "disputed reports")
	if len(msgIDs) == 0 {
		return nil, nil
	}
	var rows []callbackEventRow
	err = s.store.db(ctx).
		Select("id", "msg_id", "event", "status", "total_count", "filter_count", "sent_count", "error_count",
			"article_urls", "copyright_state", "received_at").
		Where("msg_id IN ? AND event IN ?", msgIDs, []string{EventMassSendJobFinish, EventJobFinishedDisputed}).
		Order("msg_id, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	var out []JobDispute
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].MsgID == rows[i].MsgID {
			j++
		}
		var d JobDispute
		d.MsgID = rows[i].MsgID
		disputed := false
		for _, r := range rows[i:j] {
			v := JobReport{JobFinished: r.jobFinished(), ReceivedAt: r.ReceivedAt, Disputed: r.Event == EventJobFinishedDisputed}
			disputed = disputed || v.Disputed
			if v.Disputed {
				d.Versions = append(d.Versions, v)
			} else {
				d.Versions = append([]JobReport{v}, d.Versions...)
			}
		}
		if disputed {
			out = append(out, d)
		}
		i = j
	}
	return out, nil
}
