package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// Scheduled sends (定时群发): POST /drafts/:id/schedule from the confirmation page, the list at
// GET /schedules, and the edit, cancel and send-now actions of one schedule.

// scheduleForm is the confirmation page's schedule part: what the operator typed (a page shown
// again after an error keeps it) or an hour from now, and the next Beijing day's time.
func (a *app) scheduleForm(c *gin.Context, exceeded bool) views.ScheduleForm {
	now := a.svc.Rules().Now()
	def := now.Add(time.Hour).In(models.Beijing).Truncate(5 * time.Minute)
	f := views.ScheduleForm{
		Date:     c.PostForm("schedule_date"),
		Time:     c.PostForm("schedule_time"),
		NextDay:  models.NextQuotaDay(now),
		Exceeded: exceeded,
	}
	if f.Date == "" && f.Time == "" {
		f.Date, f.Time = def.Format(time.DateOnly), def.Format("15:04")
	}
	return f
}

// scheduleDue reads the time a schedule is asked for: the next Beijing day (the one-click
// choice), or the date and time inputs in Beijing time. On a bad entry it returns the catalogue
// key of the error.
func (a *app) scheduleDue(c *gin.Context) (time.Time, string) {
	if c.PostForm("when") == "next_day" {
		return models.NextQuotaDay(a.svc.Rules().Now()), ""
	}
	return parseBeijing(c.PostForm("schedule_date"), c.PostForm("schedule_time"))
}

// parseBeijing reads a date (2006-01-02) and a time (15:04, or 15:04:05 as a time input with
// seconds sends it) typed in Beijing time.
func parseBeijing(date, clock string) (time.Time, string) {
	date, clock = strings.TrimSpace(date), strings.TrimSpace(clock)
	layout := "2006-01-02 15:04"
	if len(clock) == len("15:04:05") {
		layout = "2006-01-02 15:04:05"
	}
	t, err := time.ParseInLocation(layout, date+" "+clock, models.Beijing)
	if err != nil {
		return time.Time{}, "err.schedule_time_invalid"
	}
	return t, ""
}

