package models

import (
	"context"
	"time"
)

// TargetKind is who a send goes to.
type TargetKind string

const (
	TargetAll     TargetKind = "all"
	TargetGroup   TargetKind = "group"
	TargetOpenIDs TargetKind = "openids"
)

// SendState is where a send (or one of its batches) is in the pipeline. This table is the send's
// state machine, the one place it is written down; every move is a named write of the pipeline's
// store (pipeline_store.go) or of DeleteSend.
//
//	state       what it means                       moves out to, on what                               by
//	awaiting_   committed by StartSend like queued   queued: another admin approves (ApproveSend; the     admin
//	approval    (batches, clientmsgids, quota        quota reservation is checked again, for today)
//	            reserved), but four-eyes holds it:   rejected: an admin rejects, or the requester        admin,
//	            the worker does not take it          withdraws (RejectSend; reservation released)         requester
//	            (approval.go)
//	rejected    final; never called
//	queued      committed by StartSend (quota        uploading: the worker's first pass takes it          worker
//	            reserved, batches with clientmsgids)
//	uploading   covers and news being uploaded       submitting: the first batch's intent (MarkSubmitting) worker
//	                                                 failed: a permanent error, or retries used up        worker
//	submitting  batches being called, one by one     submitted: every batch has its msg_id               worker
//	                                                 failed: as above; or a batch left unanswered past    worker
//	                                                 the 24 h clientmsgid window ("outcome unknown")
//	submitted   WeChat took every batch              finished: every batch reported (MASSSENDJOBFINISH   callback,
//	                                                 push, or mass/get for a push that never came)        reconciliation
//	finished    WeChat reported every batch          deleted: message/mass/delete of every batch          operator
//	failed      will not be tried again              deleted: only its delivered batches are deleted      operator
//	deleted     final
//
// A batch moves queued → submitting (MarkSubmitting, committed before the call) → submitted
// (CommitMsgID) → finished (FinishBatch) → deleted (operator); submitting goes back to queued
// after a 40007 (RequeueRefused: WeChat took nothing), and queued or submitting to failed
// (FailSend). A retry (ScheduleRetry) keeps the state and sets the time of the next attempt.
// A send whose article another send's delete removed keeps its state but carries
// ArticleRemovedBy (see DeleteSend).
//
// A scheduled send (定时群发) is not a send until it fires: it waits in schedules as
// scheduled → firing → fired (linked to the send it made, which starts here as queued) / failed
// (the plan refused it then: the reason) / cancelled / missed (due while Qunfa was down); its
// own table of moves is in schedule.go.
type SendState string

const (
	StateQueued     SendState = "queued"
	StateUploading  SendState = "uploading"
	StateSubmitting SendState = "submitting"
	StateSubmitted  SendState = "submitted"
	StateFinished   SendState = "finished"
	StateFailed     SendState = "failed"
	StateDeleted    SendState = "deleted"
)

// History action keys (UI catalogue keys).
const (
	HistoryCreated      = "history.created"
	HistorySubmitted    = "history.submitted"
	HistoryFinished     = "history.finished"
	HistoryFailed       = "history.failed"
	HistoryRetrying     = "history.retrying"
	HistoryDeleted      = "history.deleted"
	HistoryDeleteFailed = "history.delete_failed"
	// HistoryArticleRemoved: another send's delete removed this send's article (detail "#N").
	HistoryArticleRemoved = "history.article_removed"
)

// Send is one mass send as the operator sees it: one draft to one target, in one or more batches.
type Send struct {
	ID          uint
	DraftID     uint
	Title       string
	Target      TargetKind
	GroupID     int64
	GroupName   string
	ByTag       bool // GroupID is a tag (today's API), not a 2014 group
	Recipients  int
	State       SendState
	Errcode     int
	Errmsg      string
	OperatorID  uint
	CreatedAt   time.Time
	SubmittedAt *time.Time
	FinishedAt  *time.Time
	DeletedAt   *time.Time
	Status      string // WeChat Status of the first failing batch, else the last reported one
	Total       int
	Filter      int
	Sent        int
	Error       int
	Batches     []Batch
	History     []HistoryEntry
	// ArticleRemovedBy is the send whose delete at WeChat removed this send's article page too
	// (they shared one news media id); 0 when not. The page never shows such a send as live.
	ArticleRemovedBy uint
	// CatchUpOf is the send this one is a catch-up (补发) of; 0 when not one (catchup.go).
	CatchUpOf uint
}

// AwaitingWeChat reports whether some batch is still on its way or has not
// been reported finished: the page keeps listening while this is true.
func (s Send) AwaitingWeChat() bool {
	if s.State == StateDeleted || s.State == StateAwaitingApproval || s.State == StateRejected {
		return false
	}
	for _, b := range s.Batches {
		if awaiting(b.State) {
			return true
		}
	}
	return s.State != StateFinished && s.State != StateFailed
}

