package views

import "time"

// ABTestFields is what the A/B form holds (echoed back when it is refused).
type ABTestFields struct {
	Audience   string // "all", "group:ID", "saved:ID"
	TitleB     string
	Share      int // each half's percent of the audience
	JudgeHours int
	Key        string
}

// ABTestFormPage is the A/B form of a draft.
type ABTestFormPage struct {
	Layout    Layout
	DraftID   uint
	TitleA    string
	Groups    []GroupOption
	ByTag     bool
	GroupsErr string
	Saved     []AudienceRow
	Form      ABTestFields
	Errors    FieldErrors
}

// ABShares are the form's choices of each half's share (percent); 50 splits the whole audience.
var ABShares = []int{50, 40, 30, 20, 10, 5}

// ABAudienceView names a test's audience: Kind "all", "group", "tag" or "saved", with its name.
type ABAudienceView struct {
	Kind string
	Name string
}

// ABTestRow is a test in the list.
type ABTestRow struct {
	ID        uint
	TitleA    string
	TitleB    string
	CoverB    bool
	Audience  ABAudienceView
	Size      int
	Half      int
	CreatedAt time.Time
	JudgeAt   time.Time
	Winner    string
}

// ABTestsPage lists the tests.
type ABTestsPage struct {
	Layout Layout
	Rows   []ABTestRow
}

// ABVariantView is one half on the test's page.
type ABVariantView struct {
	Name       string // "A" or "B"
	Title      string
	SendID     uint
	State      string
	Recipients int
	Sent       int
	Reads      int64
	ReadsKnown bool
	Rate       string // "20.0%", "" when not known
}

// ABTestPage is one test: its variants, their figures and the verdict.
type ABTestPage struct {
	Layout   Layout
	Test     ABTestRow
	Share    int
	Seed     string
	Rest     int
	Variants []ABVariantView
	Status   string // catalogue key (models.ABStatus…)
	Verdict  string // catalogue key when judged
	Z, P     string // shown when the test ran
	MinSent  int
	MinReads int
	// CanSendWinner: a variant won and the rest has not had it; Winner names it.
	CanSendWinner bool
	Winner        string
	WinnerSendID  uint
	Errors        FieldErrors
}
