package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// targetAudience is the send form's saved-audience choice; it never reaches the models: it is
// resolved to an OpenID list first.
const targetAudience = "audience"

// savedAudienceChoice lists the saved audiences for the send form: a list with its size; a
// filter without (it is counted when the plan is made, not on every visit of the form).
func (a *app) savedAudienceChoice(c *gin.Context, f views.SendFields) views.SavedAudienceChoice {
	choice := views.SavedAudienceChoice{Selected: f.AudienceID}
	list, err := a.svc.SavedAudiences(c.Request.Context())
	if err != nil {
		a.log.Error("load saved audiences", "err", err)
	}
	for _, au := range list {
		choice.Audiences = append(choice.Audiences, audienceRow(au))
	}
	return choice
}

// resolveAudience turns a saved-audience choice into the OpenID list it resolves to now, kept
// on the server (models.AudiencePlanList): f becomes an OpenID list with its ListID, and the
// confirmation goes on as for a pasted list. False when it has answered (the send form again,
// 422, saying why).
func (a *app) resolveAudience(c *gin.Context, d models.Draft, f *views.SendFields) bool {
	if f.Target != targetAudience {
		return true
	}
	id, err := strconv.ParseUint(strings.TrimSpace(f.AudienceID), 10, 32)
	if err != nil || id == 0 {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, *f, views.FieldErrors{models.FieldSavedAudience: "err.audience_choose"})
		return false
	}
	listID, n, err := a.svc.AudiencePlanList(c.Request.Context(), uint(id), d.ID, operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, *f, fe)
		return false
	}
	if errors.Is(err, models.ErrNotFound) {
		a.renderSendForm(c, http.StatusUnprocessableEntity, d, *f, views.FieldErrors{models.FieldSavedAudience: "err.audience_gone"})
		return false
	}
	if err != nil {
		a.fail(c, err)
		return false
	}
	a.log.Info("audience resolved for a send", "audience_id", id, "draft_id", d.ID, "open_ids", n)
	f.Target, f.ListID, f.OpenIDs = string(models.TargetOpenIDs), listID, ""
	return true
}
