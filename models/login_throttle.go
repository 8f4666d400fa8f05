package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Login throttling per account (issue 8 §2). Failed logins are counted per typed username,
// whether or not an operator has it, so that a lock tells nothing about which usernames exist:
//
//   - LockAfter failures within LockWindow lock the username for LockFor;
//   - each further lock without a successful login in between lasts twice the one before, up
//     to LockMax (15 min, 30 min, 1 h, … 24 h);
//   - a successful login forgets the count; a username with no failure for a day is forgotten.
//
// While locked, logins under that username are refused without checking the password (the
// right one too), so guessing stops. Rows are in the database: a restart does not unlock.
const (
	LockAfter  = 5
	LockWindow = 15 * time.Minute
	LockFor    = 15 * time.Minute
	LockMax    = 24 * time.Hour
	lockForget = 24 * time.Hour
)

type loginThrottleRow struct {
	Username    string `gorm:"primaryKey"`
	Failures    int
	WindowStart time.Time
	LockedUntil *time.Time
	Lockouts    int
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"` // the login's clock, not GORM's
}

func (loginThrottleRow) TableName() string { return "login_throttle" }

// maxThrottledUsername bounds what is stored of a typed username (longer ones cannot exist).
const maxThrottledUsername = 4 * maxUsername

func throttleKey(username string) string {
	u := strings.TrimSpace(username)
	if len(u) > maxThrottledUsername {
		u = u[:maxThrottledUsername]
	}
	return u
}

// LoginLockedUntil returns when the lock on username ends, or the zero time when it is not
// locked at now.
func (s *Service) LoginLockedUntil(ctx context.Context, username string, now time.Time) (time.Time, error) {
	var row loginThrottleRow
	err := s.store.db(ctx).Where("username = ?", throttleKey(username)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if row.LockedUntil != nil && row.LockedUntil.After(now) {
		return *row.LockedUntil, nil
	}
	return time.Time{}, nil
}

// RecordLoginFailure counts a failed login under username at now and returns the end of the
// lock it started (zero when it started none).
func (s *Service) RecordLoginFailure(ctx context.Context, username string, now time.Time) (time.Time, error) {
	now = now.UTC()
	key := throttleKey(username)
	var until time.Time
	err := s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		// Forget the usernames nobody has failed on for a day (one indexed delete): typed
		// usernames that do not exist cannot pile up.
		if err := db.Where("updated_at < ? AND (locked_until IS NULL OR locked_until < ?)", now.Add(-lockForget), now).
			Delete(&loginThrottleRow{}).Error; err != nil {
			return err
		}
		var row loginThrottleRow
		err := db.Where("username = ?", key).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			row = loginThrottleRow{Username: key, WindowStart: now}
		} else if err != nil {
			return err
		}
		if now.Sub(row.WindowStart) > LockWindow {
			row.Failures, row.WindowStart = 0, now
		}
		row.Failures++
		if row.Failures >= LockAfter {
			d := LockFor << min(row.Lockouts, 10)
			row.Lockouts++
			until = now.Add(min(d, LockMax))
			row.LockedUntil = &until
			row.Failures, row.WindowStart = 0, now
		}
		row.UpdatedAt = now
		// An upsert, not Save: Save inserts when the key is its zero value (an empty username
		// typed twice would then break the unique key).
		return db.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
	})
	return until, err
}

// ClearLoginFailures forgets the failures under username (after a successful login).
func (s *Service) ClearLoginFailures(ctx context.Context, username string) error {
	return s.store.db(ctx).Where("username = ?", throttleKey(username)).Delete(&loginThrottleRow{}).Error
}
