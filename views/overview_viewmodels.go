package views

import "time"

// OverviewPage is the overview (GET /overview): the range form and the live part.
type OverviewPage struct {
	Layout
	Form   OverviewForm
	Errors FieldErrors
	Live   OverviewLive
}

// OverviewForm is the range asked: from and to as 2006-01-02 Beijing days, gran day|week|month.
type OverviewForm struct {
	From, To, Gran string
	Presets        []OverviewPreset
}

// OverviewPreset is a link to the last N days.
type OverviewPreset struct {
	Days    int
	URL     string
	Current bool
}

// OverviewLive is the part of the overview that polls for news (/overview/live): its charts and
// the last sends. Version names the figures it shows; the poll sends it back and gets 204 while
// nothing changed.
type OverviewLive struct {
	Query   string // from=…&to=…&gran=… of the range shown
	Version string
	Panels  []ChartPanel
	Recent  []OverviewSend
	// GrowthFetchedAt: when WeChat's user analytics were last stored (zero: never).
	GrowthFetchedAt time.Time
}

// OverviewSend is one of the last sends, with its figures.
type OverviewSend struct {
	ID           uint
	Title        string
	State        string
	Target       Target
	SubmittedAt  time.Time
	Status       string
	StatusReason string
	Stats        Stats
	HasFigures   bool
	DeliveryRate string // Sent/Filter as shown, "—" when unknown
}
