package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// The monthly ledger (migration 10): who each send was addressed to (send_recipients) and how
// many mass messages each follower was addressed this Beijing month (follower_months). Only the
// commit that first gives a batch its msg_id (CommitMsgID) starts it, so a repeated commit
// counts nobody twice.
//
//   - A list batch is addressed to its OpenIDs (at most 10,000): recorded in CommitMsgID's own
//     transaction, so a crash keeps both the msg_id and the ledger rows or neither.
//   - A group, tag or everyone batch is addressed to the subscribed members of that group
//     (followers.group_id, the 2014 profile), tag (follower_tags, today's profile) or account
//     in the synced followers table who had subscribed by the time it was submitted. Up to
//     1,000,000 of them: recorded by INSERT … SELECT (never through Go) in chunks of ledgerChunk
//     OpenIDs, each its own short transaction with its progress (send_batches.ledger_after),
//     so the single writer is never held for seconds (a callback waits for it) and a crash
//     resumes at the chunk it stopped in. CommitMsgID marks the batch; the worker records it
//     right after (RunOnce), and again after a restart.

// ledgerChunk is how many OpenIDs one ledger transaction records.
var ledgerChunk = 10000

// monthKey is the ledger's month of t: 'YYYY-MM' in Beijing time.
func monthKey(t time.Time) string { return t.In(Beijing).Format("2006-01") }

// startLedger records a list batch at once, or marks a group, tag or everyone batch for
// LedgerChunk. The caller holds the write transaction and has checked that this commit is the
// batch's first.
func (p sqlPipeline) startLedger(ctx context.Context, sendID, batchID uint) error {
	db := p.db(ctx)
	var send sendRow
	if err := db.Select("id", "target").Take(&send, sendID).Error; err != nil {
		return notFound(err)
	}
	if send.Target != TargetOpenIDs {
		return db.Model(&batchRow{}).Where("id = ?", batchID).Update("ledger_after", "").Error
	}
	var b batchRow
	if err := db.Select("id", "open_ids").Take(&b, batchID).Error; err != nil {
		return notFound(err)
	}
	if b.OpenIDs == "" {
		return nil
	}
	// One JSON parameter instead of 10,000 bound ones; the list was de-duplicated at parse time,
	// DISTINCT keeps the count right for a list stored otherwise.
	ids, _ := json.Marshal(strings.Split(b.OpenIDs, "\n")) // strings: cannot fail
	d := p.st.dialect
	if err := db.Exec(`INSERT OR IGNORE INTO send_recipients (send_id, open_id)
		SELECT DISTINCT `+d.param("BIGINT")+`, value FROM `+d.jsonValues("j")+` WHERE value <> ''`, sendID, string(ids)).Error; err != nil {
		return err
	}
	month := monthKey(p.now())
	if err := bumpMonthLevels(db, month, levelsQuery{`SELECT COALESCE(m.received, 0) AS level, COUNT(*) AS followers
		FROM (SELECT DISTINCT value FROM ` + d.jsonValues("jv") + ` WHERE value <> '') AS j
		LEFT JOIN follower_months AS m ON m.month = ? AND m.open_id = j.value GROUP BY level`, []any{string(ids), month}}); err != nil {
		return err
	}
	return db.Exec(`INSERT INTO follower_months (month, open_id, received)
		SELECT DISTINCT `+d.param("TEXT")+`, value, 1 FROM `+d.jsonValues("j")+` WHERE value <> ''
		ON CONFLICT (month, open_id) DO UPDATE SET received = follower_months.received + 1`, month, string(ids)).Error
}

func (p sqlPipeline) PendingLedger(ctx context.Context) ([]uint, error) {
	var ids []uint
	err := p.db(ctx).Model(&batchRow{}).Where("ledger_after IS NOT NULL").Order("id").Pluck("id", &ids).Error
	return ids, err
}

