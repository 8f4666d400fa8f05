package models

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// team is an admin who adds an editor and a viewer through the Service.
func team(t *testing.T, f *fixture) (admin, ed, vw Operator) {
	t.Helper()
	ctx := context.Background()
	admin, err := f.store.CreateFirstOperator(ctx, "admin", "password123")
	if err != nil {
		t.Fatal(err)
	}
	ed, err = f.svc.CreateOperator(ctx, admin, NewOperator{Username: "ed", Password: "password123", Role: RoleEditor})
	if err != nil || ed.Role != RoleEditor {
		t.Fatalf("create editor: %+v, %v", ed, err)
	}
	vw, err = f.svc.CreateOperator(ctx, admin, NewOperator{Username: "vi", Password: "password123", Role: RoleViewer})
	if err != nil || vw.Role != RoleViewer {
		t.Fatalf("create viewer: %+v, %v", vw, err)
	}
	return admin, ed, vw
}

func TestCreateOperatorWithRoleValidates(t *testing.T) {
	f := newFixture(t)
	admin, _, _ := team(t, f)
	ctx := context.Background()
	for _, tc := range []struct {
		in          NewOperator
		field, want string
	}{
		{NewOperator{"x1", "password123", Role("root")}, "role", "err.role_invalid"},
		{NewOperator{"ed", "password123", RoleEditor}, "username", "err.username_taken"},
		{NewOperator{"new", "short", RoleViewer}, "password", "err.password_too_short"},
	} {
		_, err := f.svc.CreateOperator(ctx, admin, tc.in)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.want {
			t.Errorf("CreateOperator(%+v) = %v; want %s=%s", tc.in, err, tc.field, tc.want)
		}
	}
	ops, err := f.svc.ListOperators(ctx)
	if err != nil || len(ops) != 3 || ops[0].Username != "admin" || ops[1].Username != "ed" || ops[2].Username != "vi" {
		t.Fatalf("ListOperators = %+v, %v", ops, err)
	}
}

