package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Operator is a person who may log in to the dashboard.
type Operator struct {
	ID         uint
	Username   string
	Role       Role
	DisabledAt *time.Time // nil while the operator may log in
	CreatedAt  time.Time
	// LastLoginAt is nil until the first login (migration 16).
	LastLoginAt *time.Time
	// SessionEpoch rises when the password changes; a session started under another epoch ends.
	SessionEpoch int64
	// MustChangePassword is set while the password is one an admin set (migration 24): until the
	// operator chooses their own, every page but that form sends them to it.
	MustChangePassword bool
}

// Role is what an operator may do. Each role may do everything the ones after it may.
type Role string

const (
	RoleAdmin  Role = "admin"  // settings, operators, approvals, and all an editor may do
	RoleEditor Role = "editor" // drafts, sends to groups, tags and lists, previews
	RoleViewer Role = "viewer" // history and reports
)

// Roles lists the roles from the most to the least powerful.
var Roles = []Role{RoleAdmin, RoleEditor, RoleViewer}

// rank orders the roles: a higher rank may do more. An unknown role ranks below every other.
func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether an operator of role r may do what role min may.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

const (
	minUsername = 2
	maxUsername = 32
	minPassword = 8
	maxPassword = 72 // bcrypt ignores bytes past 72; refuse rather than silently truncate
)

// dummyHash makes Authenticate spend the same bcrypt time for an unknown user as for a wrong
// password. Made at the first log-in, not at start-up, where it would cost a bcrypt every start.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := hashPassword([]byte("qunfa-timing-equaliser"))
	return h
})

// hashPassword is bcrypt at its default cost; a variable so a test can count the hashes.
var hashPassword = func(password []byte) ([]byte, error) {
	return bcrypt.GenerateFromPassword(password, bcrypt.DefaultCost)
}

func validateOperator(username, password string) FieldErrors {
	fe := FieldErrors{}
	n := utf8.RuneCountInString(username)
	switch {
	case n < minUsername || n > maxUsername:
		fe["username"] = "err.username_length"
	case strings.IndexFunc(username, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		fe["username"] = "err.username_invalid"
	}
	if key := validatePassword(password); key != "" {
		fe["password"] = key
	}
	return fe
}

// validatePassword is the rule every new password meets (first run, added operator, reset, own
// change): the catalogue key of what is wrong, "" when it is acceptable.
func validatePassword(password string) string {
	switch {
	case len(password) < minPassword:
		return "err.password_too_short"
	case len(password) > maxPassword:
		return "err.password_too_long"
	case isCommonPassword(password):
		return "err.password_common"
	}
	return ""
}

// OperatorCount is how many operators exist (0 → the first-run page is open).
func (s *Store) OperatorCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db(ctx).Model(&operatorRow{}).Count(&n).Error
	return n, err
}

// CreateOperator stores a new operator with a bcrypt hash of password.
func (s *Store) CreateOperator(ctx context.Context, username, password string) (Operator, error) {
	return s.createOperator(ctx, username, password, RoleAdmin, false, false)
}

// CreateOperatorWithRole stores a new operator of the given role (the operators page), who
// chooses their own password at the first login (the admin knows this one).
func (s *Store) CreateOperatorWithRole(ctx context.Context, username, password string, role Role) (Operator, error) {
	if !role.Valid() {
		return Operator{}, fieldError("role", "err.role_invalid")
	}
	return s.createOperator(ctx, username, password, role, false, true)
}

// CreateFirstOperator creates the first-run admin, and nothing once any
// operator exists (ErrSetupDone): the check and the insert share one
// transaction, so two first-run submissions cannot both succeed.
func (s *Store) CreateFirstOperator(ctx context.Context, username, password string) (Operator, error) {
	return s.createOperator(ctx, username, password, RoleAdmin, true, false)
}

func (s *Store) createOperator(ctx context.Context, username, password string, role Role, first, mustChange bool) (Operator, error) {
	username = strings.TrimSpace(username)
	if first {
		// Start-up calls this on every start with QUNFA_ADMIN_PASSWORD: once an operator exists,
		// answer before spending a bcrypt on a hash nobody stores. The transaction below checks
		// again. Before validating: a password that a newer rule refuses (a common one) must not
		// stop a start that would not use it.
		if n, err := s.OperatorCount(ctx); err != nil {
			return Operator{}, fmt.Errorf("models: count operators: %w", err)
		} else if n > 0 {
			return Operator{}, ErrSetupDone
		}
	}
	if err := validateOperator(username, password).orNil(); err != nil {
		return Operator{}, err
	}
	hash, err := hashPassword([]byte(password))
	if err != nil {
		return Operator{}, fmt.Errorf("models: hash password: %w", err)
	}
	row := operatorRow{Username: username, PasswordHash: string(hash), Role: role, CreatedAt: time.Now().UTC(),
		MustChangePassword: mustChange}
	err = s.inTx(ctx, func(ctx context.Context) error {
		var n int64
		if first {
			if err := s.db(ctx).Model(&operatorRow{}).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrSetupDone
			}
		}
		if err := s.db(ctx).Model(&operatorRow{}).Where("username = ?", username).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fieldError("username", "err.username_taken")
		}
		return s.db(ctx).Create(&row).Error
	})
	if err != nil {
		return Operator{}, err
	}
	return row.operator(), nil
}

// Authenticate checks a username and password. Unknown user and wrong password give the same
// ErrBadCredentials, after the same amount of work. A disabled operator's right password gives
// ErrOperatorDisabled (an ErrBadCredentials too), after that same work: only someone who knows
// the password learns the account is disabled.
func (s *Store) Authenticate(ctx context.Context, username, password string) (Operator, error) {
	var row operatorRow
	err := s.db(ctx).Where("username = ?", strings.TrimSpace(username)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return Operator{}, ErrBadCredentials
	}
	if err != nil {
		return Operator{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) != nil {
		return Operator{}, ErrBadCredentials
	}
	if row.DisabledAt != nil {
		return Operator{}, ErrOperatorDisabled
	}
	now := time.Now().UTC()
	if err := s.db(ctx).Model(&operatorRow{}).Where("id = ?", row.ID).Update("last_login_at", now).Error; err != nil {
		return Operator{}, fmt.Errorf("models: record login: %w", err)
	}
	row.LastLoginAt = &now
	return row.operator(), nil
}

// Operator returns one operator by id.
func (s *Store) Operator(ctx context.Context, id uint) (Operator, error) {
	var row operatorRow
	if err := s.db(ctx).Take(&row, id).Error; err != nil {
		return Operator{}, notFound(err)
	}
	return row.operator(), nil
}

func (r operatorRow) operator() Operator {
	return Operator{ID: r.ID, Username: r.Username, Role: r.Role, DisabledAt: r.DisabledAt, CreatedAt: r.CreatedAt,
		LastLoginAt: r.LastLoginAt, SessionEpoch: r.SessionEpoch, MustChangePassword: r.MustChangePassword}
}
