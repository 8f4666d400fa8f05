package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// pipelineStore is everything the send pipeline (worker, callbacks, previews' uploads) reads and
// writes, by name: the worker and the news sources keep the decisions, this keeps the rows. Each
// write is one checkpoint, committed before the WeChat call it prepares (or right after the answer
// it records), so a crash anywhere resumes from the last one. sqlPipeline is the one
// implementation; a test wraps it to record every write in order (TestPipelineCheckpoints).
//
// A method that writes several rows does so in one transaction (joining the caller's, if any).
type pipelineStore interface {
	// Tx runs fn in one transaction carried by its ctx (joining the caller's, if any).
	Tx(ctx context.Context, fn func(ctx context.Context) error) error

	// Reads.
	SendIDByKey(ctx context.Context, key string) (uint, bool, error)
	DueSends(ctx context.Context, now time.Time) ([]uint, error)
	StillDue(ctx context.Context, id uint, now time.Time) (bool, error)
	LoadSend(ctx context.Context, id uint) (sendRow, error)
	Batches(ctx context.Context, sendID uint) ([]batchRow, error)
	// Thumb is a cover with its media ids, and its bytes when withData (to upload it).
	Thumb(ctx context.Context, id uint, withData bool) (thumbRow, error)
	// LatestNews is the newest news upload of this content on this path: uploaded after since
	// (zero: any time), and when skipHeld not the media id of a batch being called.
	LatestNews(ctx context.Context, hash, path string, since time.Time, skipHeld bool) (string, bool, error)
	HasNews(ctx context.Context, mediaID, path string, since time.Time) (bool, error)
	DueReconcile(ctx context.Context, cutoff time.Time) ([]batchRow, error)

	// Checkpoints: uploads and quota.
	UseQuota(ctx context.Context, sendID uint, endpoint string) error
	// ReturnQuota turns the send's latest call at endpoint back into a reservation: the call
	// never reached WeChat.
	ReturnQuota(ctx context.Context, sendID uint, endpoint string) error
	SaveCoverMedia(ctx context.Context, thumbID uint, mediaID string, at time.Time) error
	SaveCoverMaterial(ctx context.Context, thumbID uint, materialID string) error
	SaveNews(ctx context.Context, draftID uint, hash, mediaID, path string, at time.Time) error
	SetSendMedia(ctx context.Context, sendID uint, mediaID string) error
	// LedgerChunk records the next chunk of a group, tag or everyone batch's recipients in the
	// monthly ledger (ledger.go), each chunk its own transaction; done once none is left.
	LedgerChunk(ctx context.Context, batchID uint) (done bool, err error)
	// PendingLedger lists the batches whose recipients are still being recorded.
	PendingLedger(ctx context.Context) ([]uint, error)
	// ForgetNews drops news uploads WeChat answered 40007 for (or that a mass send consumed).
	ForgetNews(ctx context.Context, mediaIDs ...string) error
	// ForgetCovers drops the covers' temporary media ids (material=false) or permanent material
	// ids (material=true).
	ForgetCovers(ctx context.Context, thumbIDs []uint, material bool) error

	// Checkpoints: the send and its batches.
	// EnqueueSend creates a queued send, a batch for each chunk of OpenIDs (each with its own
	// clientmsgid), the quota reservations of its calls and its created history entry.
	EnqueueSend(ctx context.Context, row sendRow, chunks [][]string, reserve []PlannedCall, detail string) (uint, error)
	SetSendState(ctx context.Context, sendID uint, st SendState) error
	MarkSubmitting(ctx context.Context, sendID, batchID uint, mediaID, endpoint string) error
	// CommitMsgID records WeChat's answer; consumed names the media id the call took out of the
	// draft box ("" on the seed's path), forgotten with it.
	CommitMsgID(ctx context.Context, sendID, batchID uint, res MassResult, consumed string) error
	// RequeueRefused puts the batches being called back in the queue without their media id
	// (after a 40007 WeChat took none of them) and returns the media ids they held.
	RequeueRefused(ctx context.Context, sendID uint) ([]string, error)
	MarkSubmitted(ctx context.Context, sendID uint, detail string) error
	ScheduleRetry(ctx context.Context, sendID uint, attempts int, next time.Time, code int, msg string) error
	// FailSend fails the send, the batch that failed (batchID 0: none) and the batches never
	// tried, and releases the quota reserved for calls that will not be made.
	FailSend(ctx context.Context, sendID, batchID uint, code int, msg string) error

	// Checkpoints: WeChat's report (callback, mass/get).
	RecordJobEvent(ctx context.Context, row callbackEventRow) (duplicate bool, err error)
	StoredJobEvent(ctx context.Context, msgID int64) (callbackEventRow, bool, error)
	FinishBatch(ctx context.Context, msgID int64, ev JobFinished, withFigures bool) error
	MarkChecked(ctx context.Context, batchID uint) error

	// The operator's delete.
	// SharingArticle lists the other sends (not deleted, not already marked) with a delivered
	// batch that named a news media id one of this send's delivered batches named.
	SharingArticle(ctx context.Context, sendID uint) ([]sendRow, error)
	MarkBatchDeleted(ctx context.Context, batchID uint) error
	DeleteFailed(ctx context.Context, sendID, operatorID uint, detail string) error
	// MarkDeleted marks the send deleted and the sends in removed as having lost their article
	// to its delete (with a history entry on each).
	MarkDeleted(ctx context.Context, sendID, operatorID uint, detail string, removed []uint) error
}

