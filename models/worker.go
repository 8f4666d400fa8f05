package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"qunfa/wechat/protocol"
	"strconv"
	"strings"
	"time"
)

// RunOnce makes one synchronous pass of the worker: every due send is carried as far as it can go,
// then submitted batches without a callback are reconciled. Tests call it instead of sleeping.
func (s *Service) RunOnce(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	// Scheduled sends due now become sends first, so this pass carries them on.
	if err := s.FireDueSchedules(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("scheduled sends", "err", redact(err.Error()))
	}
	ids, err := s.pipe.DueSends(ctx, s.now())
	if err != nil {
		return fmt.Errorf("worker: due sends: %w", err)
	}
	for _, id := range ids {
		if err := s.processClaimed(ctx, id); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Error("send processing failed", "send_id", id, "err", redact(err.Error()))
		}
	}
	// Who the batches just taken were addressed to (ledger.go); after a restart, what was left.
	if err := s.recordLedger(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Error("recording the monthly ledger failed", "err", redact(err.Error()))
	}
	return s.reconcile(ctx)
}

// processClaimed carries a send this worker claims (another instance, or another service on
// this store, may be carrying it: then it is left alone) and that is still due once claimed
// (the other may have carried it between the listing and the claim).
func (s *Service) processClaimed(ctx context.Context, id uint) error {
	release, ok, err := s.store.claimSend(ctx, id)
	if err != nil || !ok {
		return err
	}
	defer release()
	if due, err := s.pipe.StillDue(ctx, id, s.now()); err != nil || !due {
		return err
	}
	return s.process(ctx, id)
}

// process carries one send through uploads and batch submission. Each step is committed before
// the next remote call; a crash at any point resumes from the last commit.
func (s *Service) process(ctx context.Context, id uint) (err error) {
	defer wrap(&err, "send %d", id)
	send, err := s.pipe.LoadSend(ctx, id)
	if err != nil {
		return err
	}
	arts, err := decodeSnapshot(send.ArticlesJSON)
	if err != nil {
		return s.failSend(ctx, &send, nil, 0, "corrupt article snapshot: "+err.Error())
	}
	if send.State == StateQueued {
		if err := s.setSendState(ctx, &send, StateUploading); err != nil {
			return err
		}
	}
	src := s.sourceFor(send.UploadPath)
	err = s.recover40007(ctx, fmt.Sprintf("send %d", id), func() error { return s.uploadAndSubmit(ctx, src, &send, arts) },
		func(stale staleMediaError) (bool, error) {
			return true, s.forgetMedia(ctx, src, &send, arts, stale.upload)
		})
	var stale staleMediaError
	if errors.As(err, &stale) {
		// WeChat forgot the fresh upload too: not something a third try fixes.
		return s.callFailed(ctx, &send, nil, stale.cause)
	}
	return err
}

// recover40007 is the one recovery from 40007 (WeChat no longer knows a media id: expired early,
// or issued by a WeChat — or sandbox — that has since forgotten it), for the worker and previews
// alike: try; on a 40007 forget what WeChat forgot, and try once more if forget allows. A send or
// a preview is never failed for a stale id that a fresh upload would fix. The last 40007 is
// returned as a staleMediaError.
func (s *Service) recover40007(ctx context.Context, what string, try func() error, forget func(staleMediaError) (retry bool, err error)) error {
	for recovered := false; ; recovered = true {
		err := try()
		var stale staleMediaError
		if !errors.As(err, &stale) {
			return err
		}
		retry, ferr := forget(stale)
		if ferr != nil {
			return ferr
		}
		if recovered || !retry {
			return err
		}
		s.log.Warn("WeChat no longer knows a media id; uploading again", "for", what, "err", redact(err.Error()))
	}
}

// OutcomeUnknown starts the errmsg of a batch whose last call got no answer (or that could no
// longer be called again safely): WeChat may or may not have sent it. The page asks the operator
// to check in the WeChat backend.
const OutcomeUnknown = "outcome unknown"

