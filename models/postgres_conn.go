package models

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
)

// pgPool is GORM's connection pool on PostgreSQL: every statement passes through pgRewrite (the
// schema and queries are SQLite's; dialect.go) and has its remaining ? placeholders numbered
// (GORM numbers its own; the follower sync's raw statements use ?).
type pgPool struct{ db *sql.DB }

func pgSQL(q string) string { return numberPlaceholders(pgRewrite(q)) }

func (p *pgPool) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, pgSQL(q))
}
func (p *pgPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, pgSQL(q), args...)
}
func (p *pgPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, pgSQL(q), args...)
}
func (p *pgPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, pgSQL(q), args...)
}
func (p *pgPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pgTx{tx: tx}, nil
}
func (p *pgPool) GetDBConn() (*sql.DB, error) { return p.db, nil }
func (p *pgPool) Ping() error                 { return p.db.Ping() }

// pgTx is a transaction of pgPool, rewriting the same way.
type pgTx struct{ tx *sql.Tx }

func (t *pgTx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, pgSQL(q))
}
func (t *pgTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, pgSQL(q), args...)
}
func (t *pgTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, pgSQL(q), args...)
}
func (t *pgTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, pgSQL(q), args...)
}
func (t *pgTx) Commit() error   { return t.tx.Commit() }
func (t *pgTx) Rollback() error { return t.tx.Rollback() }
