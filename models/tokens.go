package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// TokenStore keeps one account's access_token in the database, so a restart
// (or a second process on the same file) reuses it instead of fetching a new
// one — every fetch invalidates the previous token. It satisfies the token
// store interface of the WeChat client. The token is a credential: it is
// never logged or shown.
type TokenStore struct {
	store *Store
	appID string
}

type accessTokenRow struct {
	AppID     string `gorm:"column:app_id;primaryKey"`
	Token     string
	ExpiresAt time.Time
	UpdatedAt time.Time
}

func (accessTokenRow) TableName() string { return "access_tokens" }

// AccessTokens is the token store of the account appID.
func (s *Store) AccessTokens(appID string) *TokenStore {
	return &TokenStore{store: s, appID: appID}
}

// LockToken holds the account's token lock across instances (wechat.TokenLocker): on PostgreSQL
// a session advisory lock until unlock; on SQLite nothing (one process per file).
func (t *TokenStore) LockToken(ctx context.Context) (func(), error) {
	if t.store.dialect != dialectPostgres {
		return func() {}, nil
	}
	l, err := t.store.sessionLockWait(ctx, tokenLockKey(t.appID))
	if err != nil {
		return nil, err
	}
	return l.release, nil
}

// Load returns the stored token, or "" when there is none.
func (t *TokenStore) Load(ctx context.Context) (string, time.Time, error) {
	var rows []accessTokenRow
	if err := t.store.db(ctx).Where("app_id = ?", t.appID).Limit(1).Find(&rows).Error; err != nil {
		return "", time.Time{}, err
	}
	if len(rows) == 0 {
		return "", time.Time{}, nil
	}
	return rows[0].Token, rows[0].ExpiresAt, nil
}

// Save replaces the stored token.
func (t *TokenStore) Save(ctx context.Context, token string, expiresAt time.Time) error {
	row := accessTokenRow{AppID: t.appID, Token: token, ExpiresAt: expiresAt.UTC(), UpdatedAt: time.Now().UTC()}
	return t.store.db(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "app_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"token", "expires_at", "updated_at"}),
	}).Create(&row).Error
}
