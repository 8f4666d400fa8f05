package handlers

import (
	"net/url"
	"strconv"
	"time"

	"qunfa/models"
	"qunfa/views"
)

// The overview's charts, each with the table of its figures: the page, its live part and the
// CSV and XLSX downloads all come from here, so a download holds what the page shows.

// Chart ids, as the page, the tests and the downloads (?chart=) name them.
const (
	chartSends    = "sends"
	chartDelivery = "delivery"
	chartFailures = "failures"
	chartQuota    = "quota"
	chartCaps     = "caps"
	chartGrowth   = "growth"
)

const (
	colorBlue   = "#1e88e5"
	colorGreen  = "#07a35a"
	colorRed    = "#e53935"
	colorGrey   = "#78909c"
	colorOrange = "#fb8c00"
)

// overviewPanels builds every chart of ov, in the page's order.
func overviewPanels(l views.Layout, ov models.Overview) []views.ChartPanel {
	q := rangeQuery(ov.Range)
	ps := []views.ChartPanel{
		sendsPanel(l, ov), deliveryPanel(l, ov), growthPanel(l, ov), failuresPanel(l, ov), capsPanel(l, ov), quotaPanel(l, ov),
	}
	for i := range ps {
		id := url.QueryEscape(ps[i].ID)
		ps[i].CSVURL = "/overview/data.csv?chart=" + id + "&" + q
		ps[i].XLSXURL = "/overview/data.xlsx?chart=" + id + "&" + q
		ps[i].Chart.Filename = "qunfa-" + ps[i].ID + "-" + ov.Range.FirstDay() + "-" + ov.Range.LastDay()
	}
	return ps
}

// periodLabel names a period as the axis and the table show it.
func periodLabel(l views.Layout, g models.Granularity, p models.Period) string {
	if g == models.GranWeek {
		return l.T("overview.week_of", p.Key)
	}
	return p.Key
}

func sendsPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	p := views.ChartPanel{ID: chartSends, Title: l.T("overview.sends_title")}
	sends := views.ChartSeries{Label: l.T("overview.col_sends"), Type: "bar", Color: colorBlue}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_period"), l.T("overview.col_sends"), l.T("overview.col_delivered")}}
	total := 0
	for _, s := range ov.Sends {
		label := periodLabel(l, ov.Range.Gran, s.Period)
		p.Chart.Labels = append(p.Chart.Labels, label)
		sends.Values = append(sends.Values, views.F(float64(s.Sends)))
		p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: label, Cells: []views.ChartCell{views.Num(s.Sends), views.Num(s.Sent)}})
		total += s.Sends
	}
	p.Chart.Kind, p.Chart.Series = "bar", []views.ChartSeries{sends}
	p.Note = l.T("overview.sends_note", total)
	return p
}

func deliveryPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	p := views.ChartPanel{ID: chartDelivery, Title: l.T("overview.delivery_title"), Note: l.T("overview.delivery_note")}
	rate := views.ChartSeries{Label: l.T("overview.col_delivery"), Type: "line", Color: colorGreen}
	errs := views.ChartSeries{Label: l.T("overview.col_error_rate"), Type: "line", Color: colorRed}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_period"), l.T("overview.col_jobs"),
		l.T("stats.filter"), l.T("stats.sent"), l.T("stats.error"), l.T("overview.col_delivery"), l.T("overview.col_error_rate")}}
	any := false
	for _, d := range ov.Delivery {
		label := periodLabel(l, ov.Range.Gran, d.Period)
		p.Chart.Labels = append(p.Chart.Labels, label)
		dr, ok := d.DeliveryRate()
		er, _ := d.ErrorRate()
		row := views.ChartRow{Head: label, Cells: []views.ChartCell{views.Num(d.Jobs), views.Num(d.Filter), views.Num(d.Sent), views.Num(d.Error)}}
		if ok {
			any = true
			rate.Values = append(rate.Values, views.F(round1(dr*100)))
			errs.Values = append(errs.Values, views.F(round1(er*100)))
			row.Cells = append(row.Cells, pctCell(dr), pctCell(er))
		} else {
			rate.Values, errs.Values = append(rate.Values, nil), append(errs.Values, nil)
			row.Cells = append(row.Cells, views.Txt("—"), views.Txt("—"))
		}
		p.Table.Rows = append(p.Table.Rows, row)
	}
	p.Chart.Kind, p.Chart.Percent, p.Chart.Series = "line", true, []views.ChartSeries{rate, errs}
	if !any {
		p.Empty = l.T("overview.delivery_none")
	}
	return p
}

// pctCell shows a ratio as a percentage; the XLSX gets the percentage as a number.
func pctCell(r float64) views.ChartCell {
	return views.ChartCell{Text: percent(r), Value: round1(r * 100)}
}

func round1(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return f
}

func failuresPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	p := views.ChartPanel{ID: chartFailures, Title: l.T("overview.failures_title"), Note: l.T("overview.failures_note")}
	jobs := views.ChartSeries{Label: l.T("overview.col_jobs"), Type: "bar", Color: colorRed}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_reason"), l.T("overview.col_status"), l.T("overview.col_jobs")}}
	for _, f := range ov.Failures {
		reason := statusReason(f.Status, l.Lang)
		p.Chart.Labels = append(p.Chart.Labels, reason)
		jobs.Values = append(jobs.Values, views.F(float64(f.Jobs)))
		p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: reason, Cells: []views.ChartCell{views.Txt(f.Status), views.Num(f.Jobs)}})
	}
	p.Chart.Kind, p.Chart.Series = "hbar", []views.ChartSeries{jobs}
	if len(ov.Failures) == 0 {
		p.Empty = l.T("overview.failures_none")
	}
	return p
}

func quotaPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	p := views.ChartPanel{ID: chartQuota, Title: l.T("overview.quota_title"), Wide: true}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_day"), l.T("overview.col_calls"), l.T("overview.col_quota")}}
	p.Chart.Kind = "matrix"
	for _, k := range weekdayKeys {
		p.Chart.Weekdays = append(p.Chart.Weekdays, l.T(k))
	}
	limit, used, full := 0, 0, 0
	var first time.Time
	for i, q := range ov.Quota {
		d, _ := time.ParseInLocation(time.DateOnly, q.Day, models.Beijing)
		if i == 0 {
			// The first column is the week of the range's first day, Monday first.
			first = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		}
		p.Chart.Matrix = append(p.Chart.Matrix, views.MatrixCell{
			X: int(d.Sub(first).Hours()+12) / 24 / 7, Y: (int(d.Weekday()) + 6) % 7, V: float64(q.Calls),
			Label: l.T("overview.quota_cell", q.Day, q.Calls, q.Limit)})
		p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: q.Day, Cells: []views.ChartCell{views.Num(q.Calls), views.Num(q.Limit)}})
		limit, used = q.Limit, used+q.Calls
		if q.Calls >= q.Limit {
			full++
		}
	}
	p.Chart.MatrixMax = float64(limit)
	p.Note = l.T("overview.quota_note", used, limit, full)
	return p
}

// weekdayKeys name the calendar's rows, Monday first.
var weekdayKeys = []string{"overview.weekday_1", "overview.weekday_2", "overview.weekday_3", "overview.weekday_4",
	"overview.weekday_5", "overview.weekday_6", "overview.weekday_0"}

func capsPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	c := ov.Caps
	p := views.ChartPanel{ID: chartCaps, Title: l.T("overview.caps_title", c.Month)}
	followers := views.ChartSeries{Label: l.T("overview.col_followers"), Type: "bar", Color: colorOrange}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_messages"), l.T("overview.col_followers")}}
	for i, n := range c.Followers {
		label := strconv.Itoa(i)
		if i == c.Cap {
			label = l.T("overview.at_cap", c.Cap)
		}
		p.Chart.Labels = append(p.Chart.Labels, label)
		cell := views.Num(n)
		if i == 0 && !c.ZeroKnown {
			followers.Values = append(followers.Values, nil)
			cell = views.Txt("—")
		} else {
			followers.Values = append(followers.Values, views.F(float64(n)))
		}
		p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: label, Cells: []views.ChartCell{cell}})
	}
	p.Chart.Kind, p.Chart.Series = "bar", []views.ChartSeries{followers}
	p.Note = l.T("overview.caps_note")
	if !c.ZeroKnown {
		p.Note = l.T("overview.caps_unsynced")
	}
	return p
}

func growthPanel(l views.Layout, ov models.Overview) views.ChartPanel {
	p := views.ChartPanel{ID: chartGrowth, Title: l.T("overview.growth_title")}
	newS := views.ChartSeries{Label: l.T("overview.col_new"), Type: "bar", Color: colorGreen}
	cancel := views.ChartSeries{Label: l.T("overview.col_cancel"), Type: "bar", Color: colorRed}
	net := views.ChartSeries{Label: l.T("overview.col_net"), Type: "line", Color: colorBlue}
	cum := views.ChartSeries{Label: l.T("overview.col_cumulate"), Type: "line", Axis: "y2", Color: colorGrey}
	p.Table = views.ChartTable{Caption: p.Title, Head: []string{l.T("overview.col_period"), l.T("overview.col_new"),
		l.T("overview.col_cancel"), l.T("overview.col_net"), l.T("overview.col_cumulate")}}
	days := 0
	for _, g := range ov.Growth {
		label := periodLabel(l, ov.Range.Gran, g.Period)
		p.Chart.Labels = append(p.Chart.Labels, label)
		if g.Days == 0 {
			newS.Values, cancel.Values, net.Values, cum.Values = append(newS.Values, nil), append(cancel.Values, nil), append(net.Values, nil), append(cum.Values, nil)
			p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: label, Cells: []views.ChartCell{views.Txt("—"), views.Txt("—"), views.Txt("—"), views.Txt("—")}})
			continue
		}
		days += g.Days
		newS.Values = append(newS.Values, views.F(float64(g.New)))
		cancel.Values = append(cancel.Values, views.F(float64(g.Cancel)))
		net.Values = append(net.Values, views.F(float64(g.Net())))
		cum.Values = append(cum.Values, views.F(float64(g.Cumulate)))
		p.Table.Rows = append(p.Table.Rows, views.ChartRow{Head: label, Cells: []views.ChartCell{views.Num(g.New), views.Num(g.Cancel), views.Num(g.Net()), views.Num(g.Cumulate)}})
	}
	p.Chart.Kind, p.Chart.Series = "bar", []views.ChartSeries{newS, cancel, net, cum}
	switch {
	case days == 0:
		p.Empty = l.T("overview.growth_none")
	case ov.GrowthFetchedAt.IsZero():
	default:
		p.Note = l.T("overview.growth_note", views.FormatTime(ov.GrowthFetchedAt))
	}
	return p
}
