package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"qunfa/wechat/protocol"
	"strings"
	"time"

	"gorm.io/gorm"
)

// RunOnce makes one synchronous pass of the worker: every due send is carried as far as it can go,
// then submitted batches without a callback are reconciled. Tests call it instead of sleeping.
func (s *Service) RunOnce(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	var ids []uint
	err := s.store.db(ctx).Model(&sendRow{}).
		Where("state IN ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
			[]string{string(StateQueued), string(StateUploading), string(StateSubmitting)}, s.now()).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.process(ctx, id); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Error("send processing failed", "send_id", id, "err", redact(err.Error()))
		}
	}
	return s.reconcile(ctx)
}

// process carries one send through uploads and batch submission. Each step is committed before
// the next remote call; a crash at any point resumes from the last commit.
func (s *Service) process(ctx context.Context, id uint) error {
	var send sendRow
	if err := s.store.db(ctx).Take(&send, id).Error; err != nil {
		return notFound(err)
	}
	var arts []snapArticle
	if err := json.Unmarshal([]byte(send.ArticlesJSON), &arts); err != nil {
		return s.failSend(ctx, &send, nil, 0, "corrupt article snapshot: "+err.Error())
	}

	if send.State == string(StateQueued) {
		if err := s.setSendState(ctx, &send, StateUploading); err != nil {
			return err
		}
	}
	// One recovery from 40007 per pass: forget the media ids WeChat no longer
	// knows, upload again, and go on (a send is never failed for a stale id
	// that a fresh upload would fix).
	for recovered := false; ; recovered = true {
		err := s.uploadAndSubmit(ctx, &send, arts)
		var stale staleMediaError
		if !errors.As(err, &stale) {
			return err
		}
		if ferr := s.forgetMedia(ctx, &send, arts, stale.upload); ferr != nil {
			return ferr
		}
		if recovered {
			return s.callFailed(ctx, &send, nil, errors.Unwrap(err))
		}
		s.log.Warn("WeChat no longer knows a media id; uploading again", "send_id", send.ID, "err", redact(err.Error()))
	}
}

// OutcomeUnknown starts the errmsg of a batch whose last call got no answer (or that could no
// longer be called again safely): WeChat may or may not have sent it. The page asks the operator
// to check in the WeChat backend.
const OutcomeUnknown = "outcome unknown"

// clientMsgIDSafeWindow is how long after its first call a batch may be called again with the
// same clientmsgid: WeChat de-duplicates for 24 h (protocol §3.1); an hour is kept in hand.
const clientMsgIDSafeWindow = 23 * time.Hour

// errStaleMedia wraps a 40007 answer so process can upload again once.
var errStaleMedia = errors.New("stale media id")

// staleMediaError is a 40007; upload is set when it answered the uploads (the news call, which
// names the covers), not the mass send (which names the news media id).
type staleMediaError struct {
	cause  error
	upload bool
}

func (e staleMediaError) Error() string        { return "stale media id: " + e.cause.Error() }
func (e staleMediaError) Unwrap() error        { return e.cause }
func (e staleMediaError) Is(target error) bool { return target == errStaleMedia }

