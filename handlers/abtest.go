package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// A/B title tests (issue 9 §4): the form beside a draft's send form, the list, a test's page and
// its one action, the winner to the rest. The sends themselves are made by models like any send.

// abTestForm shows the A/B form of a draft: a fresh idempotency key per visit.
func (a *app) abTestForm(c *gin.Context) error {
	d, ok := a.draftParam(c)
	if !ok {
		return nil
	}
	a.renderABForm(c, http.StatusOK, d, views.ABTestFields{Audience: models.ABAudienceAll, Share: 20, JudgeHours: 24, Key: randomToken()}, nil)
	return nil
}

func (a *app) renderABForm(c *gin.Context, status int, d models.Draft, f views.ABTestFields, errs views.FieldErrors) {
	page := views.ABTestFormPage{DraftID: d.ID, TitleA: draftTitle(d), Form: f, Errors: errs}
	page.Groups, page.ByTag, page.GroupsErr = a.groupOptions(c)
	page.Saved = a.savedAudienceChoice(c, views.SendFields{}).Audiences
	l := a.layout(c, "abtest.form_title")
	l.Nav = "abtests"
	page.Layout = l
	a.render(c, status, views.ABTestForm(page))
}

// abTestCreate starts a test: both halves' sends, or none (the form again, 422, saying why).
func (a *app) abTestCreate(c *gin.Context) error {
	d, ok := a.draftParam(c)
	if !ok {
		return nil
	}
	f := views.ABTestFields{Audience: c.PostForm("audience"), TitleB: c.PostForm("title_b"), Key: c.PostForm("key"), Share: -1, JudgeHours: -1}
	if n, err := strconv.Atoi(strings.TrimSpace(c.PostForm("share"))); err == nil {
		f.Share = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(c.PostForm("judge_hours"))); err == nil {
		f.JudgeHours = n
	}
	if strings.TrimSpace(f.Key) == "" {
		f.Key = randomToken() // without a key a resubmit could not be recognised: ask again
		a.renderABForm(c, http.StatusUnprocessableEntity, d, f, views.FieldErrors{"draft": "err.abtest_key"})
		return nil
	}
	cover, fe := a.abCover(c)
	if fe != nil {
		a.renderABForm(c, http.StatusUnprocessableEntity, d, f, fe)
		return nil
	}
	in := models.ABTestInput{DraftID: d.ID, Audience: f.Audience, TitleB: f.TitleB, CoverB: cover,
		SharePct: f.Share, JudgeHours: f.JudgeHours, Key: f.Key}
	t, err := a.svc.CreateABTest(c.Request.Context(), in, operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		a.renderABForm(c, http.StatusUnprocessableEntity, d, f, fe)
		return nil
	}
	if errors.Is(err, models.ErrQuotaExceeded) {
		a.renderABForm(c, http.StatusUnprocessableEntity, d, f, views.FieldErrors{"quota": "err.abtest_quota"})
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("A/B test started", "abtest_id", t.ID, "draft_id", d.ID, "send_a", t.SendAID, "send_b", t.SendBID, "operator_id", operatorOf(c).ID)
	a.audit(c, models.AuditABTestCreate, auditTarget("abtest", t.ID), fmt.Sprintf("draft:%d audience:%s %d×2 of %d seed:%d",
		d.ID, t.AudienceKind, t.HalfSize, t.AudienceSize, t.Seed))
	flash := "flash.abtest_started"
	for _, id := range []uint{t.SendAID, t.SendBID} {
		s, err := a.svc.Send(c.Request.Context(), id)
		if err != nil {
			return err
		}
		a.auditSendStarted(c, models.AuditSendCreate, s, fmt.Sprintf("abtest:%d", t.ID))
		flash = startedFlash(s, flash)
	}
	a.flash(c, flash)
	a.redirect(c, fmt.Sprintf("/abtests/%d", t.ID))
	return nil
}

// abCover stores variant B's cover when one was chosen (0: none chosen).
func (a *app) abCover(c *gin.Context) (uint, views.FieldErrors) {
	fh, err := c.FormFile("cover_b")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0) {
		return 0, nil
	}
	if err != nil || fh.Size > thumbUploads.maxSize {
		return 0, views.FieldErrors{"cover_b": "err.thumb_too_large"}
	}
	f, err := fh.Open()
	if err != nil {
		return 0, views.FieldErrors{"cover_b": "err.upload_failed"}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, thumbUploads.maxSize+1))
	if err != nil {
		return 0, views.FieldErrors{"cover_b": "err.upload_failed"}
	}
	th, err := a.svc.SaveThumb(c.Request.Context(), fh.Filename, data)
	if fe, ok := validationErrors(err); ok {
		return 0, views.FieldErrors{"cover_b": fe["thumb"]}
	}
	if err != nil {
		a.log.Error("save A/B cover", "err", err)
		return 0, views.FieldErrors{"cover_b": "err.upload_failed"}
	}
	return th.ID, nil
}

