package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

func (a *app) sendShow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	s, err := a.svc.Send(c.Request.Context(), id)
	if err != nil {
		return err
	}
	cu, err := a.catchUpView(c, s)
	if err != nil {
		return err
	}
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	sv := sendView(s, l.Lang)
	ds, err := a.svc.JobDisputes(c.Request.Context(), sv.MsgIDs)
	if err != nil {
		return err
	}
	a.render(c, http.StatusOK, views.SendShow(views.SendPage{Layout: l, Send: sv, CatchUp: cu, Disputes: disputeViews(ds), Approval: a.approvalView(c, s)}))
	return nil
}

// disputeViews shows each disagreeing job with its versions, the one in force first.
func disputeViews(ds []models.JobDispute) []views.DisputeView {
	var out []views.DisputeView
	for _, d := range ds {
		dv := views.DisputeView{MsgID: d.MsgID}
		for _, v := range d.Versions {
			dv.Versions = append(dv.Versions, views.ReportVersion{
				Status: v.Status, ReceivedAt: v.ReceivedAt, InForce: !v.Disputed,
				Stats: views.Stats{Total: v.Total, Filter: v.Filter, Sent: v.Sent, Error: v.Error},
			})
		}
		out = append(out, dv)
	}
	return out
}
