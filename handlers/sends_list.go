package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendsList shows one page of the history, newest first, filtered (history_filter.go).
// ?before=<id> pages to older sends, ?after=<id> to newer ones (keyset: the 200th page costs what
// the first does); the pager's links keep the filter. A filter that does not parse is answered
// 400 with the page and its errors beside the fields.
func (a *app) sendsList(c *gin.Context) error {
	cur, ok := historyCursor(c)
	if !ok {
		// A cursor that is not a send id names no page, as /sends/abc names no send.
		return models.ErrNotFound
	}
	f, form := historyFilter(c)
	cur.Filter = f
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	a.historyChoices(c, l, &form)
	q := historyQuery(form)
	form.ClearURL = "/sends"
	form.CSVURL, form.XLSXURL = withQuery("/sends.csv", q), withQuery("/sends.xlsx", q)
	status := http.StatusOK
	var page models.HistoryPage
	if form.Errors != nil {
		status = http.StatusBadRequest
	} else {
		var err error
		if page, err = a.svc.HistoryPage(c.Request.Context(), cur); err != nil {
			return err
		}
	}
	rows := make([]views.SendRow, len(page.Sends))
	for i, s := range page.Sends {
		rows[i] = sendRow(s)
	}
	var pager views.HistoryPager
	if page.Older != 0 {
		q.Set("before", fmt.Sprint(page.Older))
		pager.OlderURL = withQuery("/sends", q)
		q.Del("before")
	}
	if page.Newer != 0 {
		q.Set("after", fmt.Sprint(page.Newer))
		pager.NewerURL = withQuery("/sends", q)
	}
	a.render(c, status, views.Sends(views.SendsPage{Layout: l, Sends: rows, Pager: pager, Approvals: a.approvalQueue(c), Filter: form}))
	return nil
}

// historyChoices fills the filter's choices: the state groups, the groups and tags sends went
// to, the saved audiences. A list that cannot be read is logged and left out (the filter still
// takes its value from the URL).
func (a *app) historyChoices(c *gin.Context, l views.Layout, form *views.HistoryFilter) {
	for _, g := range models.HistoryStateGroups {
		form.States = append(form.States, views.HistoryOption{Value: g.Key, Label: l.T("history.state." + g.Key)})
	}
	ctx := c.Request.Context()
	groups, err := a.svc.HistorySendGroups(ctx)
	if err != nil {
		a.log.Error("history filter: groups", "err", err)
	}
	for _, g := range groups {
		kind, key := models.HistoryGroup, "history.group_option"
		if g.ByTag {
			kind, key = models.HistoryTag, "history.tag_option"
		}
		name := g.Name
		if name == "" {
			name = strconv.FormatInt(g.ID, 10)
		}
		form.Groups = append(form.Groups, views.HistoryOption{Value: fmt.Sprintf("%s:%d", kind, g.ID), Label: l.T(key, name)})
	}
	saved, err := a.svc.SavedAudiences(ctx)
	if err != nil {
		a.log.Error("history filter: saved audiences", "err", err)
	}
	for _, au := range saved {
		form.Saved = append(form.Saved, views.HistoryOption{Value: fmt.Sprintf("%s:%d", models.HistorySaved, au.ID), Label: au.Name})
	}
}

// historyCursor reads ?before= or ?after= (at most one, a positive id).
func historyCursor(c *gin.Context) (models.HistoryCursor, bool) {
	var cur models.HistoryCursor
	before, hasBefore := c.GetQuery("before")
	after, hasAfter := c.GetQuery("after")
	parse := func(s string) (uint, bool) {
		n, err := strconv.ParseUint(s, 10, 32)
		return uint(n), err == nil && n > 0
	}
	var ok bool
	switch {
	case hasBefore && hasAfter:
		return cur, false
	case hasBefore:
		cur.Before, ok = parse(before)
	case hasAfter:
		cur.After, ok = parse(after)
	default:
		ok = true
	}
	return cur, ok
}
