package views

import (
	"fmt"
	"hash/fnv"
	"time"
)

// A send's report (/sends/:id/report, issue 9 point 2): the funnel, the batches summed, WeChat's
// reading statistics by day and by article, the read rate and the timeline. Its live part is
// polled with the version it shows and swapped only when that changes.

// ReportPage is the report's page.
type ReportPage struct {
	Layout Layout
	Report ReportView
}

// ReportView is what the report's live part shows.
type ReportView struct {
	Send     SendView
	Funnel   []FunnelStep
	BatchSum Stats // the batches added up (the send's own figures are the same sums)
	Reads    ReadsView
	Timeline []TimelineView
	// Version changes whenever something shown changes: the poll sends it, and an unchanged
	// report answers 204 (nothing to swap).
	Version string
	// PollEvery is the htmx polling interval ("" = the report cannot change any more).
	PollEvery string
	CanFetch  bool // the operator may ask WeChat for the statistics now (admins)
	// FetchBudget is how many datacube calls the fetch makes a day at most.
	FetchBudget int
}

// FunnelStep is one bar of the funnel Total → Filter → Sent / Error.
type FunnelStep struct {
	Key     string // catalogue key of its label (stats.total …)
	Value   int
	Percent string // of Total, "—" when Total is 0
}

// Funnel is the send's funnel, each step as a share of Total.
func Funnel(s Stats) []FunnelStep {
	steps := []FunnelStep{{Key: "stats.total", Value: s.Total}, {Key: "stats.filter", Value: s.Filter},
		{Key: "stats.sent", Value: s.Sent}, {Key: "stats.error", Value: s.Error}}
	for i := range steps {
		steps[i].Percent = Percent(steps[i].Value, s.Total)
	}
	return steps
}

// Percent is part/whole with one decimal ("12.5%"), or "—" when whole is 0.
func Percent(part, whole int) string {
	if whole <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
}

// SumBatches adds the batches' figures up.
func SumBatches(bs []BatchView) Stats {
	var s Stats
	for _, b := range bs {
		s.Total, s.Filter, s.Sent, s.Error = s.Total+b.Stats.Total, s.Filter+b.Stats.Filter, s.Sent+b.Stats.Sent, s.Error+b.Stats.Error
	}
	return s
}

// ReadFigures are reading figures: people and times.
type ReadFigures struct {
	ReadUser, ReadCount, ShareUser, ShareCount, FavUser, FavCount int
}

// ReadDayView is one day: its part and the total up to it.
type ReadDayView struct {
	Date       string
	Day, Total ReadFigures
}

// ArticleReadView is one article's figures and its read rate.
type ArticleReadView struct {
	Index int
	Title string
	ReadFigures
	Rate string // readers / SentCount
}

// ReadsView is the reading part of the report.
type ReadsView struct {
	Days        []ReadDayView
	Articles    []ArticleReadView
	Total       ReadFigures
	LeadReaders int    // people who read the first article
	Sent        int    // SentCount
	Rate        string // LeadReaders / Sent: the read rate
	FetchedAt   *time.Time
	// Pending is the catalogue key saying why there are no figures yet ("" when there are).
	Pending string
}

// ReadsPending says why a send has no reading statistics yet: not delivered (no figures to
// come), not finished, sent today (WeChat publishes the next morning), or not fetched yet.
func ReadsPending(state string, sent int, submitted *time.Time, now time.Time) string {
	switch {
	case state == "finished" && sent == 0, state == "failed" && sent == 0, state == "rejected":
		return "report.reads_never"
	case state != "finished" && state != "deleted" && state != "failed":
		return "report.reads_after_finish"
	case submitted != nil && submitted.In(beijing).Format(time.DateOnly) == now.In(beijing).Format(time.DateOnly):
		return "report.reads_tomorrow"
	}
	return "report.reads_not_yet"
}

// TimelineView is one moment of the send's life and who did it ("" = Qunfa or WeChat).
type TimelineView struct {
	At     time.Time
	Action string // catalogue key
	Who    string
	Addr   string
	Detail string
}

// ComputeVersion fingerprints what the live part shows.
func (r ReportView) ComputeVersion() string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%v|%v|%d|%v|%d|%d|%d|%d", r.Send.State, r.Send.Status, r.Send.Stats, r.Reads.Total,
		len(r.Reads.Days), r.Reads.FetchedAt, len(r.Timeline), len(r.Send.ArticleURLs), r.Send.CopyrightState, r.Send.ArticleRemovedBy)
	for _, b := range r.Send.Batches {
		fmt.Fprintf(h, "|%s%d%v", b.State, b.MsgID, b.Stats)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// ReportChart is the data the report's two charts draw (the page embeds it as JSON).
type ReportChart struct {
	Funnel ChartData `json:"funnel"`
	Days   []string  `json:"days"`
	Series []Series  `json:"series"`
}

// Series is one line of the reads chart.
type Series struct {
	Label  string `json:"label"`
	Values []int  `json:"values"`
}

func reportChart(l Layout, r ReportView) ReportChart {
	c := ReportChart{Days: []string{}, Series: []Series{}}
	for _, s := range r.Funnel {
		c.Funnel.Labels = append(c.Funnel.Labels, l.T(s.Key))
		c.Funnel.Values = append(c.Funnel.Values, s.Value)
	}
	if len(r.Reads.Days) == 0 {
		return c
	}
	reads, shares, favs := Series{Label: l.T("report.col_reads")}, Series{Label: l.T("report.col_shares")}, Series{Label: l.T("report.col_favs")}
	for _, d := range r.Reads.Days {
		c.Days = append(c.Days, d.Date)
		reads.Values = append(reads.Values, d.Day.ReadUser)
		shares.Values = append(shares.Values, d.Day.ShareUser)
		favs.Values = append(favs.Values, d.Day.FavUser)
	}
	c.Series = []Series{reads, shares, favs}
	return c
}
