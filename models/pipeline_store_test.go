package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingPipe is the pipeline's store with every checkpoint write recorded, in order, before
// it is made (listmonk's pipe test does the same with its Store).
type recordingPipe struct {
	pipelineStore
	mu  sync.Mutex
	log []string
}

func (r *recordingPipe) rec(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf(format, args...))
}

func (r *recordingPipe) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

func (r *recordingPipe) UseQuota(ctx context.Context, sendID uint, endpoint string) error {
	r.rec("UseQuota %s", endpoint)
	return r.pipelineStore.UseQuota(ctx, sendID, endpoint)
}
func (r *recordingPipe) SaveCoverMedia(ctx context.Context, thumbID uint, mediaID string, at time.Time) error {
	r.rec("SaveCoverMedia %s", mediaID)
	return r.pipelineStore.SaveCoverMedia(ctx, thumbID, mediaID, at)
}
func (r *recordingPipe) SaveCoverMaterial(ctx context.Context, thumbID uint, materialID string) error {
	r.rec("SaveCoverMaterial %s", materialID)
	return r.pipelineStore.SaveCoverMaterial(ctx, thumbID, materialID)
}
func (r *recordingPipe) SaveNews(ctx context.Context, draftID uint, hash, mediaID, path string, at time.Time) error {
	r.rec("SaveNews %s", mediaID)
	return r.pipelineStore.SaveNews(ctx, draftID, hash, mediaID, path, at)
}
func (r *recordingPipe) SetSendMedia(ctx context.Context, sendID uint, mediaID string) error {
	r.rec("SetSendMedia %q", mediaID)
	return r.pipelineStore.SetSendMedia(ctx, sendID, mediaID)
}
func (r *recordingPipe) ForgetNews(ctx context.Context, mediaIDs ...string) error {
	r.rec("ForgetNews %s", strings.Join(mediaIDs, ","))
	return r.pipelineStore.ForgetNews(ctx, mediaIDs...)
}
func (r *recordingPipe) ForgetCovers(ctx context.Context, thumbIDs []uint, material bool) error {
	r.rec("ForgetCovers material=%v", material)
	return r.pipelineStore.ForgetCovers(ctx, thumbIDs, material)
}
func (r *recordingPipe) EnqueueSend(ctx context.Context, row sendRow, chunks [][]string, reserve []PlannedCall, detail string) (uint, error) {
	n := 0
	for _, c := range reserve {
		n += c.Count
	}
	r.rec("EnqueueSend %s batches=%d reserved=%d", row.State, len(chunks), n)
	return r.pipelineStore.EnqueueSend(ctx, row, chunks, reserve, detail)
}
func (r *recordingPipe) SetSendState(ctx context.Context, sendID uint, st SendState) error {
	r.rec("SetSendState %s", st)
	return r.pipelineStore.SetSendState(ctx, sendID, st)
}
func (r *recordingPipe) MarkSubmitting(ctx context.Context, sendID, batchID uint, mediaID, endpoint string) error {
	r.rec("MarkSubmitting %s %s", mediaID, endpoint)
	return r.pipelineStore.MarkSubmitting(ctx, sendID, batchID, mediaID, endpoint)
}
func (r *recordingPipe) CommitMsgID(ctx context.Context, sendID, batchID uint, res MassResult, consumed string) error {
	r.rec("CommitMsgID %d consumed=%q", res.MsgID, consumed)
	return r.pipelineStore.CommitMsgID(ctx, sendID, batchID, res, consumed)
}
func (r *recordingPipe) RequeueRefused(ctx context.Context, sendID uint) ([]string, error) {
	r.rec("RequeueRefused")
	return r.pipelineStore.RequeueRefused(ctx, sendID)
}
func (r *recordingPipe) MarkSubmitted(ctx context.Context, sendID uint, detail string) error {
	r.rec("MarkSubmitted %s", detail)
	return r.pipelineStore.MarkSubmitted(ctx, sendID, detail)
}
func (r *recordingPipe) ScheduleRetry(ctx context.Context, sendID uint, attempts int, next time.Time, code int, msg string) error {
	r.rec("ScheduleRetry #%d errcode %d", attempts, code)
	return r.pipelineStore.ScheduleRetry(ctx, sendID, attempts, next, code, msg)
}
func (r *recordingPipe) FailSend(ctx context.Context, sendID, batchID uint, code int, msg string) error {
	r.rec("FailSend errcode %d", code)
	return r.pipelineStore.FailSend(ctx, sendID, batchID, code, msg)
}
func (r *recordingPipe) RecordJobEvent(ctx context.Context, row callbackEventRow) (bool, error) {
	r.rec("RecordJobEvent %d", row.MsgID)
	return r.pipelineStore.RecordJobEvent(ctx, row)
}
func (r *recordingPipe) FinishBatch(ctx context.Context, msgID int64, ev JobFinished, withFigures bool) error {
	r.rec("FinishBatch %d %s", msgID, ev.Status)
	return r.pipelineStore.FinishBatch(ctx, msgID, ev, withFigures)
}
func (r *recordingPipe) MarkChecked(ctx context.Context, batchID uint) error {
	r.rec("MarkChecked")
	return r.pipelineStore.MarkChecked(ctx, batchID)
}

