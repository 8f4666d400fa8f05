package views

import (
	"fmt"
	"time"
)

// AudienceRow is one saved audience in the list (and in the send form's choice).
type AudienceRow struct {
	ID        uint
	Name      string
	Kind      string // "list" | "filter"
	Source    string // a list's: "paste" | "csv" | "xlsx"
	Size      int    // a list's OpenIDs; a filter's live count
	CreatedAt time.Time
}

// KindKey names an audience's kind (and a list's source) from the catalogue.
func (r AudienceRow) KindKey() string {
	if r.Kind == "filter" {
		return "audiences.kind_filter"
	}
	return "audiences.kind_list_" + r.Source
}

// AudiencesPage lists the saved audiences.
type AudiencesPage struct {
	Layout    Layout
	Audiences []AudienceRow
}

// AudienceFilterForm is a saved filter's fields as the operator typed them.
type AudienceFilterForm struct {
	Name, GroupID, From, To, ReceivedBelow string
}

// AudienceNewPage imports a list or saves a filter.
type AudienceNewPage struct {
	Layout      Layout
	Tab         string // "list" | "filter": which form the errors belong to
	ListName    string
	Text        string
	Filter      AudienceFilterForm
	Errors      FieldErrors
	Groups      []GroupOption
	ByTag       bool
	GroupsErr   string
	MaxFileMB   int
	ReportShown int
}

// AudienceReportGroup is one kind of problem of an import: how many, and the first lines.
type AudienceReportGroup struct {
	Reason string // catalogue key (openid.invalid, …)
	Count  int
	Shown  []OpenIDProblem
}

// AudiencePage is one saved audience: its report or its conditions, and its size now.
type AudiencePage struct {
	Layout    Layout
	Audience  AudienceRow
	Lines     int // a list's entries read
	Members   int // a list's distinct valid OpenIDs stored
	Count     int // who it resolves to now (a list less those who left; a filter's matches)
	CountErr  bool
	Report    []AudienceReportGroup
	Condition []string // a filter's conditions, each already in the page's language
	Name      string   // the rename field
	Errors    FieldErrors
}

// MoreThanShown is how many of a kind the report counts but does not list.
func (g AudienceReportGroup) MoreThanShown() int { return g.Count - len(g.Shown) }

func audienceURL(id uint, suffix string) string { return fmt.Sprintf("/audiences/%d%s", id, suffix) }

// SavedAudienceChoice is the send form's saved-audience option.
type SavedAudienceChoice struct {
	Audiences []AudienceRow
	Selected  string // the audience_id chosen
}
