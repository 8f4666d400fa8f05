package models

import (
	"time"
)

// Granularity is how the overview's time series are bucketed.
type Granularity string

// The overview's granularities: Beijing days, ISO weeks (Monday first) and calendar months.
const (
	GranDay   Granularity = "day"
	GranWeek  Granularity = "week"
	GranMonth Granularity = "month"
)

// OverviewMaxDays is the longest range the overview shows (a year and a day, for a leap year).
const OverviewMaxDays = 366

// OverviewDefaultDays is the range shown when none is asked: the last 30 Beijing days, today included.
const OverviewDefaultDays = 30

// OverviewRange is a range of whole Beijing days, [From, To) as instants (To is the midnight after
// the last day), and how to bucket it.
type OverviewRange struct {
	From, To time.Time
	Gran     Granularity
}

// FirstDay and LastDay are the range's first and last Beijing days, as 2006-01-02.
func (r OverviewRange) FirstDay() string { return r.From.In(Beijing).Format(time.DateOnly) }
func (r OverviewRange) LastDay() string {
	return r.To.In(Beijing).AddDate(0, 0, -1).Format(time.DateOnly)
}

// Days is how many Beijing days the range holds.
func (r OverviewRange) Days() int { return int(r.To.Sub(r.From).Hours()+12) / 24 }

// beijingMidnight is the start of t's Beijing day.
func beijingMidnight(t time.Time) time.Time {
	b := t.In(Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, Beijing)
}

// DefaultOverviewRange is the last OverviewDefaultDays Beijing days up to now's, by day.
func DefaultOverviewRange(now time.Time) OverviewRange {
	to := beijingMidnight(now).AddDate(0, 0, 1)
	return OverviewRange{From: to.AddDate(0, 0, -OverviewDefaultDays), To: to, Gran: GranDay}
}

// ParseOverviewRange reads a range from a form: from and to as 2006-01-02 Beijing days (both
// included; empty: the default's), gran one of the granularities (empty: day). Bad values are
// field errors in the catalogue's words.
func ParseOverviewRange(from, to, gran string, now time.Time) (OverviewRange, error) {
	r := DefaultOverviewRange(now)
	fe := FieldErrors{}
	switch Granularity(gran) {
	case "":
	case GranDay, GranWeek, GranMonth:
		r.Gran = Granularity(gran)
	default:
		fe["gran"] = "err.overview_gran"
	}
	if to != "" {
		d, err := time.ParseInLocation(time.DateOnly, to, Beijing)
		if err != nil {
			fe["to"] = "err.overview_date"
		} else {
			r.To = d.AddDate(0, 0, 1)
			if from == "" {
				r.From = r.To.AddDate(0, 0, -OverviewDefaultDays)
			}
		}
	}
	if from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, Beijing)
		if err != nil {
			fe["from"] = "err.overview_date"
		} else {
			r.From = d
		}
	}
	if len(fe) == 0 {
		switch {
		case !r.From.Before(r.To):
			fe["to"] = "err.overview_order"
		case r.Days() > OverviewMaxDays:
			fe["to"] = "err.overview_span"
		}
	}
	if err := fe.orNil(); err != nil {
		return DefaultOverviewRange(now), err
	}
	return r, nil
}

// Period is one bucket of a time series: [From, To) in Beijing time, clipped to the range. Key
// names it: the first day (2006-01-02) of a day or week, the month (2006-01) of a month.
type Period struct {
	Key      string
	From, To time.Time
}

// FirstDay and EndDay are the period's first day and the day after its last, as 2006-01-02 (the
// bounds of a query on a day column).
func (p Period) FirstDay() string { return p.From.In(Beijing).Format(time.DateOnly) }
func (p Period) EndDay() string   { return p.To.In(Beijing).Format(time.DateOnly) }

// Periods splits the range into its buckets, oldest first. Weeks start on Monday (ISO); the
// first and last bucket are cut at the range's ends.
func (r OverviewRange) Periods() []Period {
	var out []Period
	for start := r.From; start.Before(r.To); {
		b := start.In(Beijing)
		var next time.Time
		key := b.Format(time.DateOnly)
		switch r.Gran {
		case GranWeek:
			back := (int(b.Weekday()) + 6) % 7 // days since Monday
			next = time.Date(b.Year(), b.Month(), b.Day()-back+7, 0, 0, 0, 0, Beijing)
		case GranMonth:
			next = time.Date(b.Year(), b.Month()+1, 1, 0, 0, 0, 0, Beijing)
			key = b.Format("2006-01")
		default:
			next = time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, Beijing)
		}
		if next.After(r.To) {
			next = r.To
		}
		out = append(out, Period{Key: key, From: start, To: next})
		start = next
	}
	return out
}
