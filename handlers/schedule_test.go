package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/views/i18n"
)

// confirmFields posts the send form of a new draft to a group and returns the draft id and the
// confirmation page's form, as a browser would post it on.
func (ta *testApp) confirmFields(title string) (string, url.Values, response) {
	ta.t.Helper()
	draft, fields := ta.sendFormFields(title)
	fields.Set("target", "group")
	fields.Set("group_id", "100")
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	if c.status != http.StatusOK {
		ta.t.Fatalf("confirm: %d\n%.2000s", c.status, c.body)
	}
	doc := c.doc(ta.t)
	form := url.Values{}
	doc.Find(`form[action="/drafts/` + draft + `/send"] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("name")
		v, _ := s.Attr("value")
		form.Set(n, v)
	})
	if form.Get("key") == "" || form.Get("csrf_token") == "" {
		ta.t.Fatalf("confirm page form: %v", form)
	}
	return draft, form, c
}

// Times typed in Beijing time: a past one, a bad date and one years ahead are refused on the
// confirmation page (422, its words in each language, what was typed kept); a good one is
// scheduled and listed with the time left.
func TestScheduleFormValidation(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			ta := newTestApp(t)
			ta.setupAndLogin()
			ta.setLang(lang)
			draft, form, confirm := ta.confirmFields("定时")
			controls := confirm.doc(t).Find(`[data-testid=schedule-controls]`)
			if controls.Length() != 1 || controls.Find(`[data-testid=schedule-next-day]`).Length() != 0 {
				t.Fatalf("confirm page schedule controls: %d (next-day button shown with quota to spare?)", controls.Length())
			}
			if d, _ := controls.Find(`[data-testid=schedule-date]`).Attr("value"); d != "2024-05-20" {
				t.Fatalf("default date %q", d)
			}
			for _, c := range []struct{ date, clock, want string }{
				{"2024-05-20", "09:59", "err.schedule_past"},
				{"2024-02-30", "10:00", "err.schedule_time_invalid"},
				{"2024-05-21", "25:00", "err.schedule_time_invalid"},
				{"", "", "err.schedule_time_invalid"},
				{"2027-05-21", "10:00", "err.schedule_too_far"},
			} {
				f := cloneValues(form)
				f.Set("when", "at")
				f.Set("schedule_date", c.date)
				f.Set("schedule_time", c.clock)
				r := ta.post("/drafts/"+draft+"/schedule", f)
				if r.status != http.StatusUnprocessableEntity {
					t.Fatalf("%s %s: %d", c.date, c.clock, r.status)
				}
				doc := r.doc(t)
				got := strings.TrimSpace(doc.Find(`[data-testid=schedule-controls] .field-error`).Text())
				if got != i18n.T(lang, c.want) {
					t.Errorf("%s %s: error %q; want %q", c.date, c.clock, got, i18n.T(lang, c.want))
				}
				if v, _ := doc.Find(`[data-testid=schedule-date]`).Attr("value"); v != c.date && c.date != "" {
					t.Errorf("typed date not kept: %q", v)
				}
			}
			if list, _ := ta.svc.Schedules(context.Background()); len(list) != 0 {
				t.Fatalf("refused times made %d schedules", len(list))
			}

			f := cloneValues(form)
			f.Set("when", "at")
			f.Set("schedule_date", "2024-05-21")
			f.Set("schedule_time", "08:30:00") // some browsers send seconds
			r := ta.post("/drafts/"+draft+"/schedule", f)
			if r.status != http.StatusSeeOther || r.location != "/schedules" {
				t.Fatalf("schedule: %d %q\n%.1500s", r.status, r.location, r.body)
			}
			page := ta.get("/schedules").doc(t)
			if got, want := page.Find(`[data-testid=flash]`).Text(), i18n.T(lang, "flash.scheduled", "2024-05-21 08:30"); got != want {
				t.Errorf("flash %q; want %q", got, want)
			}
			row := page.Find(`[data-testid=schedule-row]`)
			if row.Length() != 1 || row.Find(`[data-testid=schedule-due]`).Text() != "2024-05-21 08:30" {
				t.Fatalf("rows %d, due %q", row.Length(), row.Find(`[data-testid=schedule-due]`).Text())
			}
			if got, want := strings.TrimSpace(row.Find(`[data-testid=schedule-left]`).Text()), i18n.T(lang, "schedule.left_hours", 22, 30); got != want {
				t.Errorf("time left %q; want %q", got, want)
			}
		})
	}
}

// Today's quota too short for the send: the confirmation page offers the next Beijing day at
// 00:05 in one click, and that click schedules it then. Sending to everyone asks for the same
// confirmation as sending now.
func TestScheduleNextDayWhenQuotaExceeded(t *testing.T) {
	ta := newTestAppWithRules(t, models.Rules{DailyQuota: 2}) // the send needs thumb + news + sendall
	ta.setupAndLogin()
	draft, form, confirm := ta.confirmFields("明天发")
	doc := confirm.doc(t)
	if doc.Find(`[data-testid=quota-exceeded]`).Length() != 1 {
		t.Fatal("quota not shown as exceeded")
	}
	if _, disabled := doc.Find(`[data-testid=confirm-send]`).Attr("disabled"); !disabled {
		t.Fatal("send now not disabled")
	}
	btn := doc.Find(`[data-testid=schedule-next-day]`)
	if !strings.Contains(btn.Text(), "2024-05-21 00:05") {
		t.Fatalf("next-day button %q", btn.Text())
	}
	if action, _ := btn.Attr("formaction"); action != "/drafts/"+draft+"/schedule" {
		t.Fatalf("next-day button posts to %q", action)
	}

	all := cloneValues(form)
	all.Set("target", "all")
	all.Set("when", "next_day")
	if r := ta.post("/drafts/"+draft+"/schedule", all); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, i18n.T("zh", "err.confirm_all")) {
		t.Fatalf("everyone without its confirmation: %d", r.status)
	}

	f := cloneValues(form)
	f.Set("when", "next_day")
	r := ta.post("/drafts/"+draft+"/schedule", f)
	if r.status != http.StatusSeeOther || r.location != "/schedules" {
		t.Fatalf("next day: %d %q\n%.1500s", r.status, r.location, r.body)
	}
	if again := ta.post("/drafts/"+draft+"/schedule", f); again.status != http.StatusSeeOther {
		t.Fatalf("double click: %d", again.status)
	}
	list, err := ta.svc.Schedules(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("schedules %d, %v (a double click must make one)", len(list), err)
	}
	want := time.Date(2024, 5, 21, 0, 5, 0, 0, models.Beijing)
	if s := list[0]; !s.DueAt.Equal(want) || s.Target != models.TargetGroup || s.GroupID != 100 || s.State != models.ScheduleScheduled {
		t.Fatalf("schedule %+v", s)
	}

	// At 00:05 the new day's quota (2) is still short of the 3 calls: planned again, it fails
	// with the figures, and nothing is sent.
	ta.now = want
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	row := ta.get("/schedules").doc(t).Find(`[data-testid=schedule-row]`)
	if st, _ := row.Attr("data-state"); st != "failed" {
		t.Fatalf("state at 00:05: %q", st)
	}
	if got, want := row.Find(`[data-testid=schedule-reason]`).Text(), i18n.T("zh", "schedule.reason_quota", 3, 2); got != want {
		t.Fatalf("reason %q; want %q", got, want)
	}
	if sends, _ := ta.svc.ListSends(context.Background()); len(sends) != 0 {
		t.Fatalf("%d sends made past the quota", len(sends))
	}
}

// A schedule missed while Qunfa was down shows on every page and on /schedules, where the
// operator sends it now; a waiting one is changed and cancelled there.
func TestScheduleMissedSendNowEditCancel(t *testing.T) {
	ta := newTestAppWithRules(t, models.Rules{DailyQuota: 100})
	ta.setupAndLogin()
	ctx := context.Background()
	draft, form, _ := ta.confirmFields("错过")
	for _, at := range []string{"11:00", "12:00"} {
		f := cloneValues(form)
		f.Set("key", form.Get("key")+at) // two schedules
		f.Set("schedule_date", "2024-05-20")
		f.Set("schedule_time", at)
		if r := ta.post("/drafts/"+draft+"/schedule", f); r.status != http.StatusSeeOther {
			t.Fatalf("schedule %s: %d", at, r.status)
		}
	}
	list, _ := ta.svc.Schedules(ctx)
	if len(list) != 2 {
		t.Fatalf("schedules %d", len(list))
	}
	first, second := list[0], list[1]

	// Change the second one's time and group, then cancel it.
	edit := ta.get("/schedules/" + itoa(second.ID))
	if edit.status != http.StatusOK || edit.doc(t).Find(`[data-testid=schedule-group]`).Length() != 1 {
		t.Fatalf("edit page %d", edit.status)
	}
	tok := ta.csrf("/schedules")
	if r := ta.post("/schedules/"+itoa(second.ID), url.Values{"csrf_token": {tok}, "schedule_date": {"2024-05-19"}, "schedule_time": {"12:00"}, "group_id": {"0"}}); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, i18n.T("zh", "err.schedule_past")) {
		t.Fatalf("edit to the past: %d", r.status)
	}
	if r := ta.post("/schedules/"+itoa(second.ID), url.Values{"csrf_token": {tok}, "schedule_date": {"2024-05-22"}, "schedule_time": {"07:15"}, "group_id": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%.1000s", r.status, r.body)
	}
	if s, _ := ta.svc.Schedule(ctx, second.ID); !s.DueAt.Equal(time.Date(2024, 5, 22, 7, 15, 0, 0, models.Beijing)) || s.GroupID != 0 || s.GroupName != "未分组" {
		t.Fatalf("after edit %+v", s)
	}
	if r := ta.post("/schedules/"+itoa(second.ID)+"/cancel", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.status)
	}
	if s, _ := ta.svc.Schedule(ctx, second.ID); s.State != models.ScheduleCancelled {
		t.Fatalf("after cancel %+v", s)
	}

	// Down from 10:00 to 11:30: the 11:00 schedule is missed, not sent.
	ta.now = ta.now.Add(90 * time.Minute)
	if err := ta.svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	drafts := ta.get("/drafts").doc(t)
	if got, want := strings.Join(strings.Fields(drafts.Find(`[data-testid=missed-notice]`).Text()), " "),
		strings.Join(strings.Fields(i18n.T("zh", "schedule.missed_notice", 1)+" "+i18n.T("zh", "schedule.missed_go")), " "); got != want {
		t.Fatalf("missed notice %q; want %q", got, want)
	}
	page := ta.get("/schedules").doc(t)
	row := page.Find(`[data-testid=schedule-row][data-id="` + itoa(first.ID) + `"]`)
	if st, _ := row.Attr("data-state"); st != "missed" || row.Find(`[data-testid=schedule-send-now]`).Length() != 1 {
		t.Fatalf("missed row state %q", st)
	}
	r := ta.post("/schedules/"+itoa(first.ID)+"/send", url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") {
		t.Fatalf("send now: %d %q", r.status, r.location)
	}
	if ta.get("/drafts").doc(t).Find(`[data-testid=missed-notice]`).Length() != 0 {
		t.Fatal("missed notice after send now")
	}
	if s, _ := ta.svc.Schedule(ctx, first.ID); s.State != models.ScheduleFired || "/sends/"+itoa(s.SendID) != r.location {
		t.Fatalf("after send now %+v", s)
	}
	if r := ta.post("/schedules/"+itoa(first.ID)+"/cancel", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("cancel of a fired schedule: %d", r.status)
	}
	if s, _ := ta.svc.Schedule(ctx, first.ID); s.State != models.ScheduleFired {
		t.Fatalf("a fired schedule was cancelled: %+v", s)
	}
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }
