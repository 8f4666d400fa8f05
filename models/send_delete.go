package models

import (
	"context"
	"fmt"
	"strings"
)

// codeInvalidArticleIdx (40060) has been returned by mass/delete even when the deletion took effect.
const codeInvalidArticleIdx = 40060

// SendsSharingArticle lists the other sends, not deleted and not already marked, whose article is
// the same WeChat article as this send's: a delivered batch of theirs named a news media id a
// delivered batch of this send named. WeChat serves one article page per news material, so
// deleting this send removes their article page too (protocol §3.4). The delete confirmation
// names them.
//
// This happens on the seed's path only: an unchanged draft sent twice within 3 days reuses its
// uploadnews media id rather than upload the news again, because uploadnews counts against the
// daily quota of 10 advanced calls — a fresh upload per send would cost one call of every send.
// On the draft path each batch has a draft of its own (a mass send takes it), so nothing is shared.
func (s *Service) SendsSharingArticle(ctx context.Context, id uint) (out []Send, err error) {
	defer wrap(&err, "send %d: sends sharing its article", id)
	rows, err := s.pipe.SharingArticle(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out = append(out, r.send())
	}
	return out, nil
}

// DeleteSend deletes a finished send's articles at WeChat (message/mass/delete for every batch) and
// marks it deleted. A send still on its way gives ErrNotFinished; a deleted one ErrAlreadyDeleted.
// A failure part-way keeps the batches already deleted, so a second attempt deletes only the rest.
// The sends that shared its article (SendsSharingArticle) are marked: WeChat removed theirs too.
func (s *Service) DeleteSend(ctx context.Context, id uint, operatorID uint) (err error) {
	defer wrap(&err, "delete send %d", id)
	s.deleteMu.Lock()
	defer s.deleteMu.Unlock()

	send, err := s.pipe.LoadSend(ctx, id)
	if err != nil {
		return err
	}
	batches, err := s.pipe.Batches(ctx, id)
	if err != nil {
		return err
	}
	if send.State == StateDeleted {
		return ErrAlreadyDeleted
	}
	view := send.send()
	for _, b := range batches {
		view.Batches = append(view.Batches, b.batch())
	}
	if !view.Deletable() {
		return ErrNotFinished
	}
	// Asked before any delete: afterwards the batches no longer count as delivered.
	sharing, err := s.pipe.SharingArticle(ctx, id)
	if err != nil {
		return err
	}

	var todo []batchRow
	for _, b := range batches {
		if b.MsgID != 0 && b.State == StateFinished && b.DeletedAt == nil {
			todo = append(todo, b)
		}
	}
	if left, err := s.quotaLeftFor(ctx, EndpointDelete); err != nil {
		return err
	} else if len(todo) > left {
		return ErrQuotaExceeded
	}
	for _, b := range todo {
		err := s.call(ctx, id, EndpointDelete, false, func(ctx context.Context) error { return s.wx.DeleteMass(ctx, b.MsgID) })
		if ae, ok := asAPIError(err); ok && ae.Errcode() == codeInvalidArticleIdx {
			err = nil
		}
		if err != nil {
			msg := redact(err.Error())
			if herr := s.pipe.DeleteFailed(ctx, id, operatorID, fmt.Sprintf("msg_id %d: %s", b.MsgID, msg)); herr != nil {
				s.log.Error("record history failed", "send_id", id, "err", herr)
			}
			return fmt.Errorf("msg_id %d: %w", b.MsgID, err)
		}
		if err := s.pipe.MarkBatchDeleted(ctx, b.ID); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(todo))
	for _, b := range todo {
		ids = append(ids, fmt.Sprint(b.MsgID))
	}
	// Something was deleted at WeChat — now, or by an earlier try that stopped before it could
	// mark the send — so the article is gone for the sends that share it too. A failed send that
	// reached nobody removed nothing.
	deletedAtWeChat := len(todo) > 0
	for _, b := range batches {
		deletedAtWeChat = deletedAtWeChat || (b.MsgID != 0 && b.DeletedAt != nil)
	}
	var removed []uint
	if deletedAtWeChat {
		for _, r := range sharing {
			removed = append(removed, r.ID)
		}
	}
	if err := s.pipe.MarkDeleted(ctx, id, operatorID, "msg_id "+strings.Join(ids, ", "), removed); err != nil {
		return err
	}
	if len(removed) > 0 {
		s.log.Info("delete removed the article of sends sharing its media id", "send_id", id, "sends", removed)
	}
	return nil
}
