package views

import (
	"fmt"
	"time"
)

// OperatorRow is one operator as the operators pages show them.
type OperatorRow struct {
	ID          uint
	Username    string
	Role        string // "admin" | "editor" | "viewer"
	Disabled    bool
	CreatedAt   time.Time
	LastLoginAt *time.Time
	Self        bool // the operator looking at the page
}

// RoleKey is the catalogue key of the role's name.
func (o OperatorRow) RoleKey() string { return "role." + o.Role }

// URL is the operator's page, or one of its actions (suffix "/role", "/disable"…).
func (o OperatorRow) URL(suffix string) string { return fmt.Sprintf("/operators/%d%s", o.ID, suffix) }

// OperatorsPage lists the operators (admins only).
type OperatorsPage struct {
	Layout    Layout
	Operators []OperatorRow
}

// OperatorNewPage is the form that adds an operator.
type OperatorNewPage struct {
	Layout   Layout
	Username string
	Role     string
	Roles    []string
	Errors   FieldErrors
}

// OperatorPage is one operator, with the forms that change their role, disable or re-enable
// them, and reset their password.
type OperatorPage struct {
	Layout   Layout
	Operator OperatorRow
	Roles    []string
	Error    string      // catalogue key of what was refused (the last admin), "" for none
	Errors   FieldErrors // the reset form's field errors
	// NewPassword is the generated password, shown on this one response and never again.
	NewPassword string
}

// AccountPasswordPage is the form where an operator changes their own password.
type AccountPasswordPage struct {
	Layout Layout
	Errors FieldErrors
	Forced bool // an admin set the password: the operator must choose their own first
}
