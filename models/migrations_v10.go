package models

import "gorm.io/gorm"

// migrateV10 lets Qunfa know its audience (the audience issue): the followers as WeChat lists
// them, their tags, and the monthly ledger of who each send was addressed to.
//
//   - followers: one row per OpenID ever seen (user/get, batchget, a subscribe event). subscribed
//     is false once they left (an unsubscribe event, or a sync that no longer lists them).
//     subscribed_at is WeChat's subscribe_time (or the subscribe event's time); detailed_at is when
//     batchget last described them (NULL: details still to fetch); blacklisted marks the followers
//     the account blocked, the only ones known to refuse mass messages; listed_sync is the last
//     follower sync whose user/get listing saw them.
//   - follower_tags: today's tags a follower carries (tagid_list).
//   - send_recipients: who a send was addressed to, recorded when it was submitted (an OpenID
//     list's OpenIDs, or the members of the group, tag or everyone from followers at that moment).
//   - follower_months: the monthly ledger: how many mass messages Qunfa addressed to a follower
//     in a Beijing calendar month ('2006-01'); WeChat drops what is past the cap.
func migrateV10(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE followers (
			open_id         TEXT PRIMARY KEY,
			subscribed      BOOLEAN NOT NULL DEFAULT 1,
			subscribed_at   DATETIME,
			unsubscribed_at DATETIME,
			group_id        INTEGER NOT NULL DEFAULT 0,
			language        TEXT NOT NULL DEFAULT '',
			remark          TEXT NOT NULL DEFAULT '',
			scene           TEXT NOT NULL DEFAULT '',
			blacklisted     BOOLEAN NOT NULL DEFAULT 0,
			detailed_at     DATETIME,
			listed_sync     INTEGER NOT NULL DEFAULT 0,
			updated_at      DATETIME NOT NULL
		) WITHOUT ROWID`,
		`CREATE TABLE follower_tags (
			tag_id  INTEGER NOT NULL,
			open_id TEXT NOT NULL,
			PRIMARY KEY (tag_id, open_id)
		) WITHOUT ROWID`,
		`CREATE TABLE send_recipients (
			send_id INTEGER NOT NULL,
			open_id TEXT NOT NULL,
			PRIMARY KEY (send_id, open_id)
		) WITHOUT ROWID`,
		`CREATE TABLE follower_months (
			month    TEXT NOT NULL,
			open_id  TEXT NOT NULL,
			received INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (month, open_id)
		) WITHOUT ROWID`,
	)
}
