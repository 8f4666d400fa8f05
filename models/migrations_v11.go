package models

import "gorm.io/gorm"

// migrateV11 links a catch-up send (补发) to the send it catches up on, and indexes what the
// plan and the catch-up read at 1,000,000 followers:
//
//   - sends.catch_up_of: the send a catch-up repeats for the followers who subscribed after it
//     (0: not a catch-up), indexed to list a send's catch-ups;
//   - (the followers' own indexes — by subscription time, group, the blacklisted — are
//     migration 14's, which the plan and the catch-up share with the followers page;)
//   - the month's ledger by count, so "at the cap this month" reads only the followers at it;
//   - send_batches.ledger_after: a group, tag or everyone batch whose recipients are still being
//     recorded, chunk by chunk (ledger.go): empty to start, else the last OpenID recorded; NULL
//     when there is nothing (left) to record.
func migrateV11(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE sends ADD COLUMN catch_up_of INTEGER NOT NULL DEFAULT 0`,
		`CREATE INDEX sends_catch_up_of ON sends (catch_up_of) WHERE catch_up_of <> 0`,
		`CREATE INDEX follower_months_received ON follower_months (month, received)`,
		`ALTER TABLE send_batches ADD COLUMN ledger_after TEXT`,
		`CREATE INDEX send_batches_ledger ON send_batches (id) WHERE ledger_after IS NOT NULL`,
	)
}
