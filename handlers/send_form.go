package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendFields reads the recipient choice shared by the send, confirm and
// create steps.
func sendFields(c *gin.Context) views.SendFields {
	gid, _ := strconv.ParseInt(c.PostForm("group_id"), 10, 64)
	return views.SendFields{
		Target:  c.PostForm("target"),
		GroupID: gid,
		OpenIDs: c.PostForm("openids"),
		Key:     c.PostForm("key"),
	}
}

func sendInput(draftID uint, f views.SendFields) models.SendInput {
	return models.SendInput{
		DraftID: draftID,
		Target:  models.TargetKind(f.Target),
		GroupID: f.GroupID,
		OpenIDs: f.OpenIDs,
		Key:     f.Key,
	}
}

func draftTitle(d models.Draft) string {
	if len(d.Articles) > 0 {
		return d.Articles[0].Title
	}
	return ""
}

func (a *app) sendForm(c *gin.Context) error {
	d, ok := a.draftParam(c)
	if !ok {
		return nil
	}
	// A fresh idempotency key per visit: a double click or a resubmitted
	// confirm page carries the same key and never sends twice.
	a.renderSendForm(c, http.StatusOK, d, views.SendFields{Target: "group", Key: randomToken()}, nil)
	return nil
}

func (a *app) renderSendForm(c *gin.Context, status int, d models.Draft, f views.SendFields, errs views.FieldErrors) {
	a.renderSendFormPreview(c, status, d, f, errs, views.PreviewSection{Kind: views.PreviewByWXName})
}

// renderSendFormPreview is renderSendForm with the preview form as the operator left it; the
// draft's recent previews are added here (preview.go).
func (a *app) renderSendFormPreview(c *gin.Context, status int, d models.Draft, f views.SendFields, errs views.FieldErrors, pv views.PreviewSection) {
	page := views.SendFormPage{
		DraftID:    d.ID,
		DraftTitle: draftTitle(d),
		Form:       f,
		Errors:     errs,
	}
	groups, byTag, err := a.svc.Audiences(c.Request.Context())
	page.ByTag = byTag
	if err != nil {
		a.log.Error("load groups or tags", "err", err)
		page.GroupsErr = "err.groups_unavailable"
		if byTag {
			page.GroupsErr = "err.tags_unavailable"
		}
	}
	for _, g := range groups {
		page.Groups = append(page.Groups, views.GroupOption{ID: g.ID, Name: g.Name, Count: g.Count})
	}
	l := a.layout(c, "send.title", page.DraftTitle)
	l.Nav = "drafts"
	page.Layout = l
	pv.Recent = a.recentPreviews(c, d.ID)
	a.render(c, status, views.SendFormView(page, pv))
}
