package models

import (
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// HistoryStateGroup is a set of send states under one name an operator understands; the
// history's state filter offers these, not the pipeline's states.
type HistoryStateGroup struct {
	Key    string // the URL value and the catalogue key's end ("history.state.<key>")
	States []SendState
}

// HistoryStateGroups are the state filter's choices, in the order the page offers them. Every
// SendState is in exactly one (TestHistoryStateGroupsCoverEveryState).
var HistoryStateGroups = []HistoryStateGroup{
	{"approval", []SendState{StateAwaitingApproval}},
	{"queued", []SendState{StateQueued}},
	{"sending", []SendState{StateUploading, StateSubmitting, StateSubmitted}},
	{"finished", []SendState{StateFinished}},
	{"failed", []SendState{StateFailed}},
	{"rejected", []SendState{StateRejected}},
	{"deleted", []SendState{StateDeleted}},
}

// HistoryStateGroupOf returns the group named key.
func HistoryStateGroupOf(key string) (HistoryStateGroup, bool) {
	for _, g := range HistoryStateGroups {
		if g.Key == key {
			return g, true
		}
	}
	return HistoryStateGroup{}, false
}

// HistoryAudienceKind is the kind of audience the history's audience filter selects.
type HistoryAudienceKind string

const (
	HistoryAnyAudience HistoryAudienceKind = ""
	HistoryEveryone    HistoryAudienceKind = "all"
	HistoryGroup       HistoryAudienceKind = "group"   // a 2014 group (ID: which one; 0 any)
	HistoryTag         HistoryAudienceKind = "tag"     // a tag of today's API (ID: which one; 0 any)
	HistoryOpenIDs     HistoryAudienceKind = "openids" // any OpenID list, saved audiences included
	HistorySaved       HistoryAudienceKind = "saved"   // an OpenID list from a saved audience (ID; 0 any)
)

// MaxHistoryQuery is how many characters of a search are used.
const MaxHistoryQuery = 100

// HistoryFilter selects sends of the history; the zero value selects every send. Filters combine
// (AND). From and To are instants (the handler turns Beijing days into them): From inclusive,
// To exclusive.
type HistoryFilter struct {
	States   []SendState
	Audience HistoryAudienceKind
	ID       int64 // the group, tag or saved audience of Audience; 0 any
	From, To time.Time
	Query    string // matched, normalised, against the articles' titles and authors
}

// IsZero reports whether f selects every send.
func (f HistoryFilter) IsZero() bool {
	return len(f.States) == 0 && f.Audience == HistoryAnyAudience && f.From.IsZero() && f.To.IsZero() &&
		strings.TrimSpace(f.Query) == ""
}

// apply adds f's conditions to q. Each condition has an index of its own that also holds the
// other conditions' columns (migration 22), so the ids of a page are found in one index.
func (f HistoryFilter) apply(q *gorm.DB) *gorm.DB {
	if len(f.States) == 1 {
		q = q.Where("state = ?", f.States[0])
	} else if len(f.States) > 1 {
		q = q.Where("state IN ?", f.States)
	}
	switch f.Audience {
	case HistoryEveryone:
		q = q.Where("target = ?", TargetAll)
	case HistoryGroup, HistoryTag:
		aud := AudienceGroups
		if f.Audience == HistoryTag {
			aud = AudienceTags
		}
		q = q.Where("target = ? AND audience = ?", TargetGroup, aud)
		if f.ID != 0 {
			q = q.Where("group_id = ?", f.ID)
		}
	case HistoryOpenIDs:
		q = q.Where("target = ?", TargetOpenIDs)
	case HistorySaved:
		if f.ID != 0 {
			q = q.Where("audience_id = ?", f.ID)
		} else { // only an OpenID list comes from a saved audience; the target finds the index
			q = q.Where("target = ? AND audience_id > 0", TargetOpenIDs)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if pat := likePattern(f.Query); pat != "" {
		// The search index holds (id, search_text): a search alone walks it newest first and
		// stops at a page of matches; with other filters, their index finds the candidates and
		// the subquery, a scan of the search index, the matches. Neither reads a send's row.
		other := f
		other.Query = ""
		if other.IsZero() {
			q = q.Where(`search_text LIKE ? ESCAPE '\'`, pat)
		} else {
			q = q.Where(`id IN (SELECT id FROM sends WHERE search_text LIKE ? ESCAPE '\')`, pat)
		}
	}
	return q
}

// maxSearchText bounds what a send's search_text holds, so a search reads a bounded index
// entry per send however long its articles' titles are.
const maxSearchText = 600

// searchText is what the history's search matches: the send's title and its articles' titles
// and authors, one per line, normalised (normaliseSearch).
func searchText(title string, arts []ArticleInput) string {
	var b strings.Builder
	seen := map[string]bool{}
	add := func(v string) {
		v = normaliseSearch(v)
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v)
	}
	add(title)
	for _, a := range arts {
		add(a.Title)
		add(a.Author)
	}
	s := b.String()
	if len(s) > maxSearchText {
		s = s[:maxSearchText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// normaliseSearch folds what a person does not mean to distinguish: letter case, full-width
// ASCII (ＡＢＣ１２３, common in Chinese text) and runs of spaces.
func normaliseSearch(v string) string {
	v = strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			return r - 0xFEE0
		case r == 0x3000: // ideographic space
			return ' '
		}
		return r
	}, v)
	return strings.Join(strings.Fields(strings.ToLower(v)), " ")
}

// likePattern is the LIKE pattern of a search: the normalised text anywhere, with LIKE's own
// characters escaped; "" for no search.
func likePattern(q string) string {
	q = normaliseSearch(q)
	if utf8.RuneCountInString(q) > MaxHistoryQuery {
		q = string([]rune(q)[:MaxHistoryQuery])
	}
	if q == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}
