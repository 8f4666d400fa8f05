package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Four-eyes approval (issue 8). When the rule is on, a send to everyone, or one whose plan
// reaches more than Threshold followers, is committed by StartSend as awaiting_approval: its
// batches, clientmsgids and quota reservation are written as for any send (so a waiting send
// holds its calls of the day, and the confirmation refuses one that could not go today), but the
// worker does not take it (DueSends reads only queued, uploading and submitting). Another admin approves it
// (→ queued, exactly as StartSend leaves a send) or rejects it (→ rejected, its reservation
// released). A scheduled send that fires into the rule waits the same way: the schedule is
// fired, its send awaits approval.

// The approval states of a send (see the state table in sends.go).
const (
	StateAwaitingApproval SendState = "awaiting_approval"
	StateRejected         SendState = "rejected"
)

// History entries of the approval (detail: the approver's name; a rejection adds its reason).
const (
	HistoryAwaitingApproval = "history.awaiting_approval"
	HistoryApproved         = "history.approved"
	HistoryRejected         = "history.rejected"
)

var (
	// ErrOwnApproval: the operator who asked for a send may not approve it.
	ErrOwnApproval = errors.New("models: the requester cannot approve their own send")
	// ErrApproverRole: only an admin approves (or rejects another's request).
	ErrApproverRole = errors.New("models: only an admin may approve or reject a send")
	// ErrNotAwaitingApproval: the send is not (or no longer) waiting: another admin decided first.
	ErrNotAwaitingApproval = errors.New("models: send is not awaiting approval")
)

// Settings keys of the rule.
const (
	keyApprovalRequired  = "approval_required"  // "1" | "0"; absent: on iff two or more enabled admins
	keyApprovalThreshold = "approval_threshold" // followers; a send reaching more needs approval
)

// DefaultApprovalThreshold is N until an admin saves another.
const DefaultApprovalThreshold = 10000

// MaxApprovalThreshold bounds N (the scale, a hundredfold).
const MaxApprovalThreshold = 100_000_000

// FieldApprovalThreshold is the settings form's field of N.
const FieldApprovalThreshold = "approval_threshold"

// ApprovalRule is the four-eyes setting in force.
type ApprovalRule struct {
	Required  bool // in force now
	Explicit  bool // an admin saved it; otherwise Required follows the number of admins
	Threshold int  // a send reaching more followers than this needs approval
	Admins    int  // enabled admins now
}

// Needs reports whether a send with plan p must wait for approval.
func (r ApprovalRule) Needs(p Plan) bool {
	return r.Required && (p.Everyone || p.Recipients > r.Threshold)
}

// ApprovalRule reads the rule: the saved setting, else on when two or more admins are enabled
// (a lone admin has nobody to ask).
func (s *Service) ApprovalRule(ctx context.Context) (_ ApprovalRule, err error) {
	defer wrap(&err, "approval rule")
	var rows []settingRow
	if err := s.store.db(ctx).Where("key IN ?", []string{keyApprovalRequired, keyApprovalThreshold}).Find(&rows).Error; err != nil {
		return ApprovalRule{}, err
	}
	r := ApprovalRule{Threshold: DefaultApprovalThreshold}
	var n int64
	if err := s.store.db(ctx).Model(&operatorRow{}).Where("role = ? AND disabled_at IS NULL", RoleAdmin).Count(&n).Error; err != nil {
		return ApprovalRule{}, err
	}
	r.Admins = int(n)
	r.Required = r.Admins >= 2
	for _, row := range rows {
		switch row.Key {
		case keyApprovalRequired:
			r.Explicit, r.Required = true, row.Value == "1"
		case keyApprovalThreshold:
			if v, err := strconv.Atoi(row.Value); err == nil && v >= 0 {
				r.Threshold = v
			}
		}
	}
	return r, nil
}

// SetApprovalRule saves the rule an admin chose; threshold is the text of the form's field.
func (s *Service) SetApprovalRule(ctx context.Context, required bool, threshold string) error {
	n, err := strconv.Atoi(strings.TrimSpace(threshold))
	if err != nil || n < 0 || n > MaxApprovalThreshold {
		return fieldError(FieldApprovalThreshold, "err.approval_threshold")
	}
	v := "0"
	if required {
		v = "1"
	}
	if err := s.store.putSettings(ctx, map[string]string{keyApprovalRequired: v, keyApprovalThreshold: strconv.Itoa(n)}); err != nil {
		return err
	}
	s.log.Info("approval rule saved", "required", required, "threshold", n)
	return nil
}

// AwaitingApproval lists the sends waiting for approval, oldest first (at most 100: a queue
// longer than that is a different problem, and the page says how many it shows).
func (s *Service) AwaitingApproval(ctx context.Context) (_ []Send, err error) {
	defer wrap(&err, "sends awaiting approval")
	var rows []sendRow
	if err := s.store.db(ctx).Omit("articles_json").Where("state = ?", StateAwaitingApproval).
		Order("id").Limit(100).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Send, len(rows))
	for i, r := range rows {
		out[i] = r.send()
	}
	return out, nil
}

