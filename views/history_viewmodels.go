package views

// HistoryPager links a page of the history to its neighbours; an empty URL is no link (the
// newest or the oldest page).
type HistoryPager struct {
	OlderURL string
	NewerURL string
}

// HistoryFilter is the history's filter bar: what the operator chose (as typed, shown back),
// the choices, the errors of a filter that does not parse, and the downloads of the same filter.
type HistoryFilter struct {
	State    string // a state group key, "" any
	Audience string // "", all, group, tag, openids, saved, group:N, tag:N, saved:N
	From, To string // Beijing days 2006-01-02
	Query    string
	Active   bool // some filter is set: the page says so, and offers to clear it

	States   []HistoryOption
	Groups   []HistoryOption // the groups and tags sends went to ("group:N", "tag:N")
	Saved    []HistoryOption // saved audiences ("saved:N")
	Errors   FieldErrors     // by field name: state, audience, from, to, q
	CSVURL   string
	XLSXURL  string
	ClearURL string
	QueryMax int
}

// HistoryOption is one choice of a filter select.
type HistoryOption struct {
	Value, Label string
}

// TargetLabel is targetText's words as plain text, for the downloads.
func TargetLabel(l Layout, t Target) string {
	switch t.Kind {
	case "all":
		return l.T("target.all")
	case "group":
		if t.ByTag {
			return l.T("target.tag", t.GroupName)
		}
		return l.T("target.group", t.GroupName)
	default:
		return l.T("target.openids", t.Recipients)
	}
}

// HistoryHeader is the downloads' header row: the page's columns, with the send's id first.
func HistoryHeader(l Layout) []string {
	return []string{"ID", l.T("sends.col_title"), l.T("sends.col_target"), l.T("sends.col_state"), "msg_id",
		l.T("history.col_created_bj"), l.T("stats.total"), l.T("stats.filter"), l.T("stats.sent"), l.T("stats.error")}
}

// HistoryRecord is one send as the downloads show it: the page's row, in text. Figures are
// numbers; a send without figures has empty cells there, as the page shows none.
func HistoryRecord(l Layout, s SendRow) (text []string, figures []int, hasFigures bool) {
	text = []string{i64toa(int64(s.ID)), orUntitled(l, s.Title), TargetLabel(l, s.Target), l.T("state." + s.State),
		"", FormatTime(s.CreatedAt)}
	if len(s.MsgIDs) > 0 {
		text[4] = msgIDs(s.MsgIDs)
	}
	return text, []int{s.Stats.Total, s.Stats.Filter, s.Stats.Sent, s.Stats.Error}, s.HasFigures
}

// historyEmptyKey says why a page of the history is empty: nothing sent yet, nothing matching
// the filter, or a filter to correct first.
func historyEmptyKey(f HistoryFilter) string {
	switch {
	case len(f.Errors) > 0:
		return "history.fix_filter"
	case f.Active:
		return "history.none_match"
	}
	return "sends.empty"
}