func recording(f *fixture) *recordingPipe {
	r := &recordingPipe{pipelineStore: f.svc.pipe}
	f.svc.pipe = r
	return r
}

func sameSteps(t *testing.T, name string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: checkpoints\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Every checkpoint the pipeline writes, in order, for the paths a send can take: each intent
// (MarkSubmitting, the quota of an upload) comes before the WeChat call it prepares.
func TestPipelineCheckpoints(t *testing.T) {
	ctx := context.Background()
	groupSend := func(f *fixture, d Draft, key string) Send {
		t.Helper()
		s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: key}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("one batch", func(t *testing.T) {
		f := newFixture(t)
		d := f.draft(t, 1)
		rec := recording(f)
		groupSend(f, d, "a")
		runOnce(t, f.svc)
		if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: 1001, Status: "send success", Total: 20, Sent: 20}); err != nil {
			t.Fatal(err)
		}
		sameSteps(t, "one batch", rec.take(), []string{
			"EnqueueSend queued batches=1 reserved=3",
			"SetSendState uploading",
			"UseQuota " + EndpointUploadThumb, "SaveCoverMedia thumb-media-1",
			"UseQuota " + EndpointUploadNews, "SaveNews news-media-2",
			`SetSendMedia "news-media-2"`,
			"SetSendState submitting",
			"MarkSubmitting news-media-2 " + EndpointSendAll,
			`CommitMsgID 1001 consumed=""`,
			"MarkSubmitted msg_id 1001",
			"RecordJobEvent 1001", "FinishBatch 1001 send success",
		})
	})

	t.Run("split OpenID list on the draft path", func(t *testing.T) {
		f, d := todaysFixture(t)
		rec := recording(f)
		f.start(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(10001), Key: "split"})
		runOnce(t, f.svc)
		sameSteps(t, "split", rec.take(), []string{
			"EnqueueSend queued batches=2 reserved=4", // two draft/add, two send; the material uncounted
			"SetSendState uploading",
			"SaveCoverMaterial material-1", // not counted: no UseQuota before it
			"UseQuota " + EndpointAddDraft, "SaveNews draft-media-2",
			`SetSendMedia "draft-media-2"`,
			"SetSendState submitting",
			"MarkSubmitting draft-media-2 " + EndpointSend,
			`CommitMsgID 1001 consumed="draft-media-2"`,
			"UseQuota " + EndpointAddDraft, "SaveNews draft-media-3",
			`SetSendMedia "draft-media-3"`,
			"MarkSubmitting draft-media-3 " + EndpointSend,
			`CommitMsgID 1002 consumed="draft-media-3"`,
			"MarkSubmitted msg_id 1001, 1002",
		})
	})

	t.Run("45065 re-call after a lost answer", func(t *testing.T) {
		f := newFixture(t)
		d := f.draft(t, 1)
		f.wx.failSend = []sendFailure{{err: errors.New("context deadline exceeded"), afterAccept: true}}
		groupSend(f, d, "lost")
		runOnce(t, f.svc)
		rec := recording(f)
		f.clock.Advance(time.Minute)
		runOnce(t, f.svc)
		sameSteps(t, "45065", rec.take(), []string{
			"MarkSubmitting news-media-2 " + EndpointSendAll, // the same media id and clientmsgid
			`CommitMsgID 1001 consumed=""`,                   // WeChat's 45065 names the job
			"MarkSubmitted msg_id 1001",
		})
	})

	t.Run("transient failure then success", func(t *testing.T) {
		f := newFixture(t)
		d := f.draft(t, 1)
		f.wx.failSend = []sendFailure{{err: &fakeAPIError{code: -1}}}
		rec := recording(f)
		groupSend(f, d, "busy")
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
		runOnce(t, f.svc)
		sameSteps(t, "transient", rec.take(), []string{
			"EnqueueSend queued batches=1 reserved=3",
			"SetSendState uploading",
			"UseQuota " + EndpointUploadThumb, "SaveCoverMedia thumb-media-1",
			"UseQuota " + EndpointUploadNews, "SaveNews news-media-2",
			`SetSendMedia "news-media-2"`,
			"SetSendState submitting",
			"MarkSubmitting news-media-2 " + EndpointSendAll,
			"ScheduleRetry #1 errcode -1",
			"MarkSubmitting news-media-2 " + EndpointSendAll,
			`CommitMsgID 1001 consumed=""`,
			"MarkSubmitted msg_id 1001",
		})
	})

	t.Run("40007 recovery", func(t *testing.T) {
		f := newFixture(t)
		d := f.draft(t, 1)
		groupSend(f, d, "first")
		runOnce(t, f.svc)
		f.wx.forgetAll() // a restarted WeChat: the uploads of the first send are unknown now
		rec := recording(f)
		groupSend(f, d, "second")
		runOnce(t, f.svc)
		sameSteps(t, "40007", rec.take(), []string{
			"EnqueueSend queued batches=1 reserved=1", // the first send's uploads are fresh: sendall only
			"SetSendState uploading",
			`SetSendMedia "news-media-2"`, // the first send's upload, fresh as far as we know
			"SetSendState submitting",
			"MarkSubmitting news-media-2 " + EndpointSendAll,
			"RequeueRefused", // 40007: WeChat took nothing
			"ForgetNews news-media-2,news-media-2",
			"ForgetCovers material=false",
			`SetSendMedia ""`,
			"UseQuota " + EndpointUploadThumb, "SaveCoverMedia thumb-media-3",
			"UseQuota " + EndpointUploadNews, "SaveNews news-media-4",
			`SetSendMedia "news-media-4"`,
			"MarkSubmitting news-media-4 " + EndpointSendAll,
			`CommitMsgID 1002 consumed=""`,
			"MarkSubmitted msg_id 1002",
		})
	})
}