// uploadAndSubmit submits the batches still to go, uploading first what the next one needs. On
// the seed's path every batch takes the send's one uploadnews media id. On the draft path a mass
// send takes its draft out of the draft box, so each batch gets a draft of its own (the send's
// media id is cleared when a batch's msg_id is committed, and the next batch makes a new one).
func (s *Service) uploadAndSubmit(ctx context.Context, send *sendRow, arts []snapArticle) error {
	var batches []batchRow
	if err := s.store.db(ctx).Where("send_id = ?", send.ID).Order("batch_index").Find(&batches).Error; err != nil {
		return err
	}
	for i := range batches {
		b := &batches[i]
		if b.State != string(StateQueued) && b.State != string(StateSubmitting) {
			continue
		}
		// A batch left "submitting" (a crash, a timeout) is called again with the media id and
		// the clientmsgid it was called with: if the first call got through, WeChat answers
		// 45065 with its msg_id — even though, on the draft path, that call took the draft.
		// WeChat remembers a clientmsgid for 24 h only: past that a re-call could send twice,
		// so the batch is left for the operator to check instead.
		if b.State == string(StateSubmitting) && b.CalledAt != nil && s.now().Sub(*b.CalledAt) >= clientMsgIDSafeWindow {
			return s.failSend(ctx, send, b, 0, OutcomeUnknown+": first called "+b.CalledAt.In(Beijing).Format("2006-01-02 15:04")+
				", too long ago to call again safely")
		}
		mediaID := b.MediaID
		if b.State != string(StateSubmitting) || mediaID == "" {
			if send.MediaID == "" || !s.newsStillFresh(ctx, send.MediaID) {
				id, err := s.uploadContent(ctx, uploadFor{sendID: send.ID, draftID: send.DraftID, path: send.UploadPath}, arts)
				if err != nil {
					if isStaleMedia(err) {
						return staleMediaError{cause: err, upload: true}
					}
					return s.callFailed(ctx, send, nil, err)
				}
				send.MediaID = id
				if err := s.store.db(ctx).Model(send).Update("media_id", id).Error; err != nil {
					return err
				}
			}
			mediaID = send.MediaID
		}
		if send.State != string(StateSubmitting) {
			if err := s.setSendState(ctx, send, StateSubmitting); err != nil {
				return err
			}
		}
		if err := s.submitBatch(ctx, send, b, mediaID); err != nil {
			return err
		}
		if b.State != string(StateSubmitted) {
			return nil // failed or waiting for a retry
		}
	}
	return s.markSubmitted(ctx, send, batches)
}

// forgetMedia drops the media ids behind a 40007 (see forgetUploads), so the next upload makes
// fresh ones. Batches that were refused go back to the queue (40007 means WeChat did not take
// them), without their media id. upload: the 40007 answered the news upload, not a mass send.
func (s *Service) forgetMedia(ctx context.Context, send *sendRow, arts []snapArticle, upload bool) error {
	return s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		var held []string
		if err := db.Model(&batchRow{}).Where("send_id = ? AND state = ? AND media_id <> ''", send.ID, string(StateSubmitting)).
			Pluck("media_id", &held).Error; err != nil {
			return err
		}
		for _, id := range append(held, send.MediaID) {
			if err := s.forgetUploads(ctx, id, arts, send.UploadPath, upload); err != nil {
				return err
			}
		}
		if err := db.Model(&batchRow{}).Where("send_id = ? AND state = ?", send.ID, string(StateSubmitting)).
			Updates(map[string]any{"state": string(StateQueued), "media_id": ""}).Error; err != nil {
			return err
		}
		send.MediaID = ""
		return db.Model(send).Update("media_id", "").Error
	})
}

// forgetUploads drops a news media id WeChat answered 40007 for (none when mediaID is "") and the
// media ids of the covers the articles use, so the next upload makes fresh ones.
//
// On the seed's path a cover's temporary media id always goes: it may have expired early too.
// On the draft path a cover's permanent material id goes only when the 40007 answered the upload
// itself (upload set: draft/add names nothing but the covers, so one was deleted in the WeChat
// backend, say). A 40007 from a mass send or a preview names the draft alone — most often one a
// mass send already took — and the materials, which do not expire, stay: uploading them again
// would cost no quota but fill the material library with copies.
func (s *Service) forgetUploads(ctx context.Context, mediaID string, arts []snapArticle, uploadPath string, upload bool) error {
	db := s.store.db(ctx)
	if mediaID != "" {
		if err := db.Where("media_id = ?", mediaID).Delete(&newsUploadRow{}).Error; err != nil {
			return err
		}
	}
	thumbs := db.Model(&thumbRow{}).Where("id IN ?", distinctThumbs(arts))
	if uploadPath != UploadDraft {
		return thumbs.Updates(map[string]any{"media_id": "", "media_uploaded_at": nil}).Error
	}
	if !upload {
		return nil
	}
	return thumbs.Update("material_id", "").Error
}

