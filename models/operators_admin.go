package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Operators managed by an admin (the operators page) and each operator's own password.

var (
	// ErrLastAdmin refuses to disable or demote the last enabled admin: someone must always be
	// able to reach the settings and the operators.
	ErrLastAdmin = errors.New("models: the last enabled admin cannot be disabled or demoted")
	// ErrOperatorDisabled is Authenticate's answer to the right password of a disabled operator.
	// It is an ErrBadCredentials, so whatever counts failed logins counts it too.
	ErrOperatorDisabled = fmt.Errorf("%w: operator disabled", ErrBadCredentials)
)

// ListOperators returns every operator by username. Operators are the people of one team (a few
// dozen at most), so the page shows them all.
func (s *Store) ListOperators(ctx context.Context) ([]Operator, error) {
	var rows []operatorRow
	if err := s.db(ctx).Order("username").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Operator, len(rows))
	for i, r := range rows {
		out[i] = r.operator()
	}
	return out, nil
}

// SetOperatorRole gives operator id the role; ErrLastAdmin when that would leave no enabled admin.
func (s *Store) SetOperatorRole(ctx context.Context, id uint, role Role) error {
	if !role.Valid() {
		return fieldError("role", "err.role_invalid")
	}
	return s.changeOperator(ctx, id, role != RoleAdmin, map[string]any{"role": role})
}

// SetOperatorDisabled disables (at now) or re-enables operator id; disabling the last enabled
// admin is ErrLastAdmin.
func (s *Store) SetOperatorDisabled(ctx context.Context, id uint, disabled bool, now time.Time) error {
	var at *time.Time
	if disabled {
		at = &now
	}
	return s.changeOperator(ctx, id, disabled, map[string]any{"disabled_at": at})
}

// changeOperator updates operator id. removesAdmin says whether the change takes away an enabled
// admin (a demotion or a disabling); then another enabled admin must remain. The check and the
// update share one transaction, which SQLite takes as the writer (_txlock=immediate), so two
// admins disabling each other at once cannot both succeed.
func (s *Store) changeOperator(ctx context.Context, id uint, removesAdmin bool, set map[string]any) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		var row operatorRow
		if err := s.db(ctx).Take(&row, id).Error; err != nil {
			return notFound(err)
		}
		if removesAdmin && row.Role == RoleAdmin && row.DisabledAt == nil {
			var others int64
			err := s.db(ctx).Model(&operatorRow{}).
				Where("role = ? AND disabled_at IS NULL AND id <> ?", RoleAdmin, id).Count(&others).Error
			if err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		return s.db(ctx).Model(&operatorRow{}).Where("id = ?", id).Updates(set).Error
	})
}

// SetOperatorPassword replaces operator id's password and raises its session epoch, which ends
// every session the operator had; mustChange: the operator chooses their own at the next login
// (an admin set this one). It returns the new epoch.
func (s *Store) SetOperatorPassword(ctx context.Context, id uint, password string, mustChange bool) (int64, error) {
	if key := validatePassword(password); key != "" {
		return 0, fieldError("password", key)
	}
	hash, err := hashPassword([]byte(password))
	if err != nil {
		return 0, fmt.Errorf("models: hash password: %w", err)
	}
	var epoch int64
	err = s.inTx(ctx, func(ctx context.Context) error {
		res := s.db(ctx).Exec(`UPDATE operators SET password_hash = ?, session_epoch = session_epoch + 1, must_change_password = ? WHERE id = ?`,
			string(hash), mustChange, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.db(ctx).Raw(`SELECT session_epoch FROM operators WHERE id = ?`, id).Row().Scan(&epoch)
	})
	return epoch, err
}

// CheckPassword reports whether password is operator id's (the own-password form asks for it).
func (s *Store) CheckPassword(ctx context.Context, id uint, password string) (bool, error) {
	var row operatorRow
	if err := s.db(ctx).Take(&row, id).Error; err != nil {
		return false, notFound(err)
	}
	return bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) == nil, nil
}

// oneTimeAlphabet leaves out characters easily misread when copied by hand (0/O, 1/l/I).
const oneTimeAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// oneTimePassword is 16 characters from crypto/rand (about 92 bits).
func oneTimePassword() string {
	b := make([]byte, 16)
	max := big.NewInt(int64(len(oneTimeAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = oneTimeAlphabet[n.Int64()]
	}
	return string(b)
}

// Every change an admin makes to operators, and an operator's change of their own password, is
// one Service method below, each given the operator who acts (by), so the audit log can add one
// line per method.

// NewOperator is the form of the operators page that adds one.
type NewOperator struct {
	Username, Password string
	Role               Role
}

// ListOperators returns every operator by username.
func (s *Service) ListOperators(ctx context.Context) ([]Operator, error) {
	return s.store.ListOperators(ctx)
}

// CreateOperator adds an operator with an initial password and a role.
func (s *Service) CreateOperator(ctx context.Context, by Operator, in NewOperator) (Operator, error) {
	return s.store.CreateOperatorWithRole(ctx, in.Username, in.Password, in.Role)
}

// SetOperatorRole changes operator id's role; ErrLastAdmin when it would leave no enabled admin.
func (s *Service) SetOperatorRole(ctx context.Context, by Operator, id uint, role Role) error {
	return s.store.SetOperatorRole(ctx, id, role)
}

// DisableOperator stops operator id from logging in, and ends their sessions (requireLogin
// refuses a disabled operator); ErrLastAdmin for the last enabled admin.
func (s *Service) DisableOperator(ctx context.Context, by Operator, id uint) error {
	return s.store.SetOperatorDisabled(ctx, id, true, s.now())
}

// EnableOperator lets a disabled operator log in again.
func (s *Service) EnableOperator(ctx context.Context, by Operator, id uint) error {
	return s.store.SetOperatorDisabled(ctx, id, false, time.Time{})
}

// ResetOperatorPassword sets operator id's password to password or, when it is empty, to a new
// random one, and returns the password set (to be shown once, never stored or logged). The
// operator's sessions end, and they choose their own password at the next login.
func (s *Service) ResetOperatorPassword(ctx context.Context, by Operator, id uint, password string) (string, error) {
	if password == "" {
		password = oneTimePassword()
	}
	if _, err := s.store.SetOperatorPassword(ctx, id, password, true); err != nil {
		return "", err
	}
	return password, nil
}

// PasswordChange is the own-password form: the current password and the new one twice.
type PasswordChange struct {
	Current, New, Confirm string
}

// ChangeOwnPassword changes op's password after checking the current one, and returns op with its
// new session epoch: the caller keeps its own session by taking that epoch, every other session
// of op ends.
func (s *Service) ChangeOwnPassword(ctx context.Context, op Operator, ch PasswordChange) (Operator, error) {
	fe := FieldErrors{}
	if key := validatePassword(ch.New); key != "" {
		fe["new"] = key
	} else if ch.Confirm != ch.New {
		fe["confirm"] = "err.password_mismatch"
	} else if ch.New == ch.Current {
		fe["new"] = "err.password_unchanged" // after a reset, the one the admin set is not one's own
	}
	ok, err := s.store.CheckPassword(ctx, op.ID, ch.Current)
	if err != nil {
		return Operator{}, err
	}
	if !ok {
		fe["current"] = "err.current_password_wrong"
	}
	if err := fe.orNil(); err != nil {
		return Operator{}, err
	}
	epoch, err := s.store.SetOperatorPassword(ctx, op.ID, ch.New, false)
	if err != nil {
		return Operator{}, err
	}
	op.SessionEpoch, op.MustChangePassword = epoch, false
	return op, nil
}