// BatchNotSent is the errmsg of a batch never called because an earlier step of its send failed
// (the page words it from the catalogue).
const BatchNotSent = "not sent: an earlier step failed"

// clientMsgIDSafeWindow is how long after its first call a batch may be called again with the
// same clientmsgid: WeChat de-duplicates for 24 h (protocol §3.1); an hour is kept in hand.
const clientMsgIDSafeWindow = 23 * time.Hour

// staleMediaError is a 40007; upload is set when it answered the uploads (the news call, which
// names the covers), not the mass send or the preview (which name the news media id).
type staleMediaError struct {
	cause  error
	upload bool
}

func (e staleMediaError) Error() string { return e.cause.Error() }
func (e staleMediaError) Unwrap() error { return e.cause }

// asStale turns a 40007 into a staleMediaError and leaves any other error as it is.
func asStale(err error, upload bool) error {
	if isStaleMedia(err) {
		return staleMediaError{cause: err, upload: upload}
	}
	return err
}

// uploadAndSubmit submits the batches still to go, uploading first what the next one needs. On
// the seed's path every batch takes the send's one uploadnews media id. On the draft path a mass
// send takes its draft out of the draft box, so each batch gets a draft of its own (the send's
// media id is cleared when a batch's msg_id is committed, and the next batch makes a new one).
func (s *Service) uploadAndSubmit(ctx context.Context, src newsSource, send *sendRow, arts []ArticleInput) error {
	batches, err := s.pipe.Batches(ctx, send.ID)
	if err != nil {
		return err
	}
	for i := range batches {
		b := &batches[i]
		if b.State != StateQueued && b.State != StateSubmitting {
			continue
		}
		// A batch left "submitting" (a crash, a timeout) is called again with the media id and
		// the clientmsgid it was called with: if the first call got through, WeChat answers
		// 45065 with its msg_id — even though, on the draft path, that call took the draft.
		// WeChat remembers a clientmsgid for 24 h only: past that a re-call could send twice,
		// so the batch is left for the operator to check instead.
		if b.State == StateSubmitting && b.CalledAt != nil && s.now().Sub(*b.CalledAt) >= clientMsgIDSafeWindow {
			return s.failSend(ctx, send, b, 0, OutcomeUnknown+": first called "+b.CalledAt.In(Beijing).Format("2006-01-02 15:04")+
				", too long ago to call again safely")
		}
		mediaID := b.MediaID
		if b.State != StateSubmitting || mediaID == "" {
			fresh := false
			if send.MediaID != "" {
				if fresh, err = src.stillFresh(ctx, send.MediaID); err != nil {
					return err
				}
			}
			if !fresh {
				id, err := s.uploadContent(ctx, src, uploadFor{sendID: send.ID, draftID: send.DraftID}, arts)
				if err != nil {
					if isStaleMedia(err) {
						return asStale(err, true)
					}
					return s.callFailed(ctx, send, nil, err)
				}
				if err := s.pipe.SetSendMedia(ctx, send.ID, id); err != nil {
					return err
				}
				send.MediaID = id
			}
			mediaID = send.MediaID
		}
		if send.State != StateSubmitting {
			if err := s.setSendState(ctx, send, StateSubmitting); err != nil {
				return err
			}
		}
		if err := s.submitBatch(ctx, src, send, b, mediaID); err != nil {
			return err
		}
		if b.State != StateSubmitted {
			return nil // failed or waiting for a retry
		}
	}
	return s.markSubmitted(ctx, send, batches)
}

// forgetMedia drops the media ids behind a 40007 (the source's forget), so the next upload makes
// fresh ones. Batches that were refused go back to the queue (40007 means WeChat did not take
// them), without their media id. upload: the 40007 answered the news upload, not a mass send.
func (s *Service) forgetMedia(ctx context.Context, src newsSource, send *sendRow, arts []ArticleInput, upload bool) error {
	return s.pipe.Tx(ctx, func(ctx context.Context) error {
		held, err := s.pipe.RequeueRefused(ctx, send.ID)
		if err != nil {
			return err
		}
		if err := src.forget(ctx, append(held, send.MediaID), distinctThumbs(arts), upload); err != nil {
			return err
		}
		if err := s.pipe.SetSendMedia(ctx, send.ID, ""); err != nil {
			return err
		}
		send.MediaID = ""
		return nil
	})
}