// uploadFor is what an upload serves: a send (sendID: its quota reservations are used and its
// log lines carry it) or a preview (sendID 0: each call is counted as it is made).
type uploadFor struct {
	sendID  uint
	draftID uint   // recorded with the news upload
	path    string // UploadNews or UploadDraft: the API profile's source of the media_id
}

// uploadContent uploads the covers without a usable media id, then the news (unless a usable
// upload of this exact content exists), committing each media id as soon as WeChat returns it.
// Sends and previews share it, and so share what it uploaded: a preview's uploads serve the send
// after it, and the other way round.
func (s *Service) uploadContent(ctx context.Context, u uploadFor, arts []snapArticle) (string, error) {
	media := map[uint]string{}
	for _, tid := range distinctThumbs(arts) {
		var t thumbRow
		if err := s.store.db(ctx).Take(&t, tid).Error; err != nil {
			return "", permanentError{fmt.Sprintf("thumb %d: %v", tid, notFound(err))}
		}
		mediaID, err := s.coverMedia(ctx, u, &t)
		if err != nil {
			return "", err
		}
		media[tid] = mediaID
	}
	news := newsArticles(arts, media)
	// The hash is of the content as stored (with /images/N), as the plan computes it: an image's
	// uploadimg URL never changes once known, so the same content always makes the same news.
	hash := newsHash(news)
	path := u.path
	if id, ok, err := s.freshNewsUpload(ctx, hash, path); err != nil || ok {
		return id, err
	}
	// Images inside the content go up first (media/uploadimg, no quota) and their URLs replace
	// /images/N in what WeChat receives; a failure here has not used the uploadnews call.
	if err := s.contentForWeChat(ctx, u.sendID, news); err != nil {
		return "", err
	}
	if err := s.useQuota(ctx, u.sendID, newsEndpoint(path)); err != nil {
		return "", err
	}
	upload := s.wx.UploadNews
	if path == UploadDraft {
		upload = s.wx.AddDraft
	}
	mediaID, err := upload(ctx, news)
	if err != nil {
		return "", err
	}
	row := newsUploadRow{DraftID: u.draftID, ContentHash: hash, MediaID: mediaID, UploadedAt: s.now(), Path: path}
	if err := s.store.db(ctx).Create(&row).Error; err != nil {
		return "", err
	}
	return mediaID, nil
}

// coverMedia returns the media id the news call names for a cover, uploading it when needed. On
// the seed's path: a temporary media (media/upload, counted, 3 days). On the draft path: a
// permanent material (material/add_material), the only cover draft/add takes — uploaded once,
// ever, and not counted (no quota row: it is not a mass-send call).
func (s *Service) coverMedia(ctx context.Context, u uploadFor, t *thumbRow) (string, error) {
	if u.path == UploadDraft {
		if t.MaterialID != "" {
			return t.MaterialID, nil
		}
		id, err := s.wx.AddThumbMaterial(ctx, t.Filename, t.Data)
		if err != nil {
			return "", err
		}
		if err := s.store.db(ctx).Model(t).Update("material_id", id).Error; err != nil {
			return "", err
		}
		s.log.Info("cover uploaded as a permanent material", "thumb_id", t.ID, "send_id", u.sendID)
		return id, nil
	}
	if t.MediaID != "" && mediaFresh(t.MediaUploadedAt, s.now()) {
		return t.MediaID, nil
	}
	if err := s.useQuota(ctx, u.sendID, EndpointUploadThumb); err != nil {
		return "", err
	}
	mediaID, err := s.wx.UploadThumb(ctx, t.Filename, t.Data)
	if err != nil {
		return "", err
	}
	if err := s.store.db(ctx).Model(t).Updates(map[string]any{"media_id": mediaID, "media_uploaded_at": s.now()}).Error; err != nil {
		return "", err
	}
	return mediaID, nil
}

// newsStillFresh reports whether the send's news media id can still be used: an uploadnews one
// under 3 days old, or a draft no mass send has taken (its row is deleted when one does).
func (s *Service) newsStillFresh(ctx context.Context, mediaID string) bool {
	var n int64
	err := s.store.db(ctx).Model(&newsUploadRow{}).
		Where("media_id = ? AND (path = ? OR uploaded_at > ?)", mediaID, UploadDraft, s.now().Add(-mediaLifetime)).Count(&n).Error
	return err == nil && n > 0
}

