package handlers

import (
	"errors"
	"net/http"
	"unicode/utf8"

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
	f, errs := sendFields(c)
	if f.Key == "" {
		f.Key = randomToken()
	}
	if listTooLong(f.OpenIDs) {
		a.listTooLarge(c)
		return nil
	}
	if errs != nil {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, f, errs)
		return nil
	}
	if !a.resolveAudience(c, d, &f) { // a saved audience becomes an OpenID list (audiences_send.go)
		return nil
	}
	a.planAndConfirm(c, d, f, http.StatusOK, nil)
	return nil
}

// resolveList fills f.OpenIDs from the list the confirm page kept (f.ListID), or answers the
// send form again (422) when that list has expired. False when it has answered.
func (a *app) resolveList(c *gin.Context, d models.Draft, f *views.SendFields) bool {
	if f.Target != string(models.TargetOpenIDs) || f.ListID == "" {
		return true
	}
	text, audienceID, err := a.svc.PlanListOf(c.Request.Context(), f.ListID, d.ID, operatorOf(c).ID)
	if errors.Is(err, models.ErrNotFound) {
		f.ListID, f.OpenIDs = "", ""
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, *f, views.FieldErrors{"openids": "err.list_expired"})
		return false
	}
	if err != nil {
		a.fail(c, err)
		return false
	}
	f.OpenIDs, f.ListAudience = text, audienceID
	return true
}

// planAndConfirm plans the send and renders the confirm page, or the send
// form again when the choice is invalid.
// An OpenID list is kept on the server (models.SavePlanList) and the page carries only its id.
func (a *app) planAndConfirm(c *gin.Context, d models.Draft, f views.SendFields, status int, errs views.FieldErrors) {
	if !a.resolveList(c, d, &f) {
		return
	}
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
	if f.Target == string(models.TargetOpenIDs) && f.ListID == "" {
		if f.ListID, err = a.svc.SavePlanList(c.Request.Context(), d.ID, operatorOf(c).ID, f.OpenIDs); err != nil {
			a.fail(c, err)
			return
		}
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
		NeedsApproval: plan.NeedsApproval,
		Errors:        errs,
		MonthlyCap:    plan.MonthlyCap,
		ReceivedMonth: plan.ReceivedThisMonth,
		OverCap:       plan.OverCap,
		Audience: views.PlanAudience{FollowersKnown: plan.FollowersKnown, List: f.Target == string(models.TargetOpenIDs),
			Refusers: plan.Refusers, LeftOut: plan.LeftOut, IncludeCapped: f.IncludeCapped},
	}
	page.Schedule = a.scheduleForm(c, page.QuotaExceeded)
	for _, call := range plan.Calls {
		page.Calls = append(page.Calls, views.PlannedCall{Endpoint: call.Endpoint, Count: call.Count, Uncounted: call.Uncounted})
	}
	// The first problems, each value cut short: a list of 100,000 bad lines is not a page of them.
	page.ProblemCount = len(plan.OpenIDProblems)
	for _, p := range plan.OpenIDProblems[:min(len(plan.OpenIDProblems), shownProblems)] {
		page.OpenIDProblems = append(page.OpenIDProblems, views.OpenIDProblem{Line: p.Line, Value: shortValue(p.Value), Reason: p.Reason})
	}
	l := a.layout(c, "confirm.title", page.DraftTitle)
	l.Nav = "drafts"
	page.Layout = l
	a.render(c, status, views.SendConfirm(page))
}

// shortValue cuts a bad line for display (an OpenID has at most 64 characters).
func shortValue(v string) string {
	const maxRunes = 80
	if utf8.RuneCountInString(v) <= maxRunes {
		return v
	}
	return string([]rune(v)[:maxRunes]) + "…"
}
