// Package views holds the templ pages of the dashboard and the typed view
// models they render. Views know nothing of the database or of WeChat: the
// handlers translate domain values into these structs.
package views

import (
	"fmt"
	"time"

	"qunfa/static"
	"qunfa/views/i18n"
	"qunfa/wechat/protocol"
)

// beijing is WeChat's day and month: every time on a page is shown in it.
var beijing = protocol.Beijing

// Layout is the data every page shares, built once per request by the handlers.
type Layout struct {
	Lang       string // "zh" or "en"
	Title      string // catalogue key of the page title
	TitleArgs  []any
	Operator   string // logged-in username; "" on login/setup pages
	CSRF       string
	Flash      string // catalogue key of a one-time message, "" for none
	FlashArgs  []any  // values for the flash's verbs
	Path       string // current path (language switch returns here)
	QuotaLeft  int
	QuotaTotal int
	Nav        string // "drafts" | "sends": which nav item is active
	// MissedSchedules: scheduled sends missed while Qunfa was down (a notice on every page).
	MissedSchedules int
	// CanEdit, CanAdmin: the operator's role reaches editor / admin; the menu shows only the
	// links the role may use.
	CanEdit, CanAdmin bool
}

// T translates key in the page language.
func (l Layout) T(key string, args ...any) string { return i18n.T(l.Lang, key, args...) }

// HTMLLang is the value of <html lang>.
func (l Layout) HTMLLang() string { return l.T("html.lang") }

// Asset returns the URL of an embedded static file with a content hash
// appended, so it can be cached "forever" and still change on upgrade.
func Asset(name string) string {
	if h := static.Hash(name); h != "" {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// FormatTime shows t in Beijing time; the zero time shows as a dash.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(beijing).Format("2006-01-02 15:04:05")
}

// FormatTimePtr is FormatTime for optional times.
func FormatTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return FormatTime(*t)
}

// FieldErrors maps a form field key (e.g. "articles.0.title") to a catalogue key.
type FieldErrors map[string]string

// LoginPage is the login form.
type LoginPage struct {
	Layout   Layout
	Username string
	Next     string
	Error    string // catalogue key, "" for none
	// ErrorArgs fill the error's verbs (a lock's end, a wait in seconds).
	ErrorArgs []any
}

// SetupPage is the first-run form that creates the first operator.
type SetupPage struct {
	Layout   Layout
	Username string
	Errors   FieldErrors
}

// DraftRow is one line of the drafts list.
type DraftRow struct {
	ID        uint
	Title     string
	Articles  int
	UpdatedAt time.Time
	Sent      int
}

// DraftsPage lists the drafts.
type DraftsPage struct {
	Layout    Layout
	Drafts    []DraftRow
	Approvals ApprovalQueue // sends waiting for this admin's approval (approval_viewmodels.go)
	Filter    HistoryFilter // history_viewmodels.go
}

// ArticleForm is one article as the editor shows it.
type ArticleForm struct {
	Title, Author, Digest, Content, SourceURL string
	ShowCoverPic                              bool
	ThumbID                                   uint
}

// ThumbURL is where the preview image of the article's thumbnail is served.
func (a ArticleForm) ThumbURL() string {
	if a.ThumbID == 0 {
		return ""
	}
	return fmt.Sprintf("/thumbs/%d", a.ThumbID)
}

// DraftEditPage is the editor for a new (ID 0) or existing draft.
type DraftEditPage struct {
	Layout      Layout
	ID          uint
	Articles    []ArticleForm
	Errors      FieldErrors
	MaxArticles int
	Rev         EditorRevision    // autosave and conflicts (draft_versions.templ)
	Preview     EditorPreviewData // the phone preview and limits (editor_preview.templ)
}

// Action is where the editor form posts.
func (p DraftEditPage) Action() string {
	if p.ID == 0 {
		return "/drafts"
	}
	return fmt.Sprintf("/drafts/%d", p.ID)
}

// GroupOption is one choice of the group select.
type GroupOption struct {
	ID    int64
	Name  string
	Count int
}

// SendFields holds what the operator chose on the send page; it travels
// through the confirm page as hidden fields.
type SendFields struct {
	Target  string // "all" | "group" | "openids"
	GroupID int64
	OpenIDs string
	Key     string // idempotency key: the same key never sends twice
	ListID  string // the OpenID list kept on the server for the confirm page (models.SavePlanList)
	// AudienceID is the saved audience chosen (Target "audience"); confirming resolves it to an
	// OpenID list, and the confirm page goes on as for a pasted list.
	AudienceID string
	// IncludeCapped: send an OpenID list to its followers at the monthly cap too (default: left out).
	IncludeCapped bool
	// ListAudience is the saved audience the kept list was resolved from (set on the server from
	// the list, never read from the form), recorded with the send for the history's filter.
	ListAudience uint
}

// SendFormPage asks for the recipients.
type SendFormPage struct {
	Layout     Layout
	DraftID    uint
	DraftTitle string
	Form       SendFields
	Groups     []GroupOption // 2014 groups, or today's tags when ByTag
	ByTag      bool
	GroupsErr  string // catalogue key when the groups could not be loaded
	Errors     FieldErrors
	Saved      SavedAudienceChoice // saved audiences (audiences.templ)
}

