package models

import (
	"context"
	"fmt"
)

// codeInvalidArticleIdx (40060) has been returned by mass/delete even when the deletion took effect.
const codeInvalidArticleIdx = 40060

// DeleteSend deletes a finished send's articles at WeChat (message/mass/delete for every batch) and
// marks it deleted. A send still on its way gives ErrNotFinished; a deleted one ErrAlreadyDeleted.
// A failure part-way keeps the batches already deleted, so a second attempt deletes only the rest.
func (s *Service) DeleteSend(ctx context.Context, id uint, operatorID uint) error {
	s.deleteMu.Lock()
	defer s.deleteMu.Unlock()

	var send sendRow
	if err := s.store.db(ctx).Take(&send, id).Error; err != nil {
		return notFound(err)
	}
	var batches []batchRow
	if err := s.store.db(ctx).Where("send_id = ?", id).Order("batch_index").Find(&batches).Error; err != nil {
		return err
	}
	if SendState(send.State) == StateDeleted {
		return ErrAlreadyDeleted
	}
	view := send.send()
	for _, b := range batches {
		view.Batches = append(view.Batches, b.batch())
	}
	if !view.Deletable() {
		return ErrNotFinished
	}

	var todo []batchRow
	for _, b := range batches {
		if b.MsgID != 0 && b.State == StateFinished && b.DeletedAt == nil {
			todo = append(todo, b)
		}
	}
	if left, err := s.QuotaLeft(ctx); err != nil {
		return err
	} else if len(todo) > left {
		return ErrQuotaExceeded
	}
	for _, b := range todo {
		if err := s.useQuota(ctx, id, EndpointDelete); err != nil {
			return err
		}
		err := s.wx.DeleteMass(ctx, b.MsgID)
		if ae, ok := asAPIError(err); ok && ae.Errcode() == codeInvalidArticleIdx {
			err = nil
		}
		if err != nil {
			msg := redact(err.Error())
			if herr := s.addHistory(ctx, id, operatorID, HistoryDeleteFailed, fmt.Sprintf("msg_id %d: %s", b.MsgID, msg)); herr != nil {
				s.log.Error("record history failed", "send_id", id, "err", herr)
			}
			return fmt.Errorf("models: delete msg_id %d: %w", b.MsgID, err)
		}
		now := s.now()
		if err := s.store.db(ctx).Model(&b).Updates(map[string]any{"state": string(StateDeleted), "deleted_at": now}).Error; err != nil {
			return err
		}
	}
	now := s.now()
	return s.store.inTx(ctx, func(ctx context.Context) error {
		if err := s.store.db(ctx).Model(&send).Updates(map[string]any{"state": string(StateDeleted), "deleted_at": now}).Error; err != nil {
			return err
		}
		ids := ""
		for i, b := range todo {
			if i > 0 {
				ids += ", "
			}
			ids += fmt.Sprint(b.MsgID)
		}
		return s.addHistory(ctx, id, operatorID, HistoryDeleted, "msg_id "+ids)
	})
}
