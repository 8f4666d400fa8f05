package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
	"qunfa/wechat/protocol"
)

// A send's report (issue 9, point 2) is a page of its own, linked from the send's page: the send
// page is where an operator acts on a send (approve, delete, catch up) while WeChat works; the
// report is the read-only account of how it did, for every role, that keeps changing for a week
// after (reading statistics) and is polled at its own pace.

// sendReport is GET /sends/:id/report.
func (a *app) sendReport(c *gin.Context) error {
	_, r, err := a.reportView(c)
	if err != nil {
		return err
	}
	l := a.layout(c, "report.title")
	l.Nav = "sends"
	a.render(c, http.StatusOK, views.SendReport(views.ReportPage{Layout: l, Report: r}))
	return nil
}

// sendReportLive is the report's live part, polled by the page with the version it shows: 204
// (htmx swaps nothing) while nothing changed, else the part with its new version.
func (a *app) sendReportLive(c *gin.Context) error {
	_, r, err := a.reportView(c)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	if c.Query("v") == r.Version {
		c.Status(http.StatusNoContent)
		return nil
	}
	// No flash pop here: a fragment must not swallow the next page's message.
	l := views.Layout{Lang: langOf(c), CSRF: a.csrfToken(c), CanEdit: operatorOf(c).Role.AtLeast(editor),
		CanAdmin: operatorOf(c).Role.AtLeast(admin)}
	a.render(c, http.StatusOK, views.ReportLive(l, r))
	return nil
}

// sendReportFetch is POST /sends/:id/report/fetch (admins): the daily statistics fetch, now.
// The worker runs it; the report shows the figures when they arrive.
func (a *app) sendReportFetch(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	if _, err := a.svc.Send(c.Request.Context(), id); err != nil {
		return err
	}
	a.svc.RequestArticleStatsFetch()
	a.audit(c, models.AuditStatsFetch, auditTarget("send", id), "")
	a.flash(c, "flash.stats_fetch")
	a.redirect(c, fmt.Sprintf("/sends/%d/report", id))
	return nil
}

// reportView gathers the report of the send named by :id.
func (a *app) reportView(c *gin.Context) (models.Send, views.ReportView, error) {
	ctx := c.Request.Context()
	id, err := a.idParam(c)
	if err != nil {
		return models.Send{}, views.ReportView{}, err
	}
	s, err := a.svc.Send(ctx, id)
	if err != nil {
		return s, views.ReportView{}, err
	}
	stats, err := a.svc.SendReadStats(ctx, s)
	if err != nil {
		return s, views.ReportView{}, err
	}
	events, err := a.svc.SendTimeline(ctx, s, stats)
	if err != nil {
		return s, views.ReportView{}, err
	}
	now := a.svc.Rules().Now()
	r := buildReport(s, langOf(c), stats, events, now)
	r.CanFetch = operatorOf(c).Role.AtLeast(admin) && r.PollEvery != ""
	r.FetchBudget = models.ArticleStatsDailyCalls
	return s, r, nil
}

// reportStatsDays is how long after its send a report may still change: the 7 days WeChat
// counts, published the morning after the last.
const reportStatsDays = protocol.ArticleStatsWindowDays + 1

// buildReport turns the send, its reading statistics and its timeline into the report's view.
func buildReport(s models.Send, lang string, st models.SendReadStats, events []models.TimelineEvent, now time.Time) views.ReportView {
	sv := sendView(s, lang)
	r := views.ReportView{Send: sv, Funnel: views.Funnel(sv.Stats), BatchSum: views.SumBatches(sv.Batches)}
	r.Reads = views.ReadsView{Total: readFigures(st.Total), LeadReaders: st.LeadReaders, Sent: s.Sent,
		Rate: views.Percent(st.LeadReaders, s.Sent), FetchedAt: st.FetchedAt}
	for _, d := range st.Days {
		r.Reads.Days = append(r.Reads.Days, views.ReadDayView{Date: d.Date, Day: readFigures(d.Day), Total: readFigures(d.Total)})
	}
	for _, ar := range st.Articles {
		r.Reads.Articles = append(r.Reads.Articles, views.ArticleReadView{Index: ar.Index, Title: ar.Title,
			ReadFigures: readFigures(ar.ReadFigures), Rate: views.Percent(ar.ReadUser, s.Sent)})
	}
	if len(r.Reads.Days) == 0 {
		r.Reads.Pending = views.ReadsPending(string(s.State), s.Sent, s.SubmittedAt, now)
	}
	for _, e := range events {
		r.Timeline = append(r.Timeline, views.TimelineView{At: e.At, Action: e.Action, Who: e.Who, Addr: e.Addr, Detail: e.Detail})
	}
	switch {
	case s.AwaitingWeChat():
		r.PollEvery = "2s" // a callback is on its way
	case s.State == models.StateFinished && s.Sent > 0 && s.SubmittedAt != nil && now.Sub(*s.SubmittedAt) < reportStatsDays*24*time.Hour:
		r.PollEvery = "5s" // reading statistics still to come
	}
	r.Version = r.ComputeVersion()
	return r
}

func readFigures(f models.ReadFigures) views.ReadFigures {
	return views.ReadFigures{ReadUser: f.ReadUser, ReadCount: f.ReadCount, ShareUser: f.ShareUser,
		ShareCount: f.ShareCount, FavUser: f.FavUser, FavCount: f.FavCount}
}