// sqlPipeline is pipelineStore on the SQLite store.
type sqlPipeline struct {
	st  *Store
	now func() time.Time
}

var _ pipelineStore = sqlPipeline{}

func (p sqlPipeline) db(ctx context.Context) *gorm.DB { return p.st.db(ctx) }

func (p sqlPipeline) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return p.st.inTx(ctx, fn)
}

func (p sqlPipeline) SendIDByKey(ctx context.Context, key string) (uint, bool, error) {
	var rows []sendRow
	if err := p.db(ctx).Select("id").Where("idem_key = ?", key).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return 0, false, err
	}
	return rows[0].ID, true, nil
}

func (p sqlPipeline) EnqueueSend(ctx context.Context, row sendRow, chunks [][]string, reserve []PlannedCall, detail string) (uint, error) {
	err := p.st.inTx(ctx, func(ctx context.Context) error {
		db := p.db(ctx)
		if err := db.Create(&row).Error; err != nil {
			return err
		}
		for i, chunk := range chunks {
			cmid, err := clientMsgID(row.ID, i)
			if err != nil {
				return err
			}
			b := batchRow{SendID: row.ID, BatchIndex: i, ClientMsgID: cmid, OpenIDs: strings.Join(chunk, "\n"),
				OpenIDCount: len(chunk), State: StateQueued}
			if err := db.Create(&b).Error; err != nil {
				return err
			}
		}
		now := p.now()
		for _, c := range reserve {
			for range c.Count {
				id := row.ID
				if err := db.Create(&quotaCallRow{Day: beijingDay(now), Endpoint: c.Endpoint, SendID: &id, Reserved: true, At: now}).Error; err != nil {
					return err
				}
			}
		}
		return p.addHistory(ctx, row.ID, row.OperatorID, HistoryCreated, detail)
	})
	return row.ID, err
}

func (p sqlPipeline) DueSends(ctx context.Context, now time.Time) ([]uint, error) {
	var ids []uint
	err := p.db(ctx).Model(&sendRow{}).
		Where("state IN ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
			[]SendState{StateQueued, StateUploading, StateSubmitting}, now).
		Order("id").Pluck("id", &ids).Error
	return ids, err
}

// StillDue reports whether the send is still among DueSends (checked again once claimed).
func (p sqlPipeline) StillDue(ctx context.Context, id uint, now time.Time) (bool, error) {
	var n int64
	err := p.db(ctx).Model(&sendRow{}).
		Where("id = ? AND state IN ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
			id, []SendState{StateQueued, StateUploading, StateSubmitting}, now).Count(&n).Error
	return n > 0, err
}

func (p sqlPipeline) LoadSend(ctx context.Context, id uint) (sendRow, error) {
	var send sendRow
	err := p.db(ctx).Take(&send, id).Error
	return send, notFound(err)
}

func (p sqlPipeline) Batches(ctx context.Context, sendID uint) ([]batchRow, error) {
	var batches []batchRow
	err := p.db(ctx).Where("send_id = ?", sendID).Order("batch_index").Find(&batches).Error
	return batches, err
}

func (p sqlPipeline) Thumb(ctx context.Context, id uint, withData bool) (thumbRow, error) {
	var t thumbRow
	q := p.db(ctx)
	if !withData {
		q = q.Select("id", "media_id", "media_uploaded_at", "material_id")
	}
	err := q.Take(&t, id).Error
	return t, notFound(err)
}

func (p sqlPipeline) LatestNews(ctx context.Context, hash, path string, since time.Time, skipHeld bool) (string, bool, error) {
	var rows []newsUploadRow
	q := p.db(ctx).Where("content_hash = ? AND path = ?", hash, path)
	if skipHeld {
		q = q.Where("media_id NOT IN (SELECT media_id FROM send_batches WHERE state = ? AND media_id <> '')", StateSubmitting)
	}
	if !since.IsZero() {
		q = q.Where("uploaded_at > ?", since)
	}
	if err := q.Order("uploaded_at DESC").Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return "", false, err
	}
	return rows[0].MediaID, true, nil
}

func (p sqlPipeline) HasNews(ctx context.Context, mediaID, path string, since time.Time) (bool, error) {
	var n int64
	q := p.db(ctx).Model(&newsUploadRow{}).Where("media_id = ? AND path = ?", mediaID, path)
	if !since.IsZero() {
		q = q.Where("uploaded_at > ?", since)
	}
	err := q.Count(&n).Error
	return n > 0, err
}

func (p sqlPipeline) DueReconcile(ctx context.Context, cutoff time.Time) ([]batchRow, error) {
	var batches []batchRow
	err := p.db(ctx).Where("state = ? AND msg_id <> 0 AND submitted_at <= ? AND (checked_at IS NULL OR checked_at <= ?)",
		StateSubmitted, cutoff, cutoff).Order("id").Find(&batches).Error
	return batches, err
}

// UseQuota records that a call is being made now: it turns one of the send's reservations for
// that endpoint into a call (moved to today, should the send run on a later day), or adds a call
// row when none is left (a retry, a re-upload). sendID 0 means a call outside a send.
func (p sqlPipeline) UseQuota(ctx context.Context, sendID uint, endpoint string) error {
	now := p.now()
	db := p.db(ctx)
	if sendID != 0 {
		var r []quotaCallRow
		if err := db.Where("send_id = ? AND endpoint = ? AND reserved = ?", sendID, endpoint, true).
			Order("id").Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if len(r) == 1 {
			return db.Model(&r[0]).Select("reserved", "day", "at").
				Updates(quotaCallRow{Reserved: false, Day: beijingDay(now), At: now}).Error
		}
	}
	row := quotaCallRow{Day: beijingDay(now), Endpoint: endpoint, At: now}
	if sendID != 0 {
		id := sendID
		row.SendID = &id
	}
	return db.Create(&row).Error
}

func (p sqlPipeline) ReturnQuota(ctx context.Context, sendID uint, endpoint string) error {
	return p.db(ctx).Exec(`UPDATE quota_calls SET reserved = ? WHERE id = (SELECT id FROM quota_calls
		WHERE send_id = ? AND endpoint = ? AND reserved = ? ORDER BY id DESC LIMIT 1)`, true, sendID, endpoint, false).Error
}

func (p sqlPipeline) releaseQuota(ctx context.Context, sendID uint) error {
	return p.db(ctx).Where("send_id = ? AND reserved = ?", sendID, true).Delete(&quotaCallRow{}).Error
}

func (p sqlPipeline) addHistory(ctx context.Context, sendID, operatorID uint, action, detail string) error {
	return p.db(ctx).Create(&historyRow{SendID: sendID, At: p.now(), OperatorID: operatorID, Action: action, Detail: detail}).Error
}

func (p sqlPipeline) SaveCoverMedia(ctx context.Context, thumbID uint, mediaID string, at time.Time) error {
	return p.db(ctx).Model(&thumbRow{ID: thumbID}).Select("media_id", "media_uploaded_at").
		Updates(thumbRow{MediaID: mediaID, MediaUploadedAt: &at}).Error
}

func (p sqlPipeline) SaveCoverMaterial(ctx context.Context, thumbID uint, materialID string) error {
	return p.db(ctx).Model(&thumbRow{ID: thumbID}).Update("material_id", materialID).Error
}

func (p sqlPipeline) SaveNews(ctx context.Context, draftID uint, hash, mediaID, path string, at time.Time) error {
	return p.db(ctx).Create(&newsUploadRow{DraftID: draftID, ContentHash: hash, MediaID: mediaID, UploadedAt: at, Path: path}).Error
}

func (p sqlPipeline) SetSendMedia(ctx context.Context, sendID uint, mediaID string) error {
	return p.db(ctx).Model(&sendRow{ID: sendID}).Update("media_id", mediaID).Error
}