// uploadFor is what an upload serves: a send (sendID: its quota reservations are used and its
// log lines carry it) or a preview (sendID 0: each call is counted as it is made).
type uploadFor struct {
	sendID  uint
	draftID uint // recorded with the news upload
}

// uploadContent uploads the covers without a usable media id, then the news (unless a usable
// upload of this exact content exists), committing each media id as soon as WeChat returns it.
// Sends and previews share it, and so share what it uploaded: a preview's uploads serve the send
// after it, and the other way round.
func (s *Service) uploadContent(ctx context.Context, src newsSource, u uploadFor, arts []ArticleInput) (string, error) {
	s.uploadMu.Lock()
	defer s.uploadMu.Unlock()
	media := map[uint]string{}
	for _, tid := range distinctThumbs(arts) {
		t, err := s.pipe.Thumb(ctx, tid, true)
		if err != nil {
			return "", permanentError{fmt.Sprintf("thumb %d: %v", tid, err)}
		}
		id, ok := src.cover(t, s.now())
		if !ok {
			endpoint := ""
			if src.coverCounted() {
				endpoint = src.coverEndpoint()
			}
			err = s.call(ctx, u.sendID, endpoint, false, func(ctx context.Context) (err error) {
				id, err = src.uploadCover(ctx, t)
				return err
			})
			if err != nil {
				return "", err
			}
		}
		media[tid] = id
	}
	news := newsArticles(arts, media)
	// The hash is of the content as stored (with /images/N), as the plan computes it: an image's
	// uploadimg URL never changes once known, so the same content always makes the same news.
	hash := newsHash(news)
	if id, ok, err := src.freshNews(ctx, hash); err != nil || ok {
		return id, err
	}
	// Images inside the content go up first (media/uploadimg, no quota) and their URLs replace
	// /images/N in what WeChat receives; a failure here has not used the news call.
	if err := s.contentForWeChat(ctx, u.sendID, news); err != nil {
		return "", err
	}
	fillDigests(news, digestFillOf(src.path())) // WeChat's own, as the editor's preview showed it
	var mediaID string
	err := s.call(ctx, u.sendID, src.newsEndpoint(), false, func(ctx context.Context) (err error) {
		mediaID, err = src.uploadNews(ctx, news)
		return err
	})
	if err != nil {
		return "", err
	}
	return mediaID, s.pipe.SaveNews(ctx, u.draftID, hash, mediaID, src.path(), s.now())
}