// submitBatch commits "submitting" with the media id (and the quota call) before calling WeChat
// with the batch's clientmsgid, then commits the msg_id. A batch left in "submitting" by a crash
// or a timeout is called again with the same media id and clientmsgid; WeChat answers 45065 with
// the existing msg_id if the first call got through, which is taken as the answer. On the draft
// path the commit of the msg_id also records that the mass send took the draft: its news upload
// is forgotten and the send's media id cleared, so the next batch (or send) makes a new one.
func (s *Service) submitBatch(ctx context.Context, send *sendRow, b *batchRow, mediaID string) error {
	endpoint := sendEndpoint(TargetKind(send.Target))
	err := s.store.inTx(ctx, func(ctx context.Context) error {
		if err := s.useQuota(ctx, send.ID, endpoint); err != nil {
			return err
		}
		return s.store.db(ctx).Model(b).Updates(map[string]any{"state": string(StateSubmitting), "media_id": mediaID,
			"called_at": gorm.Expr("COALESCE(called_at, ?)", s.now())}).Error
	})
	if err != nil {
		return err
	}
	b.State, b.MediaID = string(StateSubmitting), mediaID
	if b.CalledAt == nil {
		now := s.now()
		b.CalledAt = &now
	}

	var res MassResult
	if TargetKind(send.Target) == TargetOpenIDs {
		res, err = s.wx.SendToOpenIDs(ctx, strings.Split(b.OpenIDs, "\n"), mediaID, b.ClientMsgID)
	} else {
		res, err = s.wx.SendAll(ctx, MassFilter{ToAll: send.Target == string(TargetAll), ID: send.GroupID,
			ByTag: send.Audience == AudienceTags}, mediaID, b.ClientMsgID)
	}
	if err != nil {
		if ae, ok := asAPIError(err); ok && ae.Errcode() == protocol.CodeClientMsgIDExist {
			// Already sent under this clientmsgid: keep the job WeChat already has.
			res = MassResult{MsgID: ae.ExistingMsgID()}
			if res.MsgID == 0 {
				return s.callFailed(ctx, send, b, err)
			}
			s.log.Info("batch already submitted (45065)", "send_id", send.ID, "batch", b.BatchIndex, "msg_id", res.MsgID)
			err = nil
		} else if isStaleMedia(err) {
			return staleMediaError{cause: err}
		} else {
			return s.callFailed(ctx, send, b, err)
		}
	}

	now := s.now()
	consumed := send.UploadPath == UploadDraft
	// WeChat has answered: commit the msg_id even if shutdown began meanwhile.
	err = s.store.inTx(context.WithoutCancel(ctx), func(ctx context.Context) error {
		db := s.store.db(ctx)
		if err := db.Model(b).Updates(map[string]any{
			"state": string(StateSubmitted), "msg_id": res.MsgID, "msg_data_id": res.MsgDataID,
			"submitted_at": now, "errcode": 0, "errmsg": "",
		}).Error; err != nil {
			return err
		}
		// Each batch has its own retries: earlier batches' failures do not count against it.
		if err := db.Model(send).Updates(map[string]any{"attempts": 0, "next_attempt_at": nil}).Error; err != nil {
			return err
		}
		if consumed {
			// The draft has left WeChat's draft box: nothing may name it again.
			if err := db.Where("media_id = ?", mediaID).Delete(&newsUploadRow{}).Error; err != nil {
				return err
			}
			if err := db.Model(&sendRow{}).Where("id = ? AND media_id = ?", send.ID, mediaID).Update("media_id", "").Error; err != nil {
				return err
			}
		}
		// A push can beat our commit: apply one stored for this msg_id already.
		return s.applyStoredJobFinished(ctx, res.MsgID)
	})
	if err != nil {
		return err
	}
	if consumed && send.MediaID == mediaID {
		send.MediaID = ""
	}
	b.State, b.MsgID, b.MsgDataID, b.SubmittedAt = string(StateSubmitted), res.MsgID, res.MsgDataID, &now
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
	now := s.now()
	return s.store.inTx(ctx, func(ctx context.Context) error {
		if err := s.store.db(ctx).Model(send).Updates(map[string]any{
			"state": string(StateSubmitted), "submitted_at": now, "attempts": 0, "next_attempt_at": nil,
			"errcode": 0, "errmsg": "",
		}).Error; err != nil {
			return err
		}
		send.State = string(StateSubmitted)
		if err := s.releaseQuota(ctx, send.ID); err != nil { // e.g. a thumb another send uploaded first
			return err
		}
		if err := s.addHistory(ctx, send.ID, 0, HistorySubmitted, "msg_id "+strings.Join(ids, ", ")); err != nil {
			return err
		}
		return s.settleSend(ctx, send.ID)
	})
}