func (p sqlPipeline) ForgetNews(ctx context.Context, mediaIDs ...string) error {
	var ids []string
	for _, id := range mediaIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return p.db(ctx).Where("media_id IN ?", ids).Delete(&newsUploadRow{}).Error
}

func (p sqlPipeline) ForgetCovers(ctx context.Context, thumbIDs []uint, material bool) error {
	if len(thumbIDs) == 0 {
		return nil
	}
	q := p.db(ctx).Model(&thumbRow{}).Where("id IN ?", thumbIDs)
	if material {
		return q.Update("material_id", "").Error
	}
	return q.Select("media_id", "media_uploaded_at").Updates(thumbRow{}).Error
}

func (p sqlPipeline) SetSendState(ctx context.Context, sendID uint, st SendState) error {
	return p.db(ctx).Model(&sendRow{ID: sendID}).Update("state", st).Error
}

// MarkSubmitting commits the intent (the quota call, the batch's media id and first call time)
// before the mass call is made.
func (p sqlPipeline) MarkSubmitting(ctx context.Context, sendID, batchID uint, mediaID, endpoint string) error {
	return p.st.inTx(ctx, func(ctx context.Context) error {
		if err := p.UseQuota(ctx, sendID, endpoint); err != nil {
			return err
		}
		return p.db(ctx).Model(&batchRow{ID: batchID}).Updates(map[string]any{"state": StateSubmitting, "media_id": mediaID,
			"called_at": gorm.Expr("COALESCE(called_at, ?)", p.now())}).Error
	})
}

func (p sqlPipeline) CommitMsgID(ctx context.Context, sendID, batchID uint, res MassResult, consumed string) error {
	now := p.now()
	return p.st.inTx(ctx, func(ctx context.Context) error {
		db := p.db(ctx)
		// The ledger counts a batch once: only the commit that first gives it a msg_id records
		// its recipients (same transaction, so a crash keeps both or neither).
		var prior []int64
		if err := db.Model(&batchRow{}).Where("id = ?", batchID).Pluck("msg_id", &prior).Error; err != nil {
			return err
		}
		if len(prior) == 1 && prior[0] == 0 {
			if err := p.startLedger(ctx, sendID, batchID); err != nil {
				return err
			}
		}
		if err := db.Model(&batchRow{ID: batchID}).
			Select("state", "msg_id", "msg_data_id", "submitted_at", "errcode", "errmsg").
			Updates(batchRow{State: StateSubmitted, MsgID: res.MsgID, MsgDataID: res.MsgDataID, SubmittedAt: &now}).Error; err != nil {
			return err
		}
		// Each batch has its own retries: earlier batches' failures do not count against it.
		if err := db.Model(&sendRow{ID: sendID}).Select("attempts", "next_attempt_at").Updates(sendRow{}).Error; err != nil {
			return err
		}
		if consumed != "" {
			// The draft has left WeChat's draft box: nothing may name it again.
			if err := p.ForgetNews(ctx, consumed); err != nil {
				return err
			}
			if err := db.Model(&sendRow{}).Where("id = ? AND media_id = ?", sendID, consumed).Update("media_id", "").Error; err != nil {
				return err
			}
		}
		// A push can beat our commit: apply one stored for this msg_id already.
		ev, ok, err := p.StoredJobEvent(ctx, res.MsgID)
		if err != nil || !ok {
			return err
		}
		return p.FinishBatch(ctx, res.MsgID, ev.jobFinished(), true)
	})
}

func (p sqlPipeline) RequeueRefused(ctx context.Context, sendID uint) ([]string, error) {
	var held []string
	err := p.st.inTx(ctx, func(ctx context.Context) error {
		db := p.db(ctx)
		if err := db.Model(&batchRow{}).Where("send_id = ? AND state = ? AND media_id <> ''", sendID, StateSubmitting).
			Pluck("media_id", &held).Error; err != nil {
			return err
		}
		return db.Model(&batchRow{}).Where("send_id = ? AND state = ?", sendID, StateSubmitting).
			Updates(map[string]any{"state": StateQueued, "media_id": ""}).Error
	})
	return held, err
}

func (p sqlPipeline) MarkSubmitted(ctx context.Context, sendID uint, detail string) error {
	now := p.now()
	return p.st.inTx(ctx, func(ctx context.Context) error {
		if err := p.db(ctx).Model(&sendRow{ID: sendID}).
			Select("state", "submitted_at", "attempts", "next_attempt_at", "errcode", "errmsg").
			Updates(sendRow{State: StateSubmitted, SubmittedAt: &now}).Error; err != nil {
			return err
		}
		if err := p.releaseQuota(ctx, sendID); err != nil { // e.g. a thumb another send uploaded first
			return err
		}
		if err := p.addHistory(ctx, sendID, 0, HistorySubmitted, detail); err != nil {
			return err
		}
		return p.settleSend(ctx, sendID)
	})
}

