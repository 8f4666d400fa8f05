package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// followersPage shows the sync (with its live progress), the groups or tags with their counts,
// and one keyset page of followers under the filter of the query string (GET /followers).
func (a *app) followersPage(c *gin.Context) error {
	ctx := c.Request.Context()
	l := a.layout(c, "followers.title")
	l.Nav = "followers"
	list, byTag, err := a.svc.FollowerAudiences(ctx)
	if err != nil {
		return err
	}
	f, fv := followerFilter(c, byTag)
	cur := models.FollowerCursor{After: c.Query("after"), Before: c.Query("before")}
	if cur.After != "" && cur.Before != "" {
		return badRequest(errors.New("both after and before"))
	}
	page, err := a.svc.Followers(ctx, f, cur)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	p := views.FollowersPage{Layout: l, ByTag: byTag, Filter: fv, MonthlyCap: a.svc.Rules().MonthlyCap}
	for _, g := range list {
		name := g.Name
		if name == "" {
			name = l.T("followers.unnamed", g.ID)
		}
		names[g.ID] = name
		q := url.Values{audienceParamName(byTag): {strconv.FormatInt(g.ID, 10)}}
		p.Audiences = append(p.Audiences, views.FollowerAudience{ID: g.ID, Name: name, Count: g.Count,
			URL: "/followers?" + q.Encode(), Selected: fv.Audience == strconv.FormatInt(g.ID, 10)})
	}
	for _, r := range page.Followers {
		row := views.FollowerRowView{OpenID: r.OpenID, Subscribed: r.Subscribed, SubscribedAt: views.FormatTimePtr(r.SubscribedAt),
			UnsubscribeAt: views.FormatTimePtr(r.UnsubscribedAt), Language: r.Language, Remark: r.Remark,
			Blacklisted: r.Blacklisted, Detailed: r.Detailed, MonthReceived: r.MonthReceived}
		if byTag {
			var tags []string
			for _, t := range r.Tags {
				tags = append(tags, nameOr(names, t, l))
			}
			row.Audience = strings.Join(tags, "、")
			if row.Audience == "" {
				row.Audience = "—"
			}
		} else {
			row.Audience = nameOr(names, r.GroupID, l)
		}
		p.Followers = append(p.Followers, row)
	}
	base := c.Request.URL.Query()
	base.Del("after")
	base.Del("before")
	if page.Prev != "" {
		q := cloneValues(base)
		q.Set("before", page.Prev)
		p.PrevURL = "/followers?" + q.Encode()
	}
	if page.Next != "" {
		q := cloneValues(base)
		q.Set("after", page.Next)
		p.NextURL = "/followers?" + q.Encode()
	}
	if job, err := a.svc.LatestFollowerSync(ctx); err == nil {
		p.Sync = syncView(job, l)
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if last, err := a.svc.LastFinishedFollowerSync(ctx); err == nil {
		mode := l.T("followers.mode_full")
		if last.Mode == models.SyncIncremental {
			mode = l.T("followers.mode_incremental")
		}
		p.LastSync = l.T("followers.last_sync", mode, views.FormatTimePtr(last.FinishedAt), digits(last.Listed), digits(last.Added), digits(last.Gone))
	}
	a.render(c, http.StatusOK, views.Followers(p))
	return nil
}

func nameOr(names map[int64]string, id int64, l views.Layout) string {
	if n, ok := names[id]; ok {
		return n
	}
	return l.T("followers.unnamed", id)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func audienceParamName(byTag bool) string {
	if byTag {
		return "tag"
	}
	return "group"
}

// followerFilter reads the filter from the query string. Values that do not parse are left out
// (and shown empty), as a filter form a person typed into.
func followerFilter(c *gin.Context, byTag bool) (models.FollowerFilter, views.FollowerFilterView) {
	var f models.FollowerFilter
	v := views.FollowerFilterView{Query: strings.TrimSpace(c.Query("q")), Status: c.Query("status")}
	f.Prefix = v.Query
	switch v.Status {
	case models.FollowersUnsubscribed, models.FollowersAll:
	default:
		v.Status = models.FollowersSubscribed
	}
	f.Status = v.Status
	if id, err := strconv.ParseInt(c.Query(audienceParamName(byTag)), 10, 64); err == nil {
		v.Audience = strconv.FormatInt(id, 10)
		if byTag {
			f.HasTag, f.Tag = true, id
		} else {
			f.HasGroup, f.Group = true, id
		}
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("from"), models.Beijing); err == nil {
		f.From, v.From = d, c.Query("from")
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("to"), models.Beijing); err == nil {
		f.To, v.To = d.AddDate(0, 0, 1), c.Query("to") // inclusive: up to the end of that day
	}
	v.Active = v.Query != "" || v.Audience != "" || v.Status != models.FollowersSubscribed || v.From != "" || v.To != ""
	return f, v
}

// followerSyncStart starts a sync (POST /followers/sync, mode full or incremental); when one is
// running the page shows its progress instead.
func (a *app) followerSyncStart(c *gin.Context) error {
	mode := c.PostForm("mode")
	if mode != models.SyncFull && mode != models.SyncIncremental {
		return &statusError{status: http.StatusBadRequest, key: "err.sync_mode", err: fmt.Errorf("sync mode %q", mode)}
	}
	_, started, err := a.svc.StartFollowerSync(c.Request.Context(), mode)
	if err != nil {
		return err
	}
	if started {
		a.audit(c, models.AuditFollowersSync, "", mode)
		a.flash(c, "flash.sync_started")
	} else {
		a.flash(c, "flash.sync_running")
	}
	a.redirect(c, "/followers")
	return nil
}

// followerSyncStatus is the latest sync's progress as JSON (GET /followers/sync/status), for the
// page's progress bar; {"id":0} when there has been none.
func (a *app) followerSyncStatus(c *gin.Context) error {
	l := views.Layout{Lang: langOf(c)}
	c.Header("Cache-Control", "no-store")
	job, err := a.svc.LatestFollowerSync(c.Request.Context())
	if errors.Is(err, models.ErrNotFound) {
		c.JSON(http.StatusOK, views.FollowerSyncView{})
		return nil
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, syncView(job, l))
	return nil
}

// syncView words a job's progress for the page and the status JSON.
func syncView(j models.FollowerSync, l views.Layout) views.FollowerSyncView {
	done, total := j.Progress()
	v := views.FollowerSyncView{ID: j.ID, Running: j.Running(), Phase: j.Phase, Done: done, Total: total, Finished: !j.Running()}
	if total > 0 {
		v.Percent = min(100, done*100/total)
	}
	switch j.Phase {
	case "listing":
		v.Text = l.T("followers.phase_listing", digits(j.Listed), digits(max(j.Total, j.Listed)))
	case "merging":
		v.Text = l.T("followers.phase_merging", digits(j.Listed))
		v.Percent = 100
	case "details":
		v.Text = l.T("followers.phase_details", digits(j.Detailed), digits(max(j.ToDetail, j.Detailed)))
	case "blacklist":
		v.Text = l.T("followers.phase_blacklist")
		v.Percent = 100
	case "done":
		v.Text = l.T("followers.phase_done", digits(j.Listed), digits(j.Added), digits(j.Gone))
		v.Percent = 100
	case "failed":
		v.Failed = true
		v.Text = l.T("followers.phase_failed")
		v.Error = j.Error
	}
	if j.Running() {
		if r := j.Rate(); r > 0 {
			if left := j.Left(); left > 0 {
				v.Speed = l.T("followers.speed", digits(int(r)), duration(l, left))
			} else {
				v.Speed = l.T("followers.speed_only", digits(int(r)))
			}
		}
	}
	return v
}

func duration(l views.Layout, d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 60 {
		return l.T("followers.seconds", max(s, 1))
	}
	return l.T("followers.minutes", s/60, s%60)
}

// digits writes n with thousands separators (1,234,567).
func digits(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// followerSyncDaily turns the daily incremental sync on or off (POST /settings/followers-sync).
func (a *app) followerSyncDaily(c *gin.Context) error {
	on := c.PostForm("daily") == "1"
	if err := a.svc.SetDailyFollowerSync(c.Request.Context(), on); err != nil {
		return err
	}
	a.audit(c, models.AuditFollowersDaily, "", fmt.Sprintf("on=%t", on))
	if on {
		a.flash(c, "flash.daily_sync_on")
	} else {
		a.flash(c, "flash.daily_sync_off")
	}
	a.redirect(c, "/settings")
	return nil
}