// There is always one enabled admin: the last one can be neither disabled nor demoted, by
// themselves or anyone; once a second admin exists, either may go.
func TestLastEnabledAdminStays(t *testing.T) {
	f := newFixture(t)
	admin, ed, _ := team(t, f)
	ctx := context.Background()
	if err := f.svc.DisableOperator(ctx, admin, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable the last admin: %v", err)
	}
	if err := f.svc.SetOperatorRole(ctx, admin, admin.ID, RoleEditor); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote the last admin: %v", err)
	}
	// A disabled admin does not count.
	if err := f.svc.SetOperatorRole(ctx, admin, ed.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DisableOperator(ctx, admin, ed.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DisableOperator(ctx, admin, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable the last enabled admin while a disabled one exists: %v", err)
	}
	if err := f.svc.EnableOperator(ctx, admin, ed.ID); err != nil {
		t.Fatal(err)
	}
	// Two enabled admins: one may be demoted; then the other is the last again.
	if err := f.svc.SetOperatorRole(ctx, admin, admin.ID, RoleViewer); err != nil {
		t.Fatalf("demote with another admin: %v", err)
	}
	if err := f.svc.DisableOperator(ctx, admin, ed.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable the admin left: %v", err)
	}
	got, _ := f.svc.Operator(ctx, admin.ID)
	if got.Role != RoleViewer {
		t.Fatalf("role after demotion: %q", got.Role)
	}
	if err := f.svc.SetOperatorRole(ctx, admin, 999, RoleViewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown operator: %v", err)
	}
	if err := f.svc.SetOperatorRole(ctx, admin, ed.ID, Role("root")); err == nil {
		t.Fatal("unknown role accepted")
	}
}

// Two admins disabling each other at the same moment: exactly one succeeds.
func TestAdminsDisablingEachOtherLeaveOne(t *testing.T) {
	f := newFixture(t)
	a, b, _ := team(t, f)
	ctx := context.Background()
	if err := f.svc.SetOperatorRole(ctx, a, b.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]Operator{{a, b}, {b, a}} {
		wg.Go(func() { errs[i] = f.svc.DisableOperator(ctx, pair[0], pair[1].ID) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrLastAdmin):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 2 disablings succeeded: %v", ok, errs)
	}
}

// A disabled operator cannot log in: the right password answers ErrOperatorDisabled (still an
// ErrBadCredentials), a wrong one plain ErrBadCredentials; re-enabled, they can again. A login
// records its time.
func TestDisabledOperatorCannotLogIn(t *testing.T) {
	f := newFixture(t)
	admin, ed, _ := team(t, f)
	ctx := context.Background()
	op, err := f.svc.Authenticate(ctx, "ed", "password123")
	if err != nil || op.LastLoginAt == nil {
		t.Fatalf("login: %+v, %v", op, err)
	}
	if got, _ := f.svc.Operator(ctx, ed.ID); got.LastLoginAt == nil {
		t.Fatal("last login not stored")
	}
	if err := f.svc.DisableOperator(ctx, admin, ed.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Operator(ctx, ed.ID); got.DisabledAt == nil || !got.DisabledAt.Equal(f.clock.Now()) {
		t.Fatalf("disabled at %v, want %v", got.DisabledAt, f.clock.Now())
	}
	_, err = f.svc.Authenticate(ctx, "ed", "password123")
	if !errors.Is(err, ErrOperatorDisabled) || !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("disabled, right password: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "ed", "wrong-password"); err != ErrBadCredentials {
		t.Fatalf("disabled, wrong password: %v", err)
	}
	if err := f.svc.EnableOperator(ctx, admin, ed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "ed", "password123"); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
}

// A reset sets the password given, or a random one returned once; either way the session epoch
// rises (the operator's sessions end) and the old password stops working.
func TestResetOperatorPassword(t *testing.T) {
	f := newFixture(t)
	admin, ed, _ := team(t, f)
	ctx := context.Background()
	if _, err := f.svc.ResetOperatorPassword(ctx, admin, ed.ID, "short"); err == nil {
		t.Fatal("short password accepted")
	}
	got, err := f.svc.ResetOperatorPassword(ctx, admin, ed.ID, "another-pass")
	if err != nil || got != "another-pass" {
		t.Fatalf("reset to a given password: %q, %v", got, err)
	}
	gen, err := f.svc.ResetOperatorPassword(ctx, admin, ed.ID, "")
	if err != nil || len(gen) != 16 || gen == "another-pass" {
		t.Fatalf("generated password %q, %v", gen, err)
	}
	if again, _ := f.svc.ResetOperatorPassword(ctx, admin, ed.ID, ""); again == gen {
		t.Fatal("two generated passwords are the same")
	}
	op, _ := f.svc.Operator(ctx, ed.ID)
	if op.SessionEpoch != 3 {
		t.Fatalf("session epoch %d after three resets, want 3", op.SessionEpoch)
	}
	if _, err := f.svc.Authenticate(ctx, "ed", "password123"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := f.svc.ResetOperatorPassword(ctx, admin, 999, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown operator: %v", err)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	f := newFixture(t)
	_, ed, _ := team(t, f)
	ctx := context.Background()
	for _, tc := range []struct {
		ch          PasswordChange
		field, want string
	}{
		{PasswordChange{"wrong-current", "new-password", "new-password"}, "current", "err.current_password_wrong"},
		{PasswordChange{"password123", "new-password", "new-passwore"}, "confirm", "err.password_mismatch"},
		{PasswordChange{"password123", "short", "short"}, "new", "err.password_too_short"},
	} {
		_, err := f.svc.ChangeOwnPassword(ctx, ed, tc.ch)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.want {
			t.Errorf("ChangeOwnPassword(%+v) = %v; want %s=%s", tc.ch, err, tc.field, tc.want)
		}
	}
	op, err := f.svc.ChangeOwnPassword(ctx, ed, PasswordChange{"password123", "new-password", "new-password"})
	if err != nil || op.SessionEpoch != 1 {
		t.Fatalf("change: %+v, %v", op, err)
	}
	if _, err := f.svc.Authenticate(ctx, "ed", "new-password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "ed", "password123"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password: %v", err)
	}
}

// A password an admin set (a new operator's, a reset's) is one the operator must replace with
// their own; the first-run admin's is their own; choosing one clears the mark, keeping the old
// one does not count.
func TestAdminSetPasswordsMustBeReplaced(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, ed, _ := team(t, f)
	reread := func(id uint) Operator {
		t.Helper()
		op, err := f.store.Operator(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	if reread(admin.ID).MustChangePassword {
		t.Error("the first-run admin must change the password they chose")
	}
	if !ed.MustChangePassword || !reread(ed.ID).MustChangePassword {
		t.Fatal("an operator an admin added need not choose their own password")
	}
	_, err := f.svc.ChangeOwnPassword(ctx, ed, PasswordChange{Current: "password123", New: "password123", Confirm: "password123"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["new"] != "err.password_unchanged" || !reread(ed.ID).MustChangePassword {
		t.Fatalf("keeping the admin's password: %v", err)
	}
	ed, err = f.svc.ChangeOwnPassword(ctx, ed, PasswordChange{Current: "password123", New: "eds-own-words", Confirm: "eds-own-words"})
	if err != nil || ed.MustChangePassword || reread(ed.ID).MustChangePassword {
		t.Fatalf("after choosing: %+v, %v", reread(ed.ID), err)
	}
	for _, typed := range []string{"", "typed-by-admin"} {
		if _, err := f.svc.ResetOperatorPassword(ctx, admin, ed.ID, typed); err != nil {
			t.Fatal(err)
		}
		if !reread(ed.ID).MustChangePassword {
			t.Errorf("reset (typed %q): the operator need not choose their own", typed)
		}
	}
}
