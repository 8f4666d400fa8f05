package views

import "time"

// ScheduleForm is the "schedule at" part of the confirmation page: the date and time inputs
// (Beijing time, as typed or the suggested default) and the one-click next-day time shown when
// today's quota does not allow the send.
type ScheduleForm struct {
	Date     string // 2006-01-02
	Time     string // 15:04
	NextDay  time.Time
	Exceeded bool // today's quota does not allow it: the next-day button leads
}

// ScheduleRow is one scheduled send on GET /schedules.
type ScheduleRow struct {
	ID         uint
	Title      string
	Target     Target
	DueAt      time.Time
	State      string // models.ScheduleState
	SendID     uint
	Reason     string // catalogue key, "" for none
	ReasonArgs []any
	Waiting    bool // can be edited or cancelled
	Retry      bool // missed or failed: can be sent now
}

// SchedulesPage lists scheduled sends with the time left.
type SchedulesPage struct {
	Layout Layout
	Now    time.Time
	Rows   []ScheduleRow
}

// ScheduleEditPage changes a waiting schedule's time (and group, for a group or tag target).
type ScheduleEditPage struct {
	Layout    Layout
	Row       ScheduleRow
	Date      string
	Time      string
	MinDate   string
	GroupID   int64
	Groups    []GroupOption // for a group or tag target
	GroupsErr string
	ByTag     bool
	Errors    FieldErrors
}

// scheduleLeft is the time left until due, worded in l's language.
func scheduleLeft(l Layout, due, now time.Time) string {
	d := due.Sub(now)
	switch {
	case d <= 0:
		return l.T("schedule.left_due")
	case d < time.Hour:
		return l.T("schedule.left_minutes", int((d+time.Minute-1)/time.Minute))
	case d < 48*time.Hour:
		return l.T("schedule.left_hours", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return l.T("schedule.left_days", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

// FormatMinute shows t in Beijing time to the minute (a schedule's time).
func FormatMinute(t time.Time) string { return t.In(beijing).Format("2006-01-02 15:04") }