func (s *Service) setSendState(ctx context.Context, send *sendRow, st SendState) error {
	if err := s.store.db(ctx).Model(send).Update("state", string(st)).Error; err != nil {
		return err
	}
	send.State = string(st)
	return nil
}

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
	return s.store.inTx(ctx, func(ctx context.Context) error {
		if err := s.store.db(ctx).Model(send).Updates(map[string]any{
			"attempts": attempts, "next_attempt_at": next, "errcode": code, "errmsg": msg,
		}).Error; err != nil {
			return err
		}
		send.Attempts = attempts
		return s.addHistory(ctx, send.ID, 0, HistoryRetrying, fmt.Sprintf("#%d: %s", attempts, msg))
	})
}

// failSend marks the send (and the failing batch, and batches never tried) failed and releases the
// quota it reserved for calls that will not be made.
func (s *Service) failSend(ctx context.Context, send *sendRow, b *batchRow, code int, msg string) error {
	s.log.Error("send failed", "send_id", send.ID, "errcode", code, "errmsg", msg)
	return s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		if b != nil {
			if err := db.Model(b).Updates(map[string]any{"state": string(StateFailed), "errcode": code, "errmsg": msg}).Error; err != nil {
				return err
			}
			b.State = string(StateFailed)
		}
		if err := db.Model(&batchRow{}).Where("send_id = ? AND state = ?", send.ID, string(StateQueued)).
			Updates(map[string]any{"state": string(StateFailed), "errmsg": "not sent: an earlier step failed"}).Error; err != nil {
			return err
		}
		if err := db.Model(send).Updates(map[string]any{
			"state": string(StateFailed), "errcode": code, "errmsg": msg, "next_attempt_at": nil,
		}).Error; err != nil {
			return err
		}
		send.State = string(StateFailed)
		if err := s.releaseQuota(ctx, send.ID); err != nil {
			return err
		}
		return s.addHistory(ctx, send.ID, 0, HistoryFailed, fmt.Sprintf("errcode %d: %s", code, msg))
	})
}

// reconcile asks mass/get about batches submitted a while ago whose callback never came
// (WeChat does not guarantee delivery). It learns the outcome, not the figures.
func (s *Service) reconcile(ctx context.Context) error {
	cutoff := s.now().Add(-s.rules.ReconcileAfter)
	var batches []batchRow
	if err := s.store.db(ctx).Where("state = ? AND msg_id <> 0 AND submitted_at <= ? AND (checked_at IS NULL OR checked_at <= ?)",
		string(StateSubmitted), cutoff, cutoff).Order("id").Find(&batches).Error; err != nil {
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
		err = s.store.inTx(ctx, func(ctx context.Context) error {
			if wxStatus == "" {
				return s.store.db(ctx).Model(&b).Update("checked_at", s.now()).Error
			}
			if err := s.finishBatch(ctx, b.MsgID, JobFinished{MsgID: b.MsgID, Status: wxStatus}, false); err != nil {
				return err
			}
			return s.store.db(ctx).Model(&b).Update("checked_at", s.now()).Error
		})
		if err != nil {
			return err
		}
	}
	return nil
}
