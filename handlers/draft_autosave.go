package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
	"qunfa/views/i18n"
)

// autosaveJSON is the answer to the editor's autosave (static/js/autosave.js):
//
//	200 {ok, id, revision, url, saved_at, message}   saved (or nothing had changed)
//	409 {conflict, revision, by, at, message}        another save came in between: nothing written
//	422 {errors: {field: message}, message}          not valid yet: nothing written
//
// Anything else (a 403 page for an expired session or a bad token, a 404, a 500) is not JSON;
// the script words it from the status, and keeps the text in the browser in every case.
type autosaveJSON struct {
	OK       bool              `json:"ok"`
	ID       uint              `json:"id,omitempty"`
	Revision int64             `json:"revision"`
	URL      string            `json:"url,omitempty"`
	SavedAt  string            `json:"saved_at,omitempty"` // Beijing time, 15:04
	Message  string            `json:"message"`
	Conflict bool              `json:"conflict,omitempty"`
	By       string            `json:"by,omitempty"`
	At       string            `json:"at,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// draftAutosave saves the editor's form a few seconds after a change, and when the page is left
// (navigator.sendBeacon: then the CSRF token travels in the form, as csrf_token). POST
// /drafts/autosave creates the draft on its first save; POST /drafts/:id/autosave updates it.
func (a *app) draftAutosave(c *gin.Context) error {
	var id uint
	if c.Param("id") != "" {
		var err error
		if id, err = a.idParam(c); err != nil {
			return err
		}
	}
	if err := c.Request.ParseForm(); err != nil {
		return badRequest(err)
	}
	lang := langOf(c)
	in := draftInput(parseArticles(c.Request.PostForm))
	in.Base, in.Auto, in.Editor = formRevision(c.Request.PostForm), true, editorID(c.Request.PostForm.Get("editor"))
	d, err := a.svc.SaveDraft(c.Request.Context(), id, in, operatorOf(c).ID)
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ce):
		by := ce.By
		if by == "" {
			by = i18n.T(lang, "autosave.someone")
		}
		at := views.ClockTime(ce.At)
		c.JSON(http.StatusConflict, autosaveJSON{Conflict: true, Revision: ce.Revision, By: by, At: at,
			Message: i18n.T(lang, "autosave.conflict", by, at)})
		return nil
	case err != nil:
		if errs, ok := validationErrors(err); ok {
			out := autosaveJSON{Revision: in.Base, Message: i18n.T(lang, "autosave.invalid"), Errors: map[string]string{}}
			for field, key := range errs {
				out.Errors[field] = i18n.T(lang, key)
			}
			c.JSON(http.StatusUnprocessableEntity, out)
			return nil
		}
		return err
	}
	at := views.ClockTime(d.UpdatedAt)
	c.JSON(http.StatusOK, autosaveJSON{OK: true, ID: d.ID, Revision: d.Revision, URL: fmt.Sprintf("/drafts/%d", d.ID),
		SavedAt: at, Message: i18n.T(lang, "autosave.saved", at)})
	return nil
}

// editorID is the editor page's random id (autosave.js), kept only when it looks like one.
func editorID(v string) string {
	if len(v) > 64 {
		return ""
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return v
}

// formRevision is the revision a form says it is based on; 0 (not checked) when it says none.
func formRevision(form url.Values) int64 {
	n, err := strconv.ParseInt(form.Get("revision"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// conflictOf turns a refused save into what the editor shows: the draft's current revision (the
// form's base from now on, so submitting it again overwrites) and who saved it when. Any other
// outcome keeps the form's base.
func conflictOf(err error, base int64) (views.EditorRevision, bool) {
	var ce *models.ConflictError
	if !errors.As(err, &ce) {
		return views.EditorRevision{Revision: base}, false
	}
	return views.EditorRevision{Revision: ce.Revision,
		Conflict: &views.DraftConflict{Revision: ce.Revision, By: ce.By, At: ce.At}}, true
}
