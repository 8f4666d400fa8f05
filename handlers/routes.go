package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
)

// Route is one entry of the route table. Access is who may use it: anyone (public, no session
// needed) or a logged-in operator whose role is at least Access. An action returns its error;
// fail (errors.go) turns it into the response.
type Route struct {
	Method string
	Path   string
	Access models.Role
	handle func(*app, *gin.Context) error
}

// Who may use a route, in the table's words.
const (
	public = models.Role("") // anyone, no session
	viewer = models.RoleViewer
	editor = models.RoleEditor
	admin  = models.RoleAdmin
)

// Public reports whether the route needs no session.
func (r Route) Public() bool { return r.Access == public }

// routes is the whole surface of the application, on one screen.
var routes = []Route{
	// public: health, login, first run, language, static files, WeChat's callback
	{http.MethodGet, "/healthz", public, (*app).healthz},
	{http.MethodGet, "/login", public, (*app).loginForm},
	{http.MethodPost, "/login", public, (*app).login},
	{http.MethodGet, "/setup", public, (*app).setupForm},
	{http.MethodPost, "/setup", public, (*app).setup},
	{http.MethodPost, "/lang", public, (*app).setLanguage},
	{http.MethodGet, "/static/*filepath", public, (*app).serveStatic},
	{http.MethodGet, "/wechat/callback", public, (*app).callbackVerify},
	{http.MethodPost, "/wechat/callback", public, (*app).callbackEvent},

	// session
	{http.MethodGet, "/", viewer, (*app).home},
	{http.MethodPost, "/logout", viewer, (*app).logout},

	// drafts and thumbnails
	{http.MethodGet, "/drafts", editor, (*app).draftsList},
	{http.MethodGet, "/drafts/new", editor, (*app).draftNew},
	{http.MethodPost, "/drafts", editor, (*app).draftSave},
	{http.MethodGet, "/drafts/:id", editor, (*app).draftEdit},
	{http.MethodPost, "/drafts/:id", editor, (*app).draftSave},
	{http.MethodPost, "/drafts/:id/delete", editor, (*app).draftDelete},
	{http.MethodPost, "/drafts/preview-render", editor, (*app).draftPreviewRender}, // the editor's phone preview (draft_preview.go)
	{http.MethodPost, "/thumbs", editor, (*app).thumbUpload},
	{http.MethodGet, "/thumbs/:id", viewer, (*app).thumbShow},
	{http.MethodPost, "/images", editor, (*app).imageUpload}, // images inside article content (image_upload.go)
	{http.MethodGet, "/images/:id", viewer, (*app).imageShow},

	// sending
	{http.MethodGet, "/drafts/:id/send", editor, (*app).sendForm},
	{http.MethodPost, "/drafts/:id/send/confirm", editor, (*app).sendConfirm},
	{http.MethodPost, "/drafts/:id/send", editor, (*app).sendCreate},
	{http.MethodPost, "/drafts/:id/preview", editor, (*app).previewSend},     // one person first (preview.go)
	{http.MethodPost, "/drafts/:id/schedule", editor, (*app).scheduleCreate}, // 定时群发 (schedule.go)

	// history
	{http.MethodGet, "/sends", viewer, (*app).sendsList},
	{http.MethodGet, "/sends.csv", viewer, (*app).sendsCSV}, // the history's downloads (sends_export.go)
	{http.MethodGet, "/sends.xlsx", viewer, (*app).sendsXLSX},
	{http.MethodGet, "/sends/:id", viewer, (*app).sendShow},
	{http.MethodGet, "/sends/:id/stats", viewer, (*app).sendStats},
	{http.MethodGet, "/sends/:id/delete", editor, (*app).sendDeleteConfirm},
	{http.MethodPost, "/sends/:id/delete", editor, (*app).sendDelete},
	{http.MethodGet, "/sends/:id/catchup", editor, (*app).sendCatchUpConfirm}, // 补发 (send_catchup.go)
	{http.MethodPost, "/sends/:id/catchup", editor, (*app).sendCatchUp},

	// scheduled sends (schedule.go)
	{http.MethodGet, "/schedules", viewer, (*app).schedulesList},
	{http.MethodGet, "/schedules/:id", editor, (*app).scheduleEdit},
	{http.MethodPost, "/schedules/:id", editor, (*app).scheduleSave},
	{http.MethodPost, "/schedules/:id/cancel", editor, (*app).scheduleCancel},
	{http.MethodPost, "/schedules/:id/send", editor, (*app).scheduleSendNow},

	// settings: account and API profile (settings.go)
	{http.MethodGet, "/settings", admin, (*app).settingsForm},
	{http.MethodPost, "/settings", admin, (*app).settingsSave},

	// saved audiences: imported OpenID lists and saved filters (audiences.go)
	{http.MethodGet, "/audiences", editor, (*app).audiencesList},
	{http.MethodGet, "/audiences/new", editor, (*app).audienceNew},
	{http.MethodPost, "/audiences", editor, (*app).audienceImport},
	{http.MethodPost, "/audiences/filter", editor, (*app).audienceFilterSave},
	{http.MethodGet, "/audiences/:id", editor, (*app).audienceShow},
	{http.MethodPost, "/audiences/:id/rename", editor, (*app).audienceRename},
	{http.MethodPost, "/audiences/:id/delete", editor, (*app).audienceDelete},
	// followers: sync, its progress, the table (followers.go)
	{http.MethodGet, "/followers", viewer, (*app).followersPage},
	{http.MethodPost, "/followers/sync", editor, (*app).followerSyncStart},
	{http.MethodGet, "/followers/sync/status", viewer, (*app).followerSyncStatus},
	{http.MethodPost, "/settings/followers-sync", admin, (*app).followerSyncDaily},

	// operators and roles (operators.go); each operator's own password (account_password.go)
	{http.MethodGet, "/operators", admin, (*app).operatorsList},
	{http.MethodGet, "/operators/new", admin, (*app).operatorNew},
	{http.MethodPost, "/operators", admin, (*app).operatorCreate},
	{http.MethodGet, "/operators/:id", admin, (*app).operatorShow},
	{http.MethodPost, "/operators/:id/role", admin, (*app).operatorSetRole},
	{http.MethodPost, "/operators/:id/disable", admin, (*app).operatorDisable},
	{http.MethodPost, "/operators/:id/enable", admin, (*app).operatorEnable},
	{http.MethodPost, "/operators/:id/reset", admin, (*app).operatorReset},
	{http.MethodGet, "/account/password", viewer, (*app).accountPasswordForm},
	{http.MethodPost, "/account/password", viewer, (*app).accountPasswordSave},
	// an admin ends all sessions of an operator (session_revoke.go)
	{http.MethodPost, "/operators/:id/sessions/revoke", admin, (*app).sessionsRevoke},
	// four-eyes approval (send_approval.go) and the audit log (audit_page.go, audit_csv.go)
	{http.MethodPost, "/sends/:id/approve", admin, (*app).sendApprove},
	{http.MethodPost, "/sends/:id/reject", editor, (*app).sendReject}, // another admin, or the requester withdrawing
	{http.MethodPost, "/settings/approval", admin, (*app).approvalRuleSave},
	{http.MethodGet, "/audit", admin, (*app).auditPage},
	{http.MethodGet, "/audit.csv", admin, (*app).auditCSV},
	// the overview, the page after login (overview.go, overview_export.go)
	{http.MethodGet, "/overview", viewer, (*app).overviewPage},
	{http.MethodGet, "/overview/live", viewer, (*app).overviewLiveFragment},
	{http.MethodGet, "/overview/data.csv", viewer, (*app).overviewCSV},
	{http.MethodGet, "/overview/data.xlsx", viewer, (*app).overviewXLSX},
	// nothing lost: autosave, versions, copies (draft_autosave.go, draft_versions.go, draft_duplicate.go)
	{http.MethodPost, "/drafts/autosave", editor, (*app).draftAutosave},
	{http.MethodPost, "/drafts/:id/autosave", editor, (*app).draftAutosave},
	{http.MethodGet, "/drafts/:id/versions", editor, (*app).draftVersions},
	{http.MethodGet, "/drafts/:id/versions/:v", editor, (*app).draftVersionShow},
	{http.MethodPost, "/drafts/:id/versions/:v/restore", editor, (*app).draftVersionRestore},
	{http.MethodPost, "/drafts/:id/duplicate", editor, (*app).draftDuplicate},
	{http.MethodPost, "/sends/:id/duplicate", editor, (*app).sendDuplicate},
	// a send's report and WeChat's reading statistics (send_report.go)
	{http.MethodGet, "/sends/:id/report", viewer, (*app).sendReport},
	{http.MethodGet, "/sends/:id/report/live", viewer, (*app).sendReportLive},
	{http.MethodPost, "/sends/:id/report/fetch", admin, (*app).sendReportFetch},
	// A/B title tests (abtest.go)
	{http.MethodGet, "/drafts/:id/abtest", editor, (*app).abTestForm},
	{http.MethodPost, "/drafts/:id/abtest", editor, (*app).abTestCreate},
	{http.MethodGet, "/abtests", viewer, (*app).abTestsList},
	{http.MethodGet, "/abtests/:id", viewer, (*app).abTestShow},
	{http.MethodPost, "/abtests/:id/winner", editor, (*app).abTestWinner},
}

// Routes returns the route table (tests walk it).
func Routes() []Route {
	return append([]Route(nil), routes...)
}

func (a *app) healthz(c *gin.Context) error {
	c.String(http.StatusOK, "ok")
	return nil
}

// home is the overview, for every role.
func (a *app) home(c *gin.Context) error {
	a.redirect(c, homeOf(operatorOf(c)))
	return nil
}

// homeOf is where op starts: the overview (issue 9), whatever the role; each role's menu then
// offers what it may do.
func homeOf(models.Operator) string {
	return "/overview"
}
