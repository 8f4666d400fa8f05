package views

import "time"

// AuditPage is the audit log page (admins): a filter, one page of entries, newest first.
type AuditPage struct {
	Layout    Layout
	Filter    AuditFilterForm
	Operators []AuditOption // the operator filter's choices
	Actions   []AuditOption // every action key with its words
	Entries   []AuditRow
	NextURL   string // the following (older) page, "" when none
	FirstURL  string // back to the newest entries, "" on the first page
	CSVURL    string // the export of the same filter
}

// AuditFilterForm is the filter as the operator typed it (dates in Beijing time).
type AuditFilterForm struct {
	From, To string // 2006-01-02
	Operator string // "" anyone, "0" not logged in, else an id
	Action   string
	Target   string
}

// AuditOption is one choice of a filter's select.
type AuditOption struct {
	Value, Label string
}

// AuditRow is one entry of the log as the page shows it.
type AuditRow struct {
	At          time.Time
	Username    string
	OperatorID  uint
	ClientAddr  string
	Action      string // the key
	ActionLabel string // in the page language
	Target      string
	Detail      string
}
