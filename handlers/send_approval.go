package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendApprove approves a send awaiting approval (POST /sends/:id/approve, admins): it joins
// the queue and the worker sends it. The requester cannot; of two admins approving at once, the
// second is told it was already decided.
func (a *app) sendApprove(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	err = a.svc.ApproveSend(c.Request.Context(), id, operatorOf(c))
	if a.approvalRefused(c, id, err) {
		return nil
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditSendApprove, auditTarget("send", id), "")
	a.flash(c, "flash.send_approved")
	a.redirect(c, fmt.Sprintf("/sends/%d", id))
	return nil
}

// sendReject rejects a send awaiting approval (POST /sends/:id/reject): another admin, or the
// requester withdrawing it. The reason is optional.
func (a *app) sendReject(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	reason := c.PostForm("reason")
	err = a.svc.RejectSend(c.Request.Context(), id, operatorOf(c), reason)
	if a.approvalRefused(c, id, err) {
		return nil
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditSendReject, auditTarget("send", id), reason)
	a.flash(c, "flash.send_rejected")
	a.redirect(c, fmt.Sprintf("/sends/%d", id))
	return nil
}

// approvalRefused answers the refusals an approval or rejection may meet; false when err is
// none of them.
func (a *app) approvalRefused(c *gin.Context, id uint, err error) bool {
	switch {
	case errors.Is(err, models.ErrOwnApproval):
		a.renderError(c, http.StatusForbidden, "err.approve_own")
	case errors.Is(err, models.ErrApproverRole):
		a.renderError(c, http.StatusForbidden, "err.approve_role")
	case errors.Is(err, models.ErrNotAwaitingApproval):
		a.flash(c, "flash.approval_decided")
		a.redirect(c, fmt.Sprintf("/sends/%d", id))
	case errors.Is(err, models.ErrQuotaExceeded):
		a.flash(c, "err.approve_quota")
		a.redirect(c, fmt.Sprintf("/sends/%d", id))
	default:
		return false
	}
	return true
}

// approvalView is the approval part of a send's page for the operator looking at it.
func (a *app) approvalView(c *gin.Context, s models.Send) views.ApprovalView {
	if s.State != models.StateAwaitingApproval && s.State != models.StateRejected {
		return views.ApprovalView{}
	}
	op := operatorOf(c)
	v := views.ApprovalView{
		SendID:     s.ID,
		Awaiting:   s.State == models.StateAwaitingApproval,
		Rejected:   s.State == models.StateRejected,
		Reason:     s.Errmsg,
		OwnRequest: op.ID == s.OperatorID,
		CanApprove: models.CanApprove(op, s) == nil,
		CanReject:  models.CanReject(op, s) == nil,
	}
	v.RequestedBy = a.operatorName(c, s.OperatorID)
	for _, h := range s.History {
		if h.Action == models.HistoryAwaitingApproval {
			v.RequestedAt = h.At
		}
	}
	return v
}

// operatorName is an operator's username, or "#id" when they are gone.
func (a *app) operatorName(c *gin.Context, id uint) string {
	if id == 0 {
		return "—"
	}
	op, err := a.svc.Operator(c.Request.Context(), id)
	if err != nil {
		return fmt.Sprintf("#%d", id)
	}
	return op.Username
}

// approvalQueue is the list of sends waiting for the logged-in admin's approval (not their
// own); empty for anyone else.
func (a *app) approvalQueue(c *gin.Context) views.ApprovalQueue {
	op := operatorOf(c)
	if op.Role != models.RoleAdmin {
		return views.ApprovalQueue{}
	}
	sends, err := a.svc.AwaitingApproval(c.Request.Context())
	if err != nil {
		a.log.Error("sends awaiting approval", "err", err)
		return views.ApprovalQueue{}
	}
	var q views.ApprovalQueue
	names := map[uint]string{} // one look-up per requester, not per send
	for _, s := range sends {
		if s.OperatorID == op.ID {
			continue
		}
		name, ok := names[s.OperatorID]
		if !ok {
			name = a.operatorName(c, s.OperatorID)
			names[s.OperatorID] = name
		}
		q.Items = append(q.Items, views.ApprovalItem{ID: s.ID, Title: s.Title,
			Target:      views.Target{Kind: string(s.Target), GroupName: s.GroupName, ByTag: s.ByTag, Recipients: s.Recipients},
			RequestedBy: name, CreatedAt: s.CreatedAt})
	}
	return q
}

// approvalRuleSave saves the four-eyes setting (POST /settings/approval, admins).
func (a *app) approvalRuleSave(c *gin.Context) error {
	required := c.PostForm("required") == "1"
	threshold := c.PostForm(models.FieldApprovalThreshold)
	err := a.svc.SetApprovalRule(c.Request.Context(), required, threshold)
	if _, ok := validationErrors(err); ok {
		a.flash(c, "err.approval_threshold")
		a.redirect(c, "/settings")
		return nil
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditApprovalRule, "", fmt.Sprintf("required=%t threshold=%s", required, threshold))
	a.flash(c, "flash.approval_saved")
	a.redirect(c, "/settings")
	return nil
}

// approvalSetting is the settings page's view of the rule.
func (a *app) approvalSetting(c *gin.Context) views.ApprovalSetting {
	r, err := a.svc.ApprovalRule(c.Request.Context())
	if err != nil {
		a.log.Error("approval rule", "err", err)
		return views.ApprovalSetting{}
	}
	return views.ApprovalSetting{Shown: true, Required: r.Required, Explicit: r.Explicit, Threshold: r.Threshold, Admins: r.Admins}
}
