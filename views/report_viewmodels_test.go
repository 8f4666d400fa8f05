package views

import (
	"testing"
	"time"
)

func TestFunnelPercentsOfTotal(t *testing.T) {
	f := Funnel(Stats{Total: 800, Filter: 790, Sent: 780, Error: 10})
	want := []FunnelStep{{"stats.total", 800, "100.0%"}, {"stats.filter", 790, "98.8%"}, {"stats.sent", 780, "97.5%"}, {"stats.error", 10, "1.2%"}}
	for i := range want {
		if f[i] != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, f[i], want[i])
		}
	}
	if Funnel(Stats{})[2].Percent != "—" {
		t.Error("a funnel with no Total divides by zero")
	}
}

func TestSumBatches(t *testing.T) {
	s := SumBatches([]BatchView{{Stats: Stats{10, 9, 8, 1}}, {Stats: Stats{5, 5, 3, 2}}})
	if s != (Stats{15, 14, 11, 3}) {
		t.Errorf("sum = %+v", s)
	}
}

func TestReadsPending(t *testing.T) {
	now := time.Date(2024, 5, 20, 23, 30, 0, 0, beijing)
	today := now.Add(-10 * time.Hour)
	yesterday := now.Add(-30 * time.Hour)
	for _, tt := range []struct {
		state string
		sent  int
		sub   *time.Time
		want  string
	}{
		{"submitted", 0, &today, "report.reads_after_finish"},
		{"finished", 0, &today, "report.reads_never"},
		{"rejected", 0, nil, "report.reads_never"},
		{"finished", 5, &today, "report.reads_tomorrow"},
		{"finished", 5, &yesterday, "report.reads_not_yet"},
	} {
		if got := ReadsPending(tt.state, tt.sent, tt.sub, now); got != tt.want {
			t.Errorf("%s/%d: %s, want %s", tt.state, tt.sent, got, tt.want)
		}
	}
}

// The chart data holds the same numbers as the tables: the funnel's four steps and each day's part.
func TestReportChart(t *testing.T) {
	l := Layout{Lang: "en"}
	r := ReportView{Funnel: Funnel(Stats{Total: 9, Filter: 8, Sent: 7, Error: 1}), Reads: ReadsView{Days: []ReadDayView{
		{Date: "2024-05-20", Day: ReadFigures{ReadUser: 4, ShareUser: 2, FavUser: 1}},
		{Date: "2024-05-21", Day: ReadFigures{ReadUser: 3}}}}}
	c := reportChart(l, r)
	if len(c.Funnel.Values) != 4 || c.Funnel.Values[2] != 7 || c.Funnel.Labels[0] != "Total" {
		t.Errorf("funnel = %+v", c.Funnel)
	}
	if len(c.Days) != 2 || c.Series[0].Values[0] != 4 || c.Series[0].Values[1] != 3 || c.Series[1].Values[0] != 2 || c.Series[2].Label != "Favourites" {
		t.Errorf("reads = %+v %+v", c.Days, c.Series)
	}
	if v1, v2 := r.ComputeVersion(), (ReportView{Funnel: r.Funnel}).ComputeVersion(); v1 == v2 {
		t.Error("the version does not change with the reads")
	}
}
