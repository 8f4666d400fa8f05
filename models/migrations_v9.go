package models

import "gorm.io/gorm"

// migrateV9 keeps what WeChat says of each interface's daily budget (openapi/quota/get, protocol
// §7), one row per Beijing day and endpoint: its limit, used and remain when last asked, and
// spent once a call was refused with 45009 that day. daily_limit 0 means WeChat never told the
// limit (a 45009 on an account that does not answer quota/get).
func migrateV9(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE wechat_quotas (
			day         TEXT NOT NULL,
			endpoint    TEXT NOT NULL,
			daily_limit INTEGER NOT NULL DEFAULT 0,
			used        INTEGER NOT NULL DEFAULT 0,
			remain      INTEGER NOT NULL DEFAULT 0,
			spent       BOOLEAN NOT NULL DEFAULT 0,
			checked_at  DATETIME NOT NULL,
			PRIMARY KEY (day, endpoint)
		)`,
	)
}
