package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendCreate starts the send the operator confirmed. Sending to everyone
// needs the second, explicit confirm_all checkbox.
func (a *app) sendCreate(c *gin.Context) error {
	d, f, ok := a.confirmedSend(c)
	if !ok {
		return nil
	}
	ctx := c.Request.Context()
	send, err := a.svc.StartSend(ctx, sendInput(d.ID, f), operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, f, fe)
		return nil
	}
	if errors.Is(err, models.ErrQuotaExceeded) {
		a.planAndConfirm(c, d, f, http.StatusUnprocessableEntity, nil)
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("send started", "send_id", send.ID, "draft_id", d.ID, "target", string(send.Target), "operator_id", operatorOf(c).ID)
	a.auditSendStarted(c, models.AuditSendCreate, send, fmt.Sprintf("draft:%d", d.ID))
	a.flash(c, startedFlash(send, "flash.send_started"))
	a.redirect(c, fmt.Sprintf("/sends/%d", send.ID))
	return nil
}

// confirmedSend reads a confirmed send request (send now, or schedule it) and makes the
// confirmation page's own checks: the draft, the fields, the list it kept, the idempotency key
// and, for everyone, the second confirmation. When one fails it has answered the request
// (the send form or the confirmation again) and ok is false.
func (a *app) confirmedSend(c *gin.Context) (d models.Draft, f views.SendFields, ok bool) {
	d, ok = a.draftParam(c)
	if !ok {
		return d, f, false
	}
	f, errs := sendFields(c)
	if errs != nil {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, f, errs)
		return d, f, false
	}
	if listTooLong(f.OpenIDs) {
		a.listTooLarge(c)
		return d, f, false
	}
	// The confirm page carries the id of the list it kept, not the list.
	if !a.resolveList(c, d, &f) {
		return d, f, false
	}
	if f.Key == "" {
		// Without a key a retry could not be recognised: plan again.
		f.Key = randomToken()
		a.planAndConfirm(c, d, f, http.StatusUnprocessableEntity, nil)
		return d, f, false
	}
	if f.Target == string(models.TargetAll) && c.PostForm("confirm_all") != "1" {
		a.planAndConfirm(c, d, f, http.StatusUnprocessableEntity, views.FieldErrors{"confirm_all": "err.confirm_all"})
		return d, f, false
	}
	return d, f, true
}
