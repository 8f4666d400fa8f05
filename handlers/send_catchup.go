package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// catchUpView is the catch-up part of a send's page.
func (a *app) catchUpView(c *gin.Context, s models.Send) (views.CatchUpView, error) {
	cu, err := a.svc.SendCatchUp(c.Request.Context(), s.ID)
	if err != nil {
		return views.CatchUpView{}, err
	}
	return views.CatchUpView{Possible: cu.Possible, Waiting: cu.Waiting, Underway: cu.Underway, Sends: cu.Sends, Of: s.CatchUpOf}, nil
}

// sendCatchUpConfirm plans a catch-up (补发) of a finished send and asks before sending it.
func (a *app) sendCatchUpConfirm(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	return a.renderCatchUp(c, id, randomToken(), http.StatusOK)
}

// sendCatchUp starts the catch-up the operator confirmed: an OpenID send of its own, linked to
// the first, through StartSend (the key makes a double click one send).
func (a *app) sendCatchUp(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	key := strings.TrimSpace(c.PostForm("key"))
	if key == "" {
		return a.renderCatchUp(c, id, randomToken(), http.StatusUnprocessableEntity)
	}
	send, err := a.svc.StartSend(c.Request.Context(), models.SendInput{CatchUpOf: id, Key: key}, operatorOf(c).ID)
	if _, invalid := validationErrors(err); invalid || errors.Is(err, models.ErrQuotaExceeded) {
		return a.renderCatchUp(c, id, key, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	a.log.Info("catch-up started", "send_id", send.ID, "catch_up_of", id, "operator_id", operatorOf(c).ID)
	a.auditSendStarted(c, models.AuditSendCatchUp, send, fmt.Sprintf("catch-up of send:%d", id))
	a.flash(c, startedFlash(send, "flash.catch_up_started"))
	a.redirect(c, fmt.Sprintf("/sends/%d", send.ID))
	return nil
}

// renderCatchUp plans the catch-up of send id and shows the plan, or why it cannot be sent.
func (a *app) renderCatchUp(c *gin.Context, id uint, key string, status int) error {
	ctx := c.Request.Context()
	s, err := a.svc.Send(ctx, id)
	if err != nil {
		return err
	}
	l := a.layout(c, "catchup.confirm_title")
	l.Nav = "sends"
	page := views.CatchUpConfirmPage{Layout: l, Send: sendView(s, l.Lang), Key: key}
	plan, err := a.svc.PlanSend(ctx, models.SendInput{CatchUpOf: id})
	if fe, ok := validationErrors(err); ok {
		switch {
		case fe["catch_up"] != "":
			page.Error = fe["catch_up"]
		case fe["openids"] != "":
			// One follower, or one left below the cap: mass/send needs two OpenIDs.
			page.Error = "catchup.too_few"
		default:
			page.Error = "err.catch_up_not_possible"
		}
	} else if err != nil && !errors.Is(err, models.ErrQuotaExceeded) {
		return err
	}
	page.Recipients, page.LeftOut, page.MonthlyCap, page.Refusers = plan.Recipients, plan.LeftOut, plan.MonthlyCap, plan.Refusers
	page.Batches, page.CallsNeeded, page.QuotaLeft = plan.Batches, plan.CallsNeeded, plan.QuotaLeft
	page.QuotaExceeded = errors.Is(err, models.ErrQuotaExceeded) || plan.CallsNeeded > plan.QuotaLeft
	for _, call := range plan.Calls {
		page.Calls = append(page.Calls, views.PlannedCall{Endpoint: call.Endpoint, Count: call.Count, Uncounted: call.Uncounted})
	}
	a.render(c, status, views.CatchUpConfirm(page))
	return nil
}
