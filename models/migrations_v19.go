package models

import "gorm.io/gorm"

// migrateV19 serves the overview (issue 9 §1):
//
//   - follower_month_levels: how many followers the ledger counts at each number of mass messages
//     in a Beijing month, kept beside follower_months by the ledger's own writes (ledger_levels.go),
//     so the month's cap distribution is a handful of rows at 1,000,000 followers, not a scan.
//     Filled here from the ledger as it stands.
//   - user_stats: WeChat's user analytics (datacube getusersummary / getusercumulate, protocol
//     §12) by Beijing day: new and cancelled followers summed over sources, and the total.
//   - datacube_calls: the analytics calls made per Beijing day and interface, so the daily fetch
//     stays within its budget; spent once WeChat answered 45009 that day.
//   - indexes for the overview's aggregates by time: sends and send jobs by submission (the job
//     index holds the figures and the status, so the aggregates read no row), the quota's calls
//     made per day. Both submission indexes hold what the aggregates sum, so they read no row.
func migrateV19(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE follower_month_levels (
			month     TEXT NOT NULL,
			received  INTEGER NOT NULL,
			followers INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (month, received)
		)`,
		`INSERT INTO follower_month_levels (month, received, followers)
			SELECT month, received, COUNT(*) FROM follower_months GROUP BY month, received`,
		`CREATE TABLE user_stats (
			day           TEXT PRIMARY KEY,
			new_user      INTEGER NOT NULL DEFAULT 0,
			cancel_user   INTEGER NOT NULL DEFAULT 0,
			cumulate_user INTEGER NOT NULL DEFAULT 0,
			fetched_at    DATETIME NOT NULL
		)`,
		`CREATE TABLE datacube_calls (
			day      TEXT NOT NULL,
			endpoint TEXT NOT NULL,
			calls    INTEGER NOT NULL DEFAULT 0,
			spent    BOOLEAN NOT NULL DEFAULT 0,
			PRIMARY KEY (day, endpoint)
		)`,
		`CREATE INDEX ix_sends_submitted_at ON sends (submitted_at, sent_count)`,
		`CREATE INDEX ix_send_batches_submitted_at ON send_batches (submitted_at, filter_count, sent_count, error_count, status)`,
		`CREATE INDEX ix_quota_calls_day_reserved ON quota_calls (day, reserved)`,
	)
}
