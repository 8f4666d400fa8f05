package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendConfirm shows the plan (calls, quota, recipients, OpenID problems)
// before anything is sent.
func (a *app) sendConfirm(c *gin.Context) error {
	d, ok := a.draftParam(c)
	if !ok {
		return nil
	}
	f := sendFields(c)
	if f.Key == "" {
		f.Key = randomToken()
	}
	a.planAndConfirm(c, d, f, http.StatusOK, nil)
	return nil
}

// planAndConfirm plans the send and renders the confirm page, or the send
// form again when the choice is invalid.
func (a *app) planAndConfirm(c *gin.Context, d models.Draft, f views.SendFields, status int, errs views.FieldErrors) {
	plan, err := a.svc.PlanSend(c.Request.Context(), sendInput(d.ID, f))
	if fe, ok := validationErrors(err); ok {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, f, fe)
		return
	}
	exceeded := errors.Is(err, models.ErrQuotaExceeded)
	if err != nil && !exceeded {
		a.fail(c, err)
		return
	}
	a.renderConfirm(c, status, d, f, plan, exceeded, errs)
}

func (a *app) renderConfirm(c *gin.Context, status int, d models.Draft, f views.SendFields, plan models.Plan, exceeded bool, errs views.FieldErrors) {
	page := views.SendConfirmPage{
		DraftID:       d.ID,
		DraftTitle:    draftTitle(d),
		Form:          f,
		CallsNeeded:   plan.CallsNeeded,
		QuotaLeft:     plan.QuotaLeft,
		Recipients:    plan.Recipients,
		Batches:       plan.Batches,
		Everyone:      plan.Everyone || f.Target == string(models.TargetAll),
		GroupName:     plan.GroupName,
		ByTag:         a.audienceByTag(c),
		QuotaExceeded: exceeded || plan.CallsNeeded > plan.QuotaLeft,
		Errors:        errs,
		MonthlyCap:    plan.MonthlyCap,
		ReceivedMonth: plan.ReceivedThisMonth,
		OverCap:       plan.OverCap,
	}
	for _, call := range plan.Calls {
		page.Calls = append(page.Calls, views.PlannedCall{Endpoint: call.Endpoint, Count: call.Count, Uncounted: call.Uncounted})
	}
	for _, p := range plan.OpenIDProblems {
		page.OpenIDProblems = append(page.OpenIDProblems, views.OpenIDProblem{Line: p.Line, Value: p.Value, Reason: p.Reason})
	}
	l := a.layout(c, "confirm.title", page.DraftTitle)
	l.Nav = "drafts"
	page.Layout = l
	a.render(c, status, views.SendConfirm(page))
}
