package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// maxListLines is the longest OpenID list the send form takes: 200,000 lines of 28-character
// OpenIDs are about 6.8 MB as a form, inside maxFormBytes; a longer list is answered 413.
const maxListLines = 200_000

// shownProblems is how many bad lines of a list the confirm page lists (the rest are counted).
const shownProblems = 100

// sendFields reads the recipient choice shared by the send, confirm and
// create steps. A group_id that is not a number is a field error (not
// group 0, which is a real group); a list that is not text is cleared
// rather than echoed back into the textarea.
func sendFields(c *gin.Context) (views.SendFields, views.FieldErrors) {
	f := views.SendFields{
		Target:  c.PostForm("target"),
		OpenIDs: c.PostForm("openids"),
		Key:     c.PostForm("key"),
		ListID:  c.PostForm("list_id"),
		// a saved audience (audiences_send.go)
		AudienceID: c.PostForm("audience_id"),
		// The send form carries include_capped; the confirmation's re-plan form a checkbox that
		// is ticked (leave them out) by default.
		IncludeCapped: c.PostForm("include_capped") == "1" ||
			(c.PostForm("capped_set") == "1" && c.PostForm("leave_out_capped") != "1"),
	}
	errs := views.FieldErrors{}
	gid, err := strconv.ParseInt(strings.TrimSpace(c.PostForm("group_id")), 10, 64)
	switch {
	case err == nil:
		f.GroupID = gid
	case f.Target == string(models.TargetGroup):
		errs["group"] = "err.group_invalid"
	}
	if !plainText(f.OpenIDs) {
		f.OpenIDs = ""
		errs["openids"] = "err.openids_binary"
	}
	if len(errs) == 0 {
		errs = nil
	}
	return f, errs
}

// plainText reports whether s is text a person pasted: valid UTF-8 without control characters
// other than tab and line breaks.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// listTooLong reports a list over maxListLines lines.
func listTooLong(text string) bool {
	return strings.Count(text, "\n") >= maxListLines
}

// isSendPost reports whether a POST is one of the send form's (where a body over the limit is
// an OpenID list too long).
func isSendPost(path string) bool {
	return strings.HasPrefix(path, "/drafts/") && (strings.HasSuffix(path, "/send") || strings.HasSuffix(path, "/send/confirm"))
}

// bodyTooLarge reports whether reading r's form stopped at the body limit (the middleware's
// http.MaxBytesReader keeps answering its error once it has hit it).
func bodyTooLarge(r *http.Request) bool {
	var mbe *http.MaxBytesError
	_, err := r.Body.Read(make([]byte, 1))
	return errors.As(err, &mbe)
}

// tooLarge answers a form body over the limit: on the send form the OpenID list is what made it
// so, and the page says how long a list may be; elsewhere the generic message.
func (a *app) tooLarge(c *gin.Context) {
	a.log.Warn("form body over the limit", "path", c.Request.URL.Path, "limit", maxFormBytes)
	if isAudiencePost(c.Request.URL.Path) {
		a.audienceFileTooLarge(c) // audiences.go
		return
	}
	if !isSendPost(c.Request.URL.Path) {
		a.renderError(c, http.StatusRequestEntityTooLarge, "err.too_large")
		return
	}
	a.listTooLarge(c)
}

// listTooLarge is the 413 page of an OpenID list over maxListLines (or over the body limit).
func (a *app) listTooLarge(c *gin.Context) {
	l := views.Layout{Lang: langOf(c), Title: "err.list_too_large_title", Path: c.Request.URL.Path}
	if hasSession(c.Request) {
		l.CSRF = a.csrfToken(c)
	}
	back := strings.TrimSuffix(c.Request.URL.Path, "/confirm")
	a.render(c, http.StatusRequestEntityTooLarge, views.ListTooLarge(l, maxListLines, back))
}

func sendInput(draftID uint, f views.SendFields) models.SendInput {
	return models.SendInput{
		DraftID: draftID,
		Target:  models.TargetKind(f.Target),
		GroupID: f.GroupID,
		OpenIDs: f.OpenIDs,
		Key:     f.Key,

		IncludeCapped: f.IncludeCapped,
		AudienceID:    f.ListAudience,
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
	page.Groups, page.ByTag, page.GroupsErr = a.groupOptions(c)
	l := a.layout(c, "send.title", page.DraftTitle)
	l.Nav = "drafts"
	page.Layout = l
	pv.Recent = a.recentPreviews(c, d.ID)
	page.Saved = a.savedAudienceChoice(c, f) // audiences_send.go
	a.render(c, status, views.SendFormView(page, pv))
}

// groupOptions lists the groups or tags of the API profile in force for a form's choice (the
// send form, a saved filter, a schedule's edit). When WeChat cannot be asked, errKey is the
// catalogue message the form shows instead.
func (a *app) groupOptions(c *gin.Context) (opts []views.GroupOption, byTag bool, errKey string) {
	groups, byTag, err := a.svc.Audiences(c.Request.Context())
	if err != nil {
		a.log.Error("load groups or tags", "err", err)
		errKey = "err.groups_unavailable"
		if byTag {
			errKey = "err.tags_unavailable"
		}
	}
	for _, g := range groups {
		opts = append(opts, views.GroupOption{ID: g.ID, Name: g.Name, Count: g.Count})
	}
	return opts, byTag, errKey
}