// submitBatch commits "submitting" with the media id (and the quota call) before calling WeChat
// with the batch's clientmsgid, then commits the msg_id. A batch left in "submitting" by a crash
// or a timeout is called again with the same media id and clientmsgid; WeChat answers 45065 with
// the existing msg_id if the first call got through, which is taken as the answer. On the draft
// path the commit of the msg_id also records that the mass send took the draft: its news upload
// is forgotten and the send's media id cleared, so the next batch (or send) makes a new one.
func (s *Service) submitBatch(ctx context.Context, src newsSource, send *sendRow, b *batchRow, mediaID string) (err error) {
	defer wrap(&err, "batch %d", b.BatchIndex)
	endpoint := sendEndpoint(send.Target)
	if err := s.pipe.MarkSubmitting(ctx, send.ID, b.ID, mediaID, endpoint); err != nil {
		return err
	}
	b.State, b.MediaID = StateSubmitting, mediaID
	if b.CalledAt == nil {
		now := s.now()
		b.CalledAt = &now
	}

	var res MassResult
	err = s.call(ctx, send.ID, endpoint, true, func(ctx context.Context) (err error) {
		if send.Target == TargetOpenIDs {
			res, err = s.wx.SendToOpenIDs(ctx, strings.Split(b.OpenIDs, "\n"), mediaID, b.ClientMsgID)
		} else {
			res, err = s.wx.SendAll(ctx, MassFilter{ToAll: send.Target == TargetAll, ID: send.GroupID,
				ByTag: send.Audience == AudienceTags}, mediaID, b.ClientMsgID)
		}
		return err
	})
	if err != nil {
		if ae, ok := asAPIError(err); ok && ae.Errcode() == protocol.CodeClientMsgIDExist {
			// Already sent under this clientmsgid: keep the job WeChat already has.
			res = MassResult{MsgID: ae.ExistingMsgID()}
			if res.MsgID == 0 {
				return s.callFailed(ctx, send, b, err)
			}
			s.log.Info("batch already submitted (45065)", "send_id", send.ID, "batch", b.BatchIndex, "msg_id", res.MsgID)
		} else if isStaleMedia(err) {
			return asStale(err, false)
		} else {
			return s.callFailed(ctx, send, b, err)
		}
	}

	consumed := ""
	if src.consumedOnSend() {
		consumed = mediaID
	}
	// WeChat has answered: commit the msg_id even if shutdown began meanwhile.
	if err := s.pipe.CommitMsgID(context.WithoutCancel(ctx), send.ID, b.ID, res, consumed); err != nil {
		return err
	}
	if consumed != "" && send.MediaID == consumed {
		send.MediaID = ""
	}
	now := s.now()
	b.State, b.MsgID, b.MsgDataID, b.SubmittedAt = StateSubmitted, res.MsgID, res.MsgDataID, &now
	send.Attempts = 0
	s.log.Info("batch submitted", "send_id", send.ID, "batch", b.BatchIndex, "msg_id", res.MsgID)
	return nil
}

// markSubmitted closes the submission phase once every batch has a msg_id.
func (s *Service) markSubmitted(ctx context.Context, send *sendRow, batches []batchRow) error {
	ids := make([]string, 0, len(batches))
	for _, b := range batches {
		ids = append(ids, fmt.Sprint(b.MsgID))
	}
	if err := s.pipe.MarkSubmitted(ctx, send.ID, "msg_id "+strings.Join(ids, ", ")); err != nil {
		return err
	}
	send.State = StateSubmitted
	return nil
}

func (s *Service) setSendState(ctx context.Context, send *sendRow, st SendState) error {
	if err := s.pipe.SetSendState(ctx, send.ID, st); err != nil {
		return err
	}
	send.State = st
	return nil
}

// outageRetryGap is how often a send tries again while WeChat cannot be reached.
const outageRetryGap = time.Minute

// permanentError is a local failure that retrying cannot fix.
type permanentError struct{ msg string }

func (e permanentError) Error() string { return e.msg }

// callFailed decides between retrying later (transient: timeouts, -1 system busy …) and failing the
// send (an errcode that will not change). A cancelled ctx (shutdown) is neither: the next start resumes.
func (s *Service) callFailed(ctx context.Context, send *sendRow, b *batchRow, callErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	code, msg := 0, redact(callErr.Error())
	if ae, ok := asAPIError(callErr); ok {
		code = ae.Errcode()
	}
	var perm permanentError
	if errors.As(callErr, &perm) || !isTransient(callErr) {
		return s.failSend(ctx, send, b, code, msg)
	}
	if notConnected(callErr) && s.now().Sub(send.CreatedAt) < clientMsgIDSafeWindow {
		// WeChat could not be reached at all (an outage, a network down): it has nothing, so
		// the send waits for it instead of using up its attempts in a few minutes and failing.
		// It fails as before once the clientmsgid window since it was queued is gone.
		next := s.now().Add(max(s.rules.RetryBackoff, outageRetryGap))
		s.log.Warn("WeChat unreachable, will retry", "send_id", send.ID, "retry_at", next, "err", msg)
		return s.pipe.ScheduleRetry(ctx, send.ID, send.Attempts, next, code, msg)
	}
	attempts := send.Attempts + 1
	if attempts >= s.rules.MaxAttempts {
		if _, answered := asAPIError(callErr); b != nil && !answered {
			// The last call got no answer: WeChat may have taken the batch. Say so rather
			// than call it failed.
			msg = OutcomeUnknown + ": " + msg
		}
		return s.failSend(ctx, send, b, code, msg)
	}
	next := s.now().Add(s.rules.RetryBackoff << (attempts - 1))
	s.log.Warn("WeChat call failed, will retry", "send_id", send.ID, "attempt", attempts, "retry_at", next, "err", msg)
	if err := s.pipe.ScheduleRetry(ctx, send.ID, attempts, next, code, msg); err != nil {
		return err
	}
	send.Attempts = attempts
	return nil
}

