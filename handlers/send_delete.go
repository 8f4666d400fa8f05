package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendDeleteConfirm is the second step before message/mass/delete.
func (a *app) sendDeleteConfirm(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	s, err := a.svc.Send(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if !s.Deletable() {
		a.flash(c, deleteRefusal(s.State))
		a.redirect(c, fmt.Sprintf("/sends/%d", id))
		return nil
	}
	// Sends of the same unchanged draft share one news media id and so one article page: the
	// operator learns which ones lose their article too before confirming.
	shared, err := a.svc.SendsSharingArticle(c.Request.Context(), id)
	if err != nil {
		return err
	}
	l := a.layout(c, "delete.title")
	l.Nav = "sends"
	p := views.DeleteConfirmPage{Layout: l, Send: sendView(s, l.Lang), Calls: s.DeleteCalls()}
	for _, o := range shared {
		p.Sharing = append(p.Sharing, views.SendRef{ID: o.ID, Title: o.Title})
	}
	a.render(c, http.StatusOK, views.DeleteConfirm(p))
	return nil
}

func deleteRefusal(state models.SendState) string {
	if state == models.StateDeleted {
		return "err.already_deleted"
	}
	return "err.not_finished"
}

func (a *app) sendDelete(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	err = a.svc.DeleteSend(c.Request.Context(), id, operatorOf(c).ID)
	switch {
	case errors.Is(err, models.ErrNotFinished):
		a.flash(c, "err.not_finished")
	case errors.Is(err, models.ErrAlreadyDeleted):
		a.flash(c, "err.already_deleted")
	case errors.Is(err, models.ErrQuotaExceeded):
		a.flash(c, "err.delete_quota")
	case isAPIError(err):
		a.log.Warn("delete refused by wechat", "send_id", id, "err", err)
		a.flash(c, "err.delete_failed")
	case err != nil:
		return err
	default:
		a.log.Info("send deleted", "send_id", id, "operator_id", operatorOf(c).ID)
		a.audit(c, models.AuditSendDelete, auditTarget("send", id), "")
		a.flash(c, "flash.send_deleted")
	}
	a.redirect(c, fmt.Sprintf("/sends/%d", id))
	return nil
}

func isAPIError(err error) bool {
	var apiErr models.APIError
	return errors.As(err, &apiErr)
}