// failingCommit is the pipeline store with a CommitMsgID that fails (a full disk, say).
type failingCommit struct{ pipelineStore }

func (failingCommit) CommitMsgID(context.Context, uint, uint, MassResult, string) error {
	return errors.New("disk full")
}

// Failures name where they happened: the send and the batch of a worker step, the send of a
// Service method; what callers match (ErrNotFound) still matches.
func TestErrorsNameTheirOperation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Send(ctx, 999); !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "send 999: ") {
		t.Errorf("Send(999) = %v", err)
	}
	if err := f.svc.DeleteSend(ctx, 999, 1); !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "delete send 999: ") {
		t.Errorf("DeleteSend(999) = %v", err)
	}
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.pipe = failingCommit{f.svc.pipe}
	err = f.svc.process(ctx, s.ID)
	if want := fmt.Sprintf("send %d: batch 0: disk full", s.ID); err == nil || err.Error() != want {
		t.Errorf("process = %v, want %q", err, want)
	}
}

// A run of retries for the same reason is one line of the send's history, counting them
// ("#0: … (×3)"), not a line a minute through a WeChat outage; another reason starts a new line.
func TestRetriesForOneReasonAreOneHistoryLine(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.draft(t, 1)
	down := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	busy := &fakeAPIError{code: -1}
	f.wx.failSend = []sendFailure{{err: down}, {err: down}, {err: down}, {err: busy}}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "outage"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		runOnce(t, f.svc)
		f.clock.Advance(10 * time.Minute)
	}
	got, err := f.svc.Send(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var retries []string
	for _, h := range got.History {
		if h.Action == HistoryRetrying {
			retries = append(retries, h.Detail)
		}
	}
	want := []string{"#0: " + redact(down.Error()) + " (×3)", "#1: " + busy.Error()}
	if !slices.Equal(retries, want) {
		t.Errorf("retry lines = %q, want %q", retries, want)
	}
	if got.State == StateFailed || got.State == StateSubmitting {
		t.Errorf("state after the retries = %s", got.State)
	}
}

func TestExtendRetryDetail(t *testing.T) {
	for _, c := range []struct {
		prev, msg, want string
		ok              bool
	}{
		{"#1: system busy", "system busy", "#1: system busy (×2)", true},
		{"#1: system busy (×5)", "system busy", "#1: system busy (×6)", true},
		{"#1: a (×2) b", "a (×2) b", "#1: a (×2) b (×2)", true},
		{"#1: system busy", "timeout", "", false},
		{"#1: system busy (×5)", "timeout", "", false},
		{"moved", "moved", "", false},
	} {
		got, ok := extendRetryDetail(c.prev, c.msg)
		if got != c.want || ok != c.ok {
			t.Errorf("extendRetryDetail(%q, %q) = %q, %v", c.prev, c.msg, got, ok)
		}
	}
}