func abTestRow(t models.ABTest) views.ABTestRow {
	return views.ABTestRow{ID: t.ID, TitleA: t.TitleA, TitleB: t.TitleB, CoverB: t.CoverB,
		Audience: views.ABAudienceView{Kind: t.AudienceKind, Name: t.AudienceName},
		Size:     t.AudienceSize, Half: t.HalfSize, CreatedAt: t.CreatedAt, JudgeAt: t.JudgeAt, Winner: t.Winner}
}

// abTestsList lists the newest tests.
func (a *app) abTestsList(c *gin.Context) error {
	list, err := a.svc.ABTests(c.Request.Context())
	if err != nil {
		return err
	}
	l := a.layout(c, "abtest.list_title")
	l.Nav = "abtests"
	page := views.ABTestsPage{Layout: l}
	for _, t := range list {
		page.Rows = append(page.Rows, abTestRow(t))
	}
	a.render(c, http.StatusOK, views.ABTests(page))
	return nil
}

// abTestShow is a test's page: its variants, their read rates and the verdict.
func (a *app) abTestShow(c *gin.Context) error {
	return a.renderABTest(c, http.StatusOK, nil)
}

func (a *app) renderABTest(c *gin.Context, status int, errs views.FieldErrors) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	r, err := a.svc.ABTestReport(c.Request.Context(), id, a.reads)
	if err != nil {
		return err
	}
	l := a.layout(c, "abtest.name", id)
	l.Nav = "abtests"
	t := r.Test
	page := views.ABTestPage{Layout: l, Test: abTestRow(t), Share: t.SharePct, Seed: strconv.FormatUint(t.Seed, 10),
		Rest: t.Rest(), Status: r.Status, MinSent: models.ABMinSent, MinReads: models.ABMinReads,
		CanSendWinner: r.CanSendWinner, Winner: r.Winner(), WinnerSendID: t.WinnerSendID, Errors: errs}
	if t.WinnerSendID != 0 {
		page.Winner = t.Winner
	}
	for _, v := range []struct {
		name  string
		title string
		v     models.ABVariant
	}{{"A", t.TitleA, r.A}, {"B", t.TitleB, r.B}} {
		vv := views.ABVariantView{Name: v.name, Title: v.title, SendID: v.v.Send.ID, State: string(v.v.Send.State),
			Recipients: v.v.Send.Recipients, Sent: v.v.Send.Sent, Reads: v.v.Reads, ReadsKnown: v.v.ReadsKnown}
		if v.v.ReadsKnown && v.v.Send.Sent > 0 {
			vv.Rate = fmt.Sprintf("%.1f%%", 100*v.v.Rate)
		}
		page.Variants = append(page.Variants, vv)
	}
	if r.Status == models.ABStatusJudged {
		page.Verdict = r.Result.Verdict
		if r.Result.Verdict != models.VerdictTooFew {
			page.Z, page.P = fmt.Sprintf("%.2f", r.Result.Z), formatP(r.Result.P)
		}
	}
	a.render(c, status, views.ABTest(page))
	return nil
}

// formatP shows a p-value with the digits that matter: "p = 0.0209", "p < 0.0001".
func formatP(p float64) string {
	if p < 0.0001 {
		return "p < 0.0001"
	}
	return "p = " + strconv.FormatFloat(p, 'f', 4, 64)
}

// abTestWinner sends the winning variant to the rest of the test's audience.
func (a *app) abTestWinner(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	send, err := a.svc.SendABWinner(c.Request.Context(), id, a.reads, operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		return a.renderABTest(c, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, models.ErrQuotaExceeded) {
		return a.renderABTest(c, http.StatusUnprocessableEntity, views.FieldErrors{"quota": "err.abtest_winner_quota"})
	}
	if err != nil {
		return err
	}
	a.log.Info("A/B winner sent", "abtest_id", id, "send_id", send.ID, "operator_id", operatorOf(c).ID)
	a.audit(c, models.AuditABTestWinner, auditTarget("abtest", id), fmt.Sprintf("send:%d to %d", send.ID, send.Recipients))
	a.auditSendStarted(c, models.AuditSendCreate, send, fmt.Sprintf("abtest:%d winner", id))
	a.flash(c, startedFlash(send, "flash.abtest_winner"))
	a.redirect(c, fmt.Sprintf("/abtests/%d", id))
	return nil
}
