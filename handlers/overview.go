package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// overviewPage is the page after login (GET /overview, every role): the account's sends over a
// range of Beijing days. A bad range shows the default one with the fields' errors (422).
func (a *app) overviewPage(c *gin.Context) error {
	q := c.Request.URL.Query()
	r, rerr := models.ParseOverviewRange(q.Get("from"), q.Get("to"), q.Get("gran"), a.now())
	var ve *models.ValidationError
	if rerr != nil && !errors.As(rerr, &ve) {
		return rerr
	}
	l := a.layout(c, "overview.title")
	l.Nav = "overview"
	live, err := a.overviewLive(c, l, r)
	if err != nil {
		return err
	}
	p := views.OverviewPage{Layout: l, Live: live, Form: overviewForm(r, a.now())}
	status := http.StatusOK
	if ve != nil {
		status = http.StatusUnprocessableEntity
		p.Errors = views.FieldErrors(ve.Fields)
		// What was typed stays in the fields, to be corrected.
		p.Form.From, p.Form.To, p.Form.Gran = q.Get("from"), q.Get("to"), q.Get("gran")
	}
	a.render(c, status, views.Overview(p))
	return nil
}

// overviewLiveFragment is the polled part of the overview (GET /overview/live): 204 while the
// figures are those of version v, else the part drawn anew.
func (a *app) overviewLiveFragment(c *gin.Context) error {
	q := c.Request.URL.Query()
	r, err := models.ParseOverviewRange(q.Get("from"), q.Get("to"), q.Get("gran"), a.now())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	v, err := a.svc.OverviewVersion(c.Request.Context())
	if err != nil {
		return err
	}
	if v == q.Get("v") {
		c.Status(http.StatusNoContent)
		return nil
	}
	l := views.Layout{Lang: langOf(c), CSRF: a.csrfToken(c)}
	live, err := a.overviewLive(c, l, r)
	if err != nil {
		return err
	}
	a.render(c, http.StatusOK, views.OverviewLiveView(l, live))
	return nil
}

// overviewLive computes the figures of r with their version (read first: a change between the
// two reads is shown at the next poll, never missed).
func (a *app) overviewLive(c *gin.Context, l views.Layout, r models.OverviewRange) (views.OverviewLive, error) {
	ctx := c.Request.Context()
	v, err := a.svc.OverviewVersion(ctx)
	if err != nil {
		return views.OverviewLive{}, err
	}
	ov, err := a.svc.Overview(ctx, r)
	if err != nil {
		return views.OverviewLive{}, err
	}
	live := views.OverviewLive{Query: rangeQuery(r), Version: v, Panels: overviewPanels(l, ov), GrowthFetchedAt: ov.GrowthFetchedAt}
	for _, s := range ov.Recent {
		live.Recent = append(live.Recent, recentSendView(s, l.Lang))
	}
	return live, nil
}

// rangeQuery is the query string that names r.
func rangeQuery(r models.OverviewRange) string {
	return url.Values{"from": {r.FirstDay()}, "to": {r.LastDay()}, "gran": {string(r.Gran)}}.Encode()
}

// overviewPresets are the ranges offered in one click: the last 7, 30 and 90 days.
var overviewPresets = []int{7, 30, 90}

func overviewForm(r models.OverviewRange, now time.Time) views.OverviewForm {
	f := views.OverviewForm{From: r.FirstDay(), To: r.LastDay(), Gran: string(r.Gran)}
	def := models.DefaultOverviewRange(now)
	for _, n := range overviewPresets {
		to := def.To
		from := to.AddDate(0, 0, -n)
		pr := models.OverviewRange{From: from, To: to, Gran: r.Gran}
		f.Presets = append(f.Presets, views.OverviewPreset{Days: n, URL: "/overview?" + rangeQuery(pr),
			Current: r.LastDay() == def.LastDay() && r.Days() == n})
	}
	return f
}

func recentSendView(s models.RecentSend, lang string) views.OverviewSend {
	v := views.OverviewSend{
		ID: s.ID, Title: s.Title, State: string(s.State), SubmittedAt: s.SubmittedAt, Status: s.Status,
		Target:     views.Target{Kind: string(s.Target), GroupName: s.GroupName, ByTag: s.ByTag, Recipients: s.Recipients},
		Stats:      views.Stats{Total: s.Total, Filter: s.Filter, Sent: s.Sent, Error: s.Error},
		HasFigures: s.Status != "" || s.Total > 0,
	}
	if s.Status != "" {
		v.StatusReason = statusReason(s.Status, lang)
	}
	v.DeliveryRate = "—"
	if s.Filter > 0 {
		v.DeliveryRate = percent(float64(s.Sent) / float64(s.Filter))
	}
	return v
}

// percent shows a ratio as a percentage with one decimal.
func percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }
