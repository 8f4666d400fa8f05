package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Route is one entry of the route table. Public routes need no session. An action returns
// its error; fail (errors.go) turns it into the response.
type Route struct {
	Method string
	Path   string
	Public bool
	handle func(*app, *gin.Context) error
}

// routes is the whole surface of the application, on one screen.
var routes = []Route{
	// public: health, login, first run, language, static files, WeChat's callback
	{http.MethodGet, "/healthz", true, (*app).healthz},
	{http.MethodGet, "/login", true, (*app).loginForm},
	{http.MethodPost, "/login", true, (*app).login},
	{http.MethodGet, "/setup", true, (*app).setupForm},
	{http.MethodPost, "/setup", true, (*app).setup},
	{http.MethodPost, "/lang", true, (*app).setLanguage},
	{http.MethodGet, "/static/*filepath", true, (*app).serveStatic},
	{http.MethodGet, "/wechat/callback", true, (*app).callbackVerify},
	{http.MethodPost, "/wechat/callback", true, (*app).callbackEvent},

	// session
	{http.MethodGet, "/", false, (*app).home},
	{http.MethodPost, "/logout", false, (*app).logout},

	// drafts and thumbnails
	{http.MethodGet, "/drafts", false, (*app).draftsList},
	{http.MethodGet, "/drafts/new", false, (*app).draftNew},
	{http.MethodPost, "/drafts", false, (*app).draftSave},
	{http.MethodGet, "/drafts/:id", false, (*app).draftEdit},
	{http.MethodPost, "/drafts/:id", false, (*app).draftSave},
	{http.MethodPost, "/drafts/:id/delete", false, (*app).draftDelete},
	{http.MethodPost, "/thumbs", false, (*app).thumbUpload},
	{http.MethodGet, "/thumbs/:id", false, (*app).thumbShow},
	{http.MethodPost, "/images", false, (*app).imageUpload}, // images inside article content (image_upload.go)
	{http.MethodGet, "/images/:id", false, (*app).imageShow},

	// sending
	{http.MethodGet, "/drafts/:id/send", false, (*app).sendForm},
	{http.MethodPost, "/drafts/:id/send/confirm", false, (*app).sendConfirm},
	{http.MethodPost, "/drafts/:id/send", false, (*app).sendCreate},
	{http.MethodPost, "/drafts/:id/preview", false, (*app).previewSend},     // one person first (preview.go)
	{http.MethodPost, "/drafts/:id/schedule", false, (*app).scheduleCreate}, // 定时群发 (schedule.go)

	// history
	{http.MethodGet, "/sends", false, (*app).sendsList},
	{http.MethodGet, "/sends/:id", false, (*app).sendShow},
	{http.MethodGet, "/sends/:id/stats", false, (*app).sendStats},
	{http.MethodGet, "/sends/:id/delete", false, (*app).sendDeleteConfirm},
	{http.MethodPost, "/sends/:id/delete", false, (*app).sendDelete},
	{http.MethodGet, "/sends/:id/catchup", false, (*app).sendCatchUpConfirm}, // 补发 (send_catchup.go)
	{http.MethodPost, "/sends/:id/catchup", false, (*app).sendCatchUp},

	// scheduled sends (schedule.go)
	{http.MethodGet, "/schedules", false, (*app).schedulesList},
	{http.MethodGet, "/schedules/:id", false, (*app).scheduleEdit},
	{http.MethodPost, "/schedules/:id", false, (*app).scheduleSave},
	{http.MethodPost, "/schedules/:id/cancel", false, (*app).scheduleCancel},
	{http.MethodPost, "/schedules/:id/send", false, (*app).scheduleSendNow},

	// settings: account and API profile (settings.go)
	{http.MethodGet, "/settings", false, (*app).settingsForm},
	{http.MethodPost, "/settings", false, (*app).settingsSave},

	// saved audiences: imported OpenID lists and saved filters (audiences.go)
	{http.MethodGet, "/audiences", false, (*app).audiencesList},
	{http.MethodGet, "/audiences/new", false, (*app).audienceNew},
	{http.MethodPost, "/audiences", false, (*app).audienceImport},
	{http.MethodPost, "/audiences/filter", false, (*app).audienceFilterSave},
	{http.MethodGet, "/audiences/:id", false, (*app).audienceShow},
	{http.MethodPost, "/audiences/:id/rename", false, (*app).audienceRename},
	{http.MethodPost, "/audiences/:id/delete", false, (*app).audienceDelete},
	// followers: sync, its progress, the table (followers.go)
	{http.MethodGet, "/followers", false, (*app).followersPage},
	{http.MethodPost, "/followers/sync", false, (*app).followerSyncStart},
	{http.MethodGet, "/followers/sync/status", false, (*app).followerSyncStatus},
	{http.MethodPost, "/settings/followers-sync", false, (*app).followerSyncDaily},
}

// Routes returns the route table (tests walk it).
func Routes() []Route {
	return append([]Route(nil), routes...)
}

func (a *app) healthz(c *gin.Context) error {
	c.String(http.StatusOK, "ok")
	return nil
}

func (a *app) home(c *gin.Context) error {
	a.redirect(c, "/drafts")
	return nil
}
