package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// historyFilter reads the history's filter from the query (?state=&audience=&from=&to=&q=):
// dates are Beijing days, both included. A value that does not parse is a field error (the page
// says what to correct), never a filter silently dropped.
func historyFilter(c *gin.Context) (models.HistoryFilter, views.HistoryFilter) {
	form := views.HistoryFilter{
		State:    strings.TrimSpace(c.Query("state")),
		Audience: strings.TrimSpace(c.Query("audience")),
		From:     strings.TrimSpace(c.Query("from")),
		To:       strings.TrimSpace(c.Query("to")),
		Query:    strings.TrimSpace(c.Query("q")),
		QueryMax: models.MaxHistoryQuery,
		Errors:   views.FieldErrors{},
	}
	var f models.HistoryFilter
	if form.State != "" {
		if g, ok := models.HistoryStateGroupOf(form.State); ok {
			f.States = g.States
		} else {
			form.Errors["state"] = "history.err_state"
		}
	}
	if form.Audience != "" {
		kind, id, ok := parseHistoryAudience(form.Audience)
		if ok {
			f.Audience, f.ID = kind, id
		} else {
			form.Errors["audience"] = "history.err_audience"
		}
	}
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(time.DateOnly, v, models.Beijing)
		if err != nil {
			form.Errors[field] = "history.err_date"
		}
		return d
	}
	from, to := day("from", form.From), day("to", form.To)
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		form.Errors["to"] = "history.err_range"
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the last day included: up to 00:00 Beijing of the next
	}
	if utf8.RuneCountInString(form.Query) > models.MaxHistoryQuery {
		form.Errors["q"] = "history.err_query_long"
	}
	f.Query = form.Query
	form.Active = form.State != "" || form.Audience != "" || form.From != "" || form.To != "" || form.Query != ""
	if len(form.Errors) == 0 {
		form.Errors = nil
	}
	return f, form
}

// parseHistoryAudience reads an audience choice: a kind ("all", "group", "tag", "openids",
// "saved") or a kind with its id ("group:12", "tag:100", "saved:3").
func parseHistoryAudience(v string) (models.HistoryAudienceKind, int64, bool) {
	kind, idText, hasID := strings.Cut(v, ":")
	k := models.HistoryAudienceKind(kind)
	switch k {
	case models.HistoryEveryone, models.HistoryOpenIDs:
		return k, 0, !hasID
	case models.HistoryGroup, models.HistoryTag, models.HistorySaved:
		if !hasID {
			return k, 0, true
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 || (k == models.HistorySaved && id > 1<<32-1) {
			return k, 0, false
		}
		return k, id, true
	}
	return k, 0, false
}

// historyQuery is the filter as URL parameters (empty ones left out), for the pager and the
// downloads: a filter survives paging and downloads what the page shows.
func historyQuery(f views.HistoryFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"state": f.State, "audience": f.Audience, "from": f.From, "to": f.To, "q": f.Query} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// withQuery is path with q, if any.
func withQuery(path string, q url.Values) string {
	if enc := q.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}