func (p sqlPipeline) ScheduleRetry(ctx context.Context, sendID uint, attempts int, next time.Time, code int, msg string) error {
	return p.st.inTx(ctx, func(ctx context.Context) error {
		if err := p.db(ctx).Model(&sendRow{ID: sendID}).Select("attempts", "next_attempt_at", "errcode", "errmsg").
			Updates(sendRow{Attempts: attempts, NextAttemptAt: &next, Errcode: code, Errmsg: msg}).Error; err != nil {
			return err
		}
		// One line for a run of retries for the same reason (a WeChat outage retried every
		// minute would otherwise add a line a minute): the last line is extended, keeping its time.
		var last historyRow
		err := p.db(ctx).Where("send_id = ?", sendID).Order("id DESC").Limit(1).Take(&last).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err == nil && last.Action == HistoryRetrying {
			if detail, ok := extendRetryDetail(last.Detail, msg); ok {
				return p.db(ctx).Model(&historyRow{ID: last.ID}).Update("detail", detail).Error
			}
		}
		return p.addHistory(ctx, sendID, 0, HistoryRetrying, retryDetail(attempts, msg))
	})
}

func (p sqlPipeline) FailSend(ctx context.Context, sendID, batchID uint, code int, msg string) error {
	return p.st.inTx(ctx, func(ctx context.Context) error {
		db := p.db(ctx)
		if batchID != 0 {
			if err := db.Model(&batchRow{ID: batchID}).Select("state", "errcode", "errmsg").
				Updates(batchRow{State: StateFailed, Errcode: code, Errmsg: msg}).Error; err != nil {
				return err
			}
		}
		if err := db.Model(&batchRow{}).Where("send_id = ? AND state = ?", sendID, StateQueued).
			Updates(map[string]any{"state": StateFailed, "errmsg": BatchNotSent}).Error; err != nil {
			return err
		}
		if err := db.Model(&sendRow{ID: sendID}).Select("state", "errcode", "errmsg", "next_attempt_at").
			Updates(sendRow{State: StateFailed, Errcode: code, Errmsg: msg}).Error; err != nil {
			return err
		}
		if err := p.releaseQuota(ctx, sendID); err != nil {
			return err
		}
		return p.addHistory(ctx, sendID, 0, HistoryFailed, failDetail(code, msg))
	})
}