// CanApprove reports whether op may approve send s (nil) or why not.
func CanApprove(op Operator, s Send) error {
	switch {
	case s.State != StateAwaitingApproval:
		return ErrNotAwaitingApproval
	case op.Role != RoleAdmin || op.DisabledAt != nil:
		return ErrApproverRole
	case op.ID == s.OperatorID:
		return ErrOwnApproval
	}
	return nil
}

// CanReject reports whether op may reject send s: another admin, or the requester withdrawing
// their own request.
func CanReject(op Operator, s Send) error {
	switch {
	case s.State != StateAwaitingApproval:
		return ErrNotAwaitingApproval
	case op.DisabledAt != nil:
		return ErrApproverRole
	case op.ID == s.OperatorID && op.ID != 0:
		return nil
	case op.Role != RoleAdmin:
		return ErrApproverRole
	}
	return nil
}

// ApproveSend moves a send awaiting approval into the queue as StartSend would have: its quota
// reservation is checked again against today's quota (it may have waited since another day)
// and the worker is woken. Two admins approving at once make one approval: the move is a
// conditional UPDATE and the second finds ErrNotAwaitingApproval.
func (s *Service) ApproveSend(ctx context.Context, id uint, by Operator) (err error) {
	defer wrap(&err, "approve send %d", id)
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		send, err := s.pipe.LoadSend(ctx, id)
		if err != nil {
			return err
		}
		if err := CanApprove(by, send.send()); err != nil {
			return err
		}
		db := s.store.db(ctx)
		res := db.Model(&sendRow{}).Where("id = ? AND state = ?", id, StateAwaitingApproval).Update("state", StateQueued)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotAwaitingApproval
		}
		if err := s.renewReservation(ctx, id); err != nil {
			return err
		}
		return s.addHistory(ctx, id, by.ID, HistoryApproved, by.Username)
	})
	if err != nil {
		return err
	}
	s.log.Info("send approved", "send_id", id, "operator_id", by.ID)
	s.notify()
	return nil
}

// renewReservation moves the send's quota reservation to today and refuses (ErrQuotaExceeded)
// when today's quota no longer has room for it.
func (s *Service) renewReservation(ctx context.Context, sendID uint) error {
	db := s.store.db(ctx)
	var held []quotaCallRow
	if err := db.Where("send_id = ? AND reserved = ?", sendID, true).Order("id").Find(&held).Error; err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	if err := db.Where("send_id = ? AND reserved = ?", sendID, true).Delete(&quotaCallRow{}).Error; err != nil {
		return err
	}
	eps := make([]string, 0, len(held))
	for _, h := range held {
		eps = append(eps, h.Endpoint)
	}
	left, err := s.quotaLeftFor(ctx, eps...)
	if err != nil {
		return err
	}
	if len(held) > left {
		return ErrQuotaExceeded // the transaction rolls back: the send still awaits approval
	}
	now := s.now()
	for _, h := range held {
		id := sendID
		if err := db.Create(&quotaCallRow{Day: beijingDay(now), Endpoint: h.Endpoint, SendID: &id, Reserved: true, At: now}).Error; err != nil {
			return err
		}
	}
	return nil
}

// RejectSend ends a send awaiting approval: rejected, its batches never sent, its quota
// reservation released. reason is the rejecter's words (may be empty).
func (s *Service) RejectSend(ctx context.Context, id uint, by Operator, reason string) (err error) {
	defer wrap(&err, "reject send %d", id)
	reason = clip(strings.TrimSpace(reason), 200)
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		send, err := s.pipe.LoadSend(ctx, id)
		if err != nil {
			return err
		}
		if err := CanReject(by, send.send()); err != nil {
			return err
		}
		db := s.store.db(ctx)
		res := db.Model(&sendRow{}).Where("id = ? AND state = ?", id, StateAwaitingApproval).
			Updates(map[string]any{"state": StateRejected, "errmsg": reason})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotAwaitingApproval
		}
		if err := db.Model(&batchRow{}).Where("send_id = ?", id).
			Updates(map[string]any{"state": StateRejected, "errmsg": BatchNotSent}).Error; err != nil {
			return err
		}
		if err := db.Where("send_id = ? AND reserved = ?", id, true).Delete(&quotaCallRow{}).Error; err != nil {
			return err
		}
		detail := by.Username
		if reason != "" {
			detail = fmt.Sprintf("%s: %s", by.Username, reason)
		}
		return s.addHistory(ctx, id, by.ID, HistoryRejected, detail)
	})
	if err == nil {
		s.log.Info("send rejected", "send_id", id, "operator_id", by.ID)
	}
	return err
}

func (s *Service) addHistory(ctx context.Context, sendID, operatorID uint, action, detail string) error {
	return s.store.db(ctx).Create(&historyRow{SendID: sendID, At: s.now(), OperatorID: operatorID, Action: action, Detail: detail}).Error
}
