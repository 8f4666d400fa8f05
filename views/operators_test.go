package views

import (
	"strings"
	"testing"
)

// The menu shows each role only the links it may use, and every role its password link.
func TestMenuFollowsRole(t *testing.T) {
	all := []string{"drafts", "sends", "schedules", "audiences", "followers", "settings", "operators", "account"}
	for _, tt := range []struct {
		role              string
		canEdit, canAdmin bool
		want              string // the links shown, in order
	}{
		{"viewer", false, false, "sends schedules followers account"},
		{"editor", true, false, "drafts sends schedules audiences followers account"},
		{"admin", true, true, "drafts sends schedules audiences followers settings operators account"},
	} {
		l := Layout{Lang: "zh", Title: "sends.title", Operator: tt.role, CSRF: "tok", CanEdit: tt.canEdit, CanAdmin: tt.canAdmin}
		d := render(t, Sends(SendsPage{Layout: l}))
		var got []string
		for _, n := range all {
			if d.Find(`#site-menu [data-testid=nav-`+n+`]`).Length() == 1 {
				got = append(got, n)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s sees %v, want %s", tt.role, got, tt.want)
		}
	}
}

// A generated password is on the page that answers the reset, and the operators list marks the
// one looking at it.
func TestOperatorPages(t *testing.T) {
	l := Layout{Lang: "en", Title: "operators.title", Operator: "boss", CSRF: "tok", CanEdit: true, CanAdmin: true}
	row := OperatorRow{ID: 7, Username: "ed", Role: "editor", Disabled: true}
	d := render(t, OperatorShow(OperatorPage{Layout: l, Operator: row, Roles: []string{"admin", "editor", "viewer"}, NewPassword: "Abc23456789defgh"}))
	if got := d.Find(`[data-testid=new-password]`).Text(); got != "Abc23456789defgh" {
		t.Errorf("generated password shown as %q", got)
	}
	if v, _ := d.Find(`[data-testid=role-select] option[selected]`).Attr("value"); v != "editor" {
		t.Errorf("selected role %q", v)
	}
	if d.Find(`form[action="/operators/7/enable"]`).Length() != 1 || d.Find(`form[action="/operators/7/disable"]`).Length() != 0 {
		t.Error("a disabled operator's page offers to enable, not to disable")
	}
	d = render(t, Operators(OperatorsPage{Layout: l, Operators: []OperatorRow{{ID: 1, Username: "boss", Role: "admin", Self: true}, row}}))
	if n := d.Find(`[data-testid=operator-row]`).Length(); n != 2 {
		t.Fatalf("%d rows", n)
	}
	if got := d.Find(`[data-testid=operator-row][data-username=ed] [data-testid=operator-status]`).AttrOr("data-status", ""); got != "disabled" {
		t.Errorf("ed's status %q", got)
	}
	if !strings.Contains(d.Find(`[data-testid=operator-row][data-username=boss]`).Text(), "(you)") {
		t.Error("the admin's own row is not marked")
	}
}