func (p sqlPipeline) LedgerChunk(ctx context.Context, batchID uint) (done bool, err error) {
	err = p.st.inTx(ctx, func(ctx context.Context) error {
		db := p.db(ctx)
		var b struct {
			SendID      uint
			SubmittedAt *time.Time
			LedgerAfter *string
			Target      TargetKind
			GroupID     int64
			Audience    string
		}
		if err := db.Raw(`SELECT b.send_id, b.submitted_at, b.ledger_after, s.target, s.group_id, s.audience
			FROM send_batches AS b JOIN sends AS s ON s.id = b.send_id WHERE b.id = ?`, batchID).Scan(&b).Error; err != nil {
			return err
		}
		if b.LedgerAfter == nil || b.SubmittedAt == nil {
			done = true
			return nil
		}
		from, where, args := audienceMembers(b.Target, b.Audience, b.GroupID)
		key := "f.open_id"
		if strings.HasPrefix(from, "follower_tags") {
			key = "t.open_id" // the tag's members in its primary key's order
		}
		// Members who had subscribed when it was submitted (NULL: not described yet); a later
		// subscriber did not get it, and is a catch-up's.
		where += ` AND (f.subscribed_at IS NULL OR f.subscribed_at <= ?)`
		args = append(args, b.SubmittedAt.UTC())
		var last *string
		if err := db.Raw(`SELECT MAX(id) FROM (SELECT `+key+` AS id FROM `+from+` WHERE `+where+` AND `+key+` > ?
			ORDER BY `+key+` LIMIT ?)`, append(args, *b.LedgerAfter, ledgerChunk)...).Scan(&last).Error; err != nil {
			return err
		}
		if last == nil {
			done = true
			return db.Model(&batchRow{}).Where("id = ?", batchID).Update("ledger_after", nil).Error
		}
		if err := db.Exec(`INSERT OR IGNORE INTO send_recipients (send_id, open_id) SELECT ?, `+key+` FROM `+from+
			` WHERE `+where+` AND `+key+` > ? AND `+key+` <= ?`,
			append(append([]any{b.SendID}, args...), *b.LedgerAfter, *last)...).Error; err != nil {
			return err
		}
		month := monthKey(*b.SubmittedAt)
		if err := bumpMonthLevels(db, month, levelsQuery{`SELECT COALESCE(m.received, 0) AS level, COUNT(*) AS followers
			FROM send_recipients AS r LEFT JOIN follower_months AS m ON m.month = ? AND m.open_id = r.open_id
			WHERE r.send_id = ? AND r.open_id > ? AND r.open_id <= ? GROUP BY level`,
			[]any{month, b.SendID, *b.LedgerAfter, *last}}); err != nil {
			return err
		}
		if err := db.Exec(`INSERT INTO follower_months (month, open_id, received)
			SELECT ?, open_id, 1 FROM send_recipients WHERE send_id = ? AND open_id > ? AND open_id <= ?
			ON CONFLICT (month, open_id) DO UPDATE SET received = follower_months.received + 1`,
			month, b.SendID, *b.LedgerAfter, *last).Error; err != nil {
			return err
		}
		return db.Model(&batchRow{}).Where("id = ?", batchID).Update("ledger_after", *last).Error
	})
	return done, err
}

// recordLedger records every batch still pending, chunk by chunk (the worker, after its sends).
func (s *Service) recordLedger(ctx context.Context) error {
	ids, err := s.pipe.PendingLedger(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		for {
			done, err := s.pipe.LedgerChunk(ctx, id)
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	return nil
}

// audienceMembers is the FROM and WHERE of the subscribed followers (alias f) a group, tag or
// everyone send addresses, with the WHERE's arguments.
func audienceMembers(target TargetKind, audience string, groupID int64) (from, where string, args []any) {
	switch {
	case target == TargetGroup && audience == AudienceTags:
		return `follower_tags AS t JOIN followers AS f ON f.open_id = t.open_id`, `t.tag_id = ? AND f.subscribed = 1`, []any{groupID}
	case target == TargetGroup:
		return `followers AS f`, `f.subscribed = 1 AND f.group_id = ?`, []any{groupID}
	default:
		return `followers AS f`, `f.subscribed = 1`, nil
	}
}

// FollowerMonth is how many mass messages Qunfa addressed to openID in t's Beijing month
// (the ledger; 0 when none).
func (s *Service) FollowerMonth(ctx context.Context, openID string, t time.Time) (int, error) {
	var n []int
	err := s.store.db(ctx).Raw(`SELECT received FROM follower_months WHERE month = ? AND open_id = ?`,
		monthKey(t), openID).Scan(&n).Error
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}