func retryDetail(attempts int, msg string) string { return fmt.Sprintf("#%d: %s", attempts, msg) }

// extendRetryDetail counts one more retry into a retry line for the same msg: "#2: msg" becomes
// "#2: msg (×2)", then "(×3)" … (ok false when msg differs: a new line is due).
func extendRetryDetail(prev, msg string) (string, bool) {
	head, rest, found := strings.Cut(prev, ": ")
	if !found || !strings.HasPrefix(head, "#") {
		return "", false
	}
	n := 1
	if i := strings.LastIndex(rest, " (×"); i >= 0 && strings.HasSuffix(rest, ")") {
		if k, err := strconv.Atoi(rest[i+len(" (×") : len(rest)-1]); err == nil && rest[:i] == msg {
			rest, n = rest[:i], k
		}
	}
	if rest != msg {
		return "", false
	}
	return fmt.Sprintf("%s: %s (×%d)", head, msg, n+1), true
}
func failDetail(code int, msg string) string { return fmt.Sprintf("errcode %d: %s", code, msg) }

// failSend marks the send (and the failing batch, and batches never tried) failed and releases the
// quota it reserved for calls that will not be made.
func (s *Service) failSend(ctx context.Context, send *sendRow, b *batchRow, code int, msg string) error {
	s.log.Error("send failed", "send_id", send.ID, "errcode", code, "errmsg", msg)
	var batchID uint
	if b != nil {
		batchID = b.ID
	}
	if err := s.pipe.FailSend(ctx, send.ID, batchID, code, msg); err != nil {
		return err
	}
	if b != nil {
		b.State = StateFailed
	}
	send.State = StateFailed
	return nil
}

// reconcile asks mass/get about batches submitted a while ago whose callback never came
// (WeChat does not guarantee delivery). It learns the outcome, not the figures.
func (s *Service) reconcile(ctx context.Context) (err error) {
	defer wrap(&err, "reconcile")
	batches, err := s.pipe.DueReconcile(ctx, s.now().Add(-s.rules.ReconcileAfter))
	if err != nil {
		return err
	}
	for _, b := range batches {
		status, err := s.wx.MassStatus(ctx, b.MsgID)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			s.log.Warn("mass/get failed", "msg_id", b.MsgID, "err", redact(err.Error()))
		}
		var wxStatus string
		switch status {
		case "SEND_SUCCESS":
			wxStatus = "send success"
		case "SEND_FAIL":
			wxStatus = "send fail"
		case "DELETE":
			wxStatus = "delete"
		}
		err = s.pipe.Tx(ctx, func(ctx context.Context) error {
			if wxStatus != "" {
				if err := s.pipe.FinishBatch(ctx, b.MsgID, JobFinished{MsgID: b.MsgID, Status: wxStatus}, false); err != nil {
					return err
				}
			}
			return s.pipe.MarkChecked(ctx, b.ID)
		})
		if err != nil {
			return fmt.Errorf("msg_id %d: %w", b.MsgID, err)
		}
	}
	return nil
}

// wrap names the operation that failed in err (`send 12: batch 3: …`), so a log line says where it
// happened. Use it deferred: defer wrap(&err, "send %d", id). Errors callers match (ErrNotFound,
// APIError, context.Canceled) still match through the wrapping.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}

// decodeSnapshot reads a send's articles as StartSend froze them.
func decodeSnapshot(js string) ([]ArticleInput, error) {
	var arts []ArticleInput
	err := json.Unmarshal([]byte(js), &arts)
	return arts, err
}