func (p sqlPipeline) RecordJobEvent(ctx context.Context, row callbackEventRow) (bool, error) {
	// Plain SQL: every MASSSENDJOBFINISH comes this way, and the ORM's reflection cost more than
	// the insert itself.
	res := p.db(ctx).Exec(`INSERT INTO callback_events (msg_id, event, from_user, create_time, status, total_count,
		filter_count, sent_count, error_count, raw, received_at, article_urls, copyright_state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		row.MsgID, row.Event, row.FromUser, row.CreateTime, row.Status, row.TotalCount, row.FilterCount, row.SentCount,
		row.ErrorCount, row.Raw, row.ReceivedAt, row.ArticleURLs, row.CopyrightState)
	return res.Error == nil && res.RowsAffected == 0, res.Error
}

func (p sqlPipeline) StoredJobEvent(ctx context.Context, msgID int64) (callbackEventRow, bool, error) {
	if msgID == 0 {
		return callbackEventRow{}, false, nil
	}
	var rows []callbackEventRow
	if err := p.db(ctx).Where("event = ? AND msg_id = ?", EventMassSendJobFinish, msgID).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return callbackEventRow{}, false, err
	}
	return rows[0], true, nil
}

// FinishBatch records a job's outcome on its batch (withFigures=false, from mass/get, keeps the
// counts) and settles its send.
func (p sqlPipeline) FinishBatch(ctx context.Context, msgID int64, ev JobFinished, withFigures bool) error {
	if msgID == 0 {
		return nil
	}
	return p.st.inTx(ctx, func(ctx context.Context) error {
		var batches []batchRow
		// The OpenID list (up to 10 000 lines a batch) is not read: a push carries no use for it.
		if err := p.db(ctx).Select("id", "send_id", "state").Where("msg_id = ?", msgID).Find(&batches).Error; err != nil {
			return err
		}
		for _, b := range batches {
			upd := map[string]any{"status": ev.Status}
			if withFigures {
				upd["total_count"], upd["filter_count"], upd["sent_count"], upd["error_count"] = ev.Total, ev.Filter, ev.Sent, ev.Error
				upd["article_urls"], upd["copyright_state"] = joinURLs(ev.ArticleURLs), ev.CopyrightState
			}
			if b.State == StateSubmitted || b.State == StateSubmitting {
				upd["state"] = StateFinished
				upd["finished_at"] = p.now()
			}
			if err := p.db(ctx).Model(&batchRow{ID: b.ID}).Updates(upd).Error; err != nil {
				return err
			}
			if err := p.settleSend(ctx, b.SendID); err != nil {
				return err
			}
		}
		return nil
	})
}

// settleSend recomputes a send's figures from its batches and marks it finished once every batch
// has finished.
func (p sqlPipeline) settleSend(ctx context.Context, sendID uint) error {
	db := p.db(ctx)
	var send sendRow
	if err := db.Select("id", "state").Take(&send, sendID).Error; err != nil {
		return notFound(err)
	}
	// Only what is summed: neither the article snapshot nor the OpenID lists, which a split list
	// of 100 000 would make megabytes read on every push.
	var batches []batchRow
	if err := db.Select("state", "status", "total_count", "filter_count", "sent_count", "error_count").
		Where("send_id = ?", sendID).Order("batch_index").Find(&batches).Error; err != nil {
		return err
	}
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
		if b.State != StateFinished {
			allFinished = false
		}
	}
	if failing != "" {
		status = failing
	}
	upd := map[string]any{"total_count": total, "filter_count": filter, "sent_count": sent, "error_count": errs, "status": status}
	finishing := allFinished && send.State == StateSubmitted
	if finishing {
		upd["state"] = StateFinished
		upd["finished_at"] = p.now()
	}
	if err := db.Model(&sendRow{ID: sendID}).Updates(upd).Error; err != nil {
		return err
	}
	if finishing {
		return p.addHistory(ctx, sendID, 0, HistoryFinished, status)
	}
	return nil
}

func (p sqlPipeline) MarkChecked(ctx context.Context, batchID uint) error {
	return p.db(ctx).Model(&batchRow{ID: batchID}).Update("checked_at", p.now()).Error
}

func (p sqlPipeline) SharingArticle(ctx context.Context, sendID uint) ([]sendRow, error) {
	var rows []sendRow
	err := p.db(ctx).Omit("articles_json").
		Where(`id <> ? AND state <> ? AND article_removed_by = 0 AND id IN (
			SELECT send_id FROM send_batches WHERE msg_id <> 0 AND media_id <> '' AND media_id IN (
				SELECT media_id FROM send_batches WHERE send_id = ? AND msg_id <> 0 AND media_id <> ''))`,
			sendID, StateDeleted, sendID).
		Order("id").Find(&rows).Error
	return rows, err
}

func (p sqlPipeline) MarkBatchDeleted(ctx context.Context, batchID uint) error {
	now := p.now()
	return p.db(ctx).Model(&batchRow{ID: batchID}).Select("state", "deleted_at").
		Updates(batchRow{State: StateDeleted, DeletedAt: &now}).Error
}

func (p sqlPipeline) DeleteFailed(ctx context.Context, sendID, operatorID uint, detail string) error {
	return p.addHistory(ctx, sendID, operatorID, HistoryDeleteFailed, detail)
}

func (p sqlPipeline) MarkDeleted(ctx context.Context, sendID, operatorID uint, detail string, removed []uint) error {
	now := p.now()
	return p.st.inTx(ctx, func(ctx context.Context) error {
		if err := p.db(ctx).Model(&sendRow{ID: sendID}).Select("state", "deleted_at").
			Updates(sendRow{State: StateDeleted, DeletedAt: &now}).Error; err != nil {
			return err
		}
		if err := p.addHistory(ctx, sendID, operatorID, HistoryDeleted, detail); err != nil {
			return err
		}
		for _, id := range removed {
			if err := p.db(ctx).Model(&sendRow{ID: id}).Update("article_removed_by", sendID).Error; err != nil {
				return err
			}
			if err := p.addHistory(ctx, id, operatorID, HistoryArticleRemoved, fmt.Sprintf("#%d", sendID)); err != nil {
				return err
			}
		}
		return nil
	})
}