// Deletable reports whether DeleteSend would go ahead: the send is finished,
// or failed with WeChat done with every batch it took (a failed send that
// reached nobody is only marked deleted; no WeChat call is made for it).
func (s Send) Deletable() bool {
	if s.State != StateFinished && s.State != StateFailed {
		return false
	}
	for _, b := range s.Batches {
		if awaiting(b.State) {
			return false
		}
	}
	return true
}

// DeleteCalls is how many message/mass/delete calls DeleteSend would make:
// one per delivered batch not yet deleted. Each counts against the quota.
func (s Send) DeleteCalls() int {
	n := 0
	for _, b := range s.Batches {
		if b.MsgID != 0 && b.State == StateFinished {
			n++
		}
	}
	return n
}

func awaiting(st SendState) bool {
	return st == StateQueued || st == StateSubmitting || st == StateSubmitted
}

// Batch is one sendall/send call of a send.
type Batch struct {
	ID          uint
	Index       int
	ClientMsgID string
	OpenIDCount int
	State       SendState
	MsgID       int64
	MsgDataID   int64
	Errcode     int
	Errmsg      string
	Status      string
	Total       int
	Filter      int
	Sent        int
	Error       int
	// From the callback: each sent article's permanent URL (article order)
	// and the copyright check's CheckState (0 when not reported).
	ArticleURLs    []string
	CopyrightState int
}

// HistoryEntry is one recorded event in a send's life.
type HistoryEntry struct {
	At         time.Time
	OperatorID uint
	Action     string // catalogue key, e.g. "history.deleted"
	Detail     string
}

// batchColumns are the batch columns the views need (not the OpenID list itself).
var batchColumns = []string{"id", "send_id", "batch_index", "client_msg_id", "open_id_count", "state", "msg_id",
	"msg_data_id", "errcode", "errmsg", "status", "total_count", "filter_count", "sent_count", "error_count",
	"article_urls", "copyright_state"}

// ListSends returns the newest page of sends (HistoryPageSize of them), newest first, with their
// batches (for the msg_ids) but not their history. HistoryPage pages further (sends_page.go).
func (s *Service) ListSends(ctx context.Context) ([]Send, error) {
	p, err := s.HistoryPage(ctx, HistoryCursor{})
	return p.Sends, err
}

// Send returns one send with its batches and history.
func (s *Service) Send(ctx context.Context, id uint) (_ Send, err error) {
	defer wrap(&err, "send %d", id)
	db := s.store.db(ctx)
	var row sendRow
	if err := db.Omit("articles_json").Take(&row, id).Error; err != nil {
		return Send{}, notFound(err)
	}
	out := row.send()
	var batches []batchRow
	if err := db.Select(batchColumns).Where("send_id = ?", id).Order("batch_index").Find(&batches).Error; err != nil {
		return Send{}, err
	}
	for _, b := range batches {
		out.Batches = append(out.Batches, b.batch())
	}
	var hist []historyRow
	if err := db.Where("send_id = ?", id).Order("at, id").Find(&hist).Error; err != nil {
		return Send{}, err
	}
	for _, h := range hist {
		out.History = append(out.History, HistoryEntry{At: h.At, OperatorID: h.OperatorID, Action: h.Action, Detail: h.Detail})
	}
	return out, nil
}

func (r sendRow) send() Send {
	return Send{
		ID: r.ID, DraftID: r.DraftID, Title: r.Title, Target: TargetKind(r.Target), GroupID: r.GroupID,
		GroupName: r.GroupName, Recipients: r.Recipients, State: SendState(r.State), Errcode: r.Errcode,
		Errmsg: r.Errmsg, OperatorID: r.OperatorID, CreatedAt: r.CreatedAt, SubmittedAt: r.SubmittedAt,
		FinishedAt: r.FinishedAt, DeletedAt: r.DeletedAt, Status: r.Status, Total: r.TotalCount,
		Filter: r.FilterCount, Sent: r.SentCount, Error: r.ErrorCount, ByTag: r.Audience == AudienceTags,
		ArticleRemovedBy: r.ArticleRemovedBy, CatchUpOf: r.CatchUpOf,
	}
}

func (b batchRow) batch() Batch {
	return Batch{
		ID: b.ID, Index: b.BatchIndex, ClientMsgID: b.ClientMsgID, OpenIDCount: b.OpenIDCount,
		State: SendState(b.State), MsgID: b.MsgID, MsgDataID: b.MsgDataID, Errcode: b.Errcode, Errmsg: b.Errmsg,
		Status: b.Status, Total: b.TotalCount, Filter: b.FilterCount, Sent: b.SentCount, Error: b.ErrorCount,
		ArticleURLs: splitURLs(b.ArticleURLs), CopyrightState: b.CopyrightState,
	}
}