// PlannedCall is one WeChat endpoint and how many times it will be called. An Uncounted call (a
// cover uploaded as a permanent material) does not use the daily quota.
type PlannedCall struct {
	Endpoint  string
	Count     int
	Uncounted bool
}

// OpenIDProblem is a line of the pasted list that will not be used.
type OpenIDProblem struct {
	Line   int
	Value  string
	Reason string // catalogue key
}

// SendConfirmPage shows the plan before anything is sent.
type SendConfirmPage struct {
	Layout         Layout
	DraftID        uint
	DraftTitle     string
	Form           SendFields
	Calls          []PlannedCall
	CallsNeeded    int
	QuotaLeft      int
	Recipients     int
	Batches        int
	Everyone       bool
	GroupName      string
	ByTag          bool            // the group is a tag (the API profile's audience)
	OpenIDProblems []OpenIDProblem // the first ones (the page lists at most 100)
	ProblemCount   int             // all of them
	QuotaExceeded  bool
	NeedsApproval  bool // four-eyes: the send will wait for another admin (approval.templ)
	Errors         FieldErrors
	// Monthly cap, from Qunfa's records: mass messages this audience had this
	// month, and recipients WeChat will no longer deliver to.
	MonthlyCap    int
	ReceivedMonth int
	OverCap       int
	Schedule      ScheduleForm // "schedule at" / next Beijing day (schedule.templ)
	Audience      PlanAudience // the synced followers' figures (plan_viewmodels.go)
}

// Stats are the figures of MASSSENDJOBFINISH, summed over batches.
type Stats struct {
	Total, Filter, Sent, Error int
}

// ChartData is what app.js reads to draw the bar chart.
type ChartData struct {
	Labels []string `json:"labels"`
	Values []int    `json:"values"`
}

// SendRow is one line of the history list.
type SendRow struct {
	ID         uint
	Title      string
	Target     Target
	State      string
	MsgIDs     []int64
	CreatedAt  time.Time
	Stats      Stats
	HasFigures bool
	// ArticleRemovedBy is the send whose delete removed this one's article page too (0: none).
	ArticleRemovedBy uint
}

// Target describes the recipients of a send.
type Target struct {
	Kind       string // "all" | "group" | "openids"
	GroupName  string
	ByTag      bool // the group is a tag (today's API)
	Recipients int
}

// SendsPage is the history of sends.
type SendsPage struct {
	Layout    Layout
	Sends     []SendRow
	Pager     HistoryPager  // history_viewmodels.go
	Approvals ApprovalQueue // sends waiting for this admin's approval (approval_viewmodels.go)
	Filter    HistoryFilter // history_viewmodels.go
}

// BatchView is one WeChat call of a send (OpenID lists over 10,000 are split).
type BatchView struct {
	Index        int
	ClientMsgID  string
	OpenIDCount  int
	State        string
	MsgID        int64
	Status       string
	Errcode      int
	Errmsg       string
	Stats        Stats
	StatusReason string
	// NotSent: never called, because an earlier step of the send failed.
	NotSent bool
}

// HistoryView is one recorded action on a send.
type HistoryView struct {
	At     time.Time
	Action string // catalogue key
	Detail string
}

// SendView is a send as its page shows it. Texts that come from the protocol
// package (status reason, errcode explanation) are already in the page language.
type SendView struct {
	ID           uint
	DraftID      uint
	Title        string
	Target       Target
	State        string
	Errcode      int
	Errmsg       string
	Explain      string
	ExplainDo    string
	Status       string
	StatusReason string
	MsgIDs       []int64
	CreatedAt    time.Time
	SubmittedAt  *time.Time
	FinishedAt   *time.Time
	DeletedAt    *time.Time
	Stats        Stats
	HasFigures   bool
	Batches      []BatchView
	History      []HistoryView
	CanDelete    bool
	Awaiting     bool // some batch is still with WeChat: keep polling
	// OutcomeUnknown: a call got no answer, so WeChat may have sent the batch anyway.
	OutcomeUnknown bool
	// From MASSSENDJOBFINISH: the sent articles' permanent URLs (article
	// order) and the copyright check's CheckState (0: not reported).
	ArticleURLs    []string
	CopyrightState int
	// ArticleRemovedBy: another send's delete removed this send's article page (0: not).
	ArticleRemovedBy uint
}

// Live reports whether the page should keep polling for news.
func (s SendView) Live() bool { return s.Awaiting }

// SendPage is one send's page.
type SendPage struct {
	Layout  Layout
	Send    SendView
	CatchUp CatchUpView // the catch-up (补发) part (catchup_viewmodels.go)
	// Disputes are jobs whose reports from WeChat disagree (send_disputes.templ).
	Disputes []DisputeView
	// Approval is the four-eyes part (approval_viewmodels.go).
	Approval ApprovalView
}

// DeleteConfirmPage asks before deleting a sent message.
type DeleteConfirmPage struct {
	Layout Layout
	Send   SendView
	Calls  int // message/mass/delete calls it will make (each uses today's quota)
	// Sharing are the other sends whose article page the delete removes too (same news media id).
	Sharing []SendRef
}

// ErrorPage is a 400/403/404/422/500/503 page.
type ErrorPage struct {
	Layout  Layout
	Status  int
	Message string   // catalogue key
	Details []string // catalogue keys (a validation error's field messages)
}