// scheduleCreate keeps the confirmed send request for later. The confirmation page's own
// checks come first (the list it kept, the everyone confirmation); errors of the time show the
// confirmation page again, errors of the target the send form.
func (a *app) scheduleCreate(c *gin.Context) error {
	d, f, ok := a.confirmedSend(c)
	if !ok {
		return nil
	}
	due, bad := a.scheduleDue(c)
	if bad != "" {
		a.planAndConfirm(c, d, f, http.StatusUnprocessableEntity, views.FieldErrors{"schedule_at": bad})
		return nil
	}
	sc, err := a.svc.CreateSchedule(c.Request.Context(), models.ScheduleInput{Send: sendInput(d.ID, f), DueAt: due}, operatorOf(c).ID)
	if fe, ok := validationErrors(err); ok {
		if fe["schedule_at"] != "" {
			a.planAndConfirm(c, d, f, http.StatusUnprocessableEntity, fe)
		} else {
			a.renderSendForm(c, http.StatusUnprocessableEntity, d, f, fe)
		}
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("send scheduled", "schedule_id", sc.ID, "draft_id", d.ID, "operator_id", operatorOf(c).ID)
	a.audit(c, models.AuditScheduleCreate, auditTarget("schedule", sc.ID), "due "+views.FormatMinute(sc.DueAt)+" (Beijing)")
	a.flash(c, "flash.scheduled", views.FormatMinute(sc.DueAt))
	a.redirect(c, "/schedules")
	return nil
}

// scheduleRow is a schedule as the list shows it.
func scheduleRow(s models.Schedule, byTag bool) views.ScheduleRow {
	r := views.ScheduleRow{ID: s.ID, Title: s.Title, DueAt: s.DueAt, State: string(s.State), SendID: s.SendID,
		Waiting: s.Waiting(), Retry: s.State == models.ScheduleMissed || s.State == models.ScheduleFailed,
		Target: views.Target{Kind: string(s.Target), GroupName: s.GroupName, ByTag: byTag, Recipients: s.ListCount}}
	if s.State == models.ScheduleFailed {
		r.Reason = s.Reason
		switch s.Reason {
		case models.ReasonQuota:
			r.ReasonArgs = []any{s.NeedCalls, s.QuotaLeft}
		case models.ReasonError:
			r.ReasonArgs = []any{s.Detail}
		}
	}
	return r
}

func (a *app) schedulesList(c *gin.Context) error {
	list, err := a.svc.Schedules(c.Request.Context())
	if err != nil {
		return err
	}
	byTag := a.audienceByTag(c)
	page := views.SchedulesPage{Now: a.svc.Rules().Now()}
	for _, s := range list {
		page.Rows = append(page.Rows, scheduleRow(s, byTag))
	}
	page.Layout = a.layout(c, "schedules.title")
	page.Layout.Nav = "schedules"
	a.render(c, http.StatusOK, views.Schedules(page))
	return nil
}

// loadSchedule loads the schedule named by :id.
func (a *app) loadSchedule(c *gin.Context) (models.Schedule, error) {
	id, err := a.idParam(c)
	if err != nil {
		return models.Schedule{}, err
	}
	return a.svc.Schedule(c.Request.Context(), id)
}

func (a *app) scheduleEdit(c *gin.Context) error {
	s, err := a.loadSchedule(c)
	if err != nil {
		return err
	}
	if !s.Waiting() {
		a.flash(c, "err.schedule_not_waiting")
		a.redirect(c, "/schedules")
		return nil
	}
	b := s.DueAt.In(models.Beijing)
	a.renderScheduleEdit(c, http.StatusOK, s, b.Format(time.DateOnly), b.Format("15:04"), s.GroupID, nil)
	return nil
}

func (a *app) renderScheduleEdit(c *gin.Context, status int, s models.Schedule, date, clock string, groupID int64, errs views.FieldErrors) {
	byTag := a.audienceByTag(c)
	page := views.ScheduleEditPage{Row: scheduleRow(s, byTag), Date: date, Time: clock, GroupID: groupID, ByTag: byTag, Errors: errs,
		MinDate: a.svc.Rules().Now().In(models.Beijing).Format(time.DateOnly)}
	if s.Target == models.TargetGroup {
		page.Groups, _, page.GroupsErr = a.groupOptions(c)
	}
	page.Layout = a.layout(c, "schedule.edit_title", s.Title)
	page.Layout.Nav = "schedules"
	a.render(c, status, views.ScheduleEdit(page))
}

func (a *app) scheduleSave(c *gin.Context) error {
	s, err := a.loadSchedule(c)
	if err != nil {
		return err
	}
	date, clock := c.PostForm("schedule_date"), c.PostForm("schedule_time")
	groupID, edit := s.GroupID, models.ScheduleEdit{}
	if g := strings.TrimSpace(c.PostForm("group_id")); g != "" {
		if groupID, err = strconv.ParseInt(g, 10, 64); err != nil {
			a.renderScheduleEdit(c, http.StatusUnprocessableEntity, s, date, clock, s.GroupID, views.FieldErrors{"group": "err.group_invalid"})
			return nil
		}
		edit.GroupID = &groupID
	}
	due, bad := parseBeijing(date, clock)
	if bad != "" {
		a.renderScheduleEdit(c, http.StatusUnprocessableEntity, s, date, clock, groupID, views.FieldErrors{"schedule_at": bad})
		return nil
	}
	edit.DueAt = due
	err = a.svc.EditSchedule(c.Request.Context(), s.ID, edit)
	if fe, ok := validationErrors(err); ok {
		a.renderScheduleEdit(c, http.StatusUnprocessableEntity, s, date, clock, groupID, fe)
		return nil
	}
	if errors.Is(err, models.ErrScheduleNotWaiting) {
		a.flash(c, "err.schedule_not_waiting")
		a.redirect(c, "/schedules")
		return nil
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditScheduleSave, auditTarget("schedule", s.ID), "due "+views.FormatMinute(due)+" (Beijing)")
	a.flash(c, "flash.schedule_saved")
	a.redirect(c, "/schedules")
	return nil
}

func (a *app) scheduleCancel(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	err = a.svc.CancelSchedule(c.Request.Context(), id)
	switch {
	case errors.Is(err, models.ErrScheduleNotWaiting):
		a.flash(c, "err.schedule_not_waiting")
	case err != nil:
		return err
	default:
		a.log.Info("schedule cancelled", "schedule_id", id, "operator_id", operatorOf(c).ID)
		a.audit(c, models.AuditScheduleCancel, auditTarget("schedule", id), "")
		a.flash(c, "flash.schedule_cancelled")
	}
	a.redirect(c, "/schedules")
	return nil
}

// scheduleSendNow sends a missed (or failed) schedule now, planned as of now: the send's page,
// or the list with the reason it was refused.
func (a *app) scheduleSendNow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	send, err := a.svc.SendScheduleNow(c.Request.Context(), id)
	var refused *models.ScheduleFailedError
	switch {
	case errors.As(err, &refused):
		// The list shows why, on the schedule's row, in the reader's language.
		a.flash(c, "err.schedule_refused")
		a.redirect(c, "/schedules")
		return nil
	case errors.Is(err, models.ErrScheduleNotWaiting):
		a.flash(c, "err.schedule_not_waiting")
		a.redirect(c, "/schedules")
		return nil
	case err != nil:
		return err
	}
	a.log.Info("scheduled send sent now", "schedule_id", id, "send_id", send.ID, "operator_id", operatorOf(c).ID)
	a.auditSendStarted(c, models.AuditScheduleNow, send, fmt.Sprintf("schedule:%d", id))
	a.flash(c, startedFlash(send, "flash.send_started"))
	a.redirect(c, fmt.Sprintf("/sends/%d", send.ID))
	return nil
}
