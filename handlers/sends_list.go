package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sendsList shows one page of the history, newest first. ?before=<id> pages to older sends,
// ?after=<id> to newer ones (keyset: the 200th page costs what the first does).
func (a *app) sendsList(c *gin.Context) error {
	cur, ok := historyCursor(c)
	if !ok {
		// A cursor that is not a send id names no page, as /sends/abc names no send.
		return models.ErrNotFound
	}
	page, err := a.svc.HistoryPage(c.Request.Context(), cur)
	if err != nil {
		return err
	}
	rows := make([]views.SendRow, len(page.Sends))
	for i, s := range page.Sends {
		rows[i] = sendRow(s)
	}
	var pager views.HistoryPager
	if page.Older != 0 {
		pager.OlderURL = fmt.Sprintf("/sends?before=%d", page.Older)
	}
	if page.Newer != 0 {
		pager.NewerURL = fmt.Sprintf("/sends?after=%d", page.Newer)
	}
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	a.render(c, http.StatusOK, views.Sends(views.SendsPage{Layout: l, Sends: rows, Pager: pager, Approvals: a.approvalQueue(c)}))
	return nil
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
