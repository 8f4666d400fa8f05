package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
	"qunfa/views/i18n"
)

// previewSend sends the draft to one person (message/mass/preview) before the mass send: by
// WeChat ID (微信号) or OpenID, as the form's preview_kind says. Success goes back to the send
// form with a flash; a refused recipient, a quota too low for the uploads, or WeChat's refusal
// re-renders the send form (422) with the reason at the preview form.
func (a *app) previewSend(c *gin.Context) error {
	d, err := a.loadDraft(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	pv := views.PreviewSection{To: strings.TrimSpace(c.PostForm("preview_to")), Kind: views.PreviewByWXName}
	in := models.PreviewInput{DraftID: d.ID}
	if c.PostForm("preview_kind") == views.PreviewByOpenID {
		pv.Kind, in.ToOpenID = views.PreviewByOpenID, pv.To
	} else {
		in.ToWXName = pv.To
	}
	// The send form next to it starts afresh, with a new idempotency key.
	fresh := views.SendFields{Target: string(models.TargetGroup), Key: randomToken()}

	p, err := a.svc.Preview(ctx, in, operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		a.renderSendFormPreview(c, http.StatusUnprocessableEntity, d, fresh, fe, pv)
		return nil
	}
	switch {
	case errors.Is(err, models.ErrQuotaExceeded):
		a.renderSendFormPreview(c, http.StatusUnprocessableEntity, d, fresh,
			views.FieldErrors{"preview": "err.preview_quota_exceeded"}, pv)
		return nil
	case err != nil && p.ID == 0: // not recorded: not a refusal by WeChat
		return err
	case err != nil:
		lang := langOf(c)
		if p.Errcode != 0 {
			what, do := errcodeText(lang, p.Errcode)
			pv.Refusal, pv.RefusalDo = i18n.T(lang, "preview.refused", p.Errcode, what), do
			a.renderSendFormPreview(c, http.StatusUnprocessableEntity, d, fresh, nil, pv)
			return nil
		}
		a.renderSendFormPreview(c, http.StatusUnprocessableEntity, d, fresh, views.FieldErrors{"preview": "err.preview_failed"}, pv)
		return nil
	}
	a.log.Info("preview sent", "draft_id", d.ID, "preview_id", p.ID, "msg_id", p.MsgID, "operator_id", operatorOf(c).ID)
	a.audit(c, models.AuditPreview, auditTarget("draft", d.ID), p.Recipient())
	a.flash(c, "flash.preview_sent", p.Recipient())
	a.redirect(c, fmt.Sprintf("/drafts/%d/send#preview", d.ID))
	return nil
}

// recentPreviews is the draft's recent previews as the send form shows them. A failure to read
// them is logged, not fatal: the form still works.
func (a *app) recentPreviews(c *gin.Context, draftID uint) []views.PreviewRow {
	list, err := a.svc.Previews(c.Request.Context(), draftID)
	if err != nil {
		a.log.Error("load previews", "draft_id", draftID, "err", err)
		return nil
	}
	lang := langOf(c)
	rows := make([]views.PreviewRow, 0, len(list))
	for _, p := range list {
		r := views.PreviewRow{At: p.At, Recipient: p.Recipient(), ByWXName: p.ToWXName != "", OK: p.OK(),
			MsgID: p.MsgID, Errcode: p.Errcode}
		if p.Errcode != 0 {
			r.Reason, _ = errcodeText(lang, p.Errcode)
		}
		rows = append(rows, r)
	}
	return rows
}
