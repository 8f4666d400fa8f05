package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// The monthly ledger (migration 10): who each send was addressed to (send_recipients) and how
// many mass messages each follower was addressed this Beijing month (follower_months). It is
// written when WeChat answers a batch with its msg_id, in CommitMsgID's transaction, so a crash
// either keeps both the msg_id and the ledger rows or neither; and only by the commit that moves
// the batch to submitted, so a repeated commit of the same batch counts nobody twice.
//
// A list batch is addressed to its OpenIDs; a group, tag or everyone send to the subscribed
// members of that group (followers.group_id, the 2014 profile), tag (follower_tags, today's
// profile) or account in the synced followers table at that moment: INSERT … SELECT, so a send
// to 1,000,000 followers never brings them into Go.

// monthKey is the ledger's month of t: 'YYYY-MM' in Beijing time.
func monthKey(t time.Time) string { return t.In(Beijing).Format("2006-01") }

// recordLedger records batch batchID of send sendID as addressed at `at`. The caller holds the
// write transaction and has checked that this commit is the batch's first.
func (p sqlPipeline) recordLedger(ctx context.Context, sendID, batchID uint, at time.Time) error {
	db := p.db(ctx)
	var send sendRow
	if err := db.Select("id", "target", "group_id", "audience").Take(&send, sendID).Error; err != nil {
		return notFound(err)
	}
	month := monthKey(at)
	if send.Target == TargetOpenIDs {
		var b batchRow
		if err := db.Select("id", "open_ids").Take(&b, batchID).Error; err != nil {
			return notFound(err)
		}
		if b.OpenIDs == "" {
			return nil
		}
		// One JSON parameter instead of 10,000 bound ones; the list was de-duplicated at parse
		// time, DISTINCT keeps the count right for a list stored by hand.
		ids, _ := json.Marshal(strings.Split(b.OpenIDs, "\n")) // strings: cannot fail
		if err := db.Exec(`INSERT OR IGNORE INTO send_recipients (send_id, open_id)
			SELECT DISTINCT ?, value FROM json_each(?) WHERE value <> ''`, sendID, string(ids)).Error; err != nil {
			return err
		}
		return db.Exec(`INSERT INTO follower_months (month, open_id, received)
			SELECT DISTINCT ?, value, 1 FROM json_each(?) WHERE value <> ''
			ON CONFLICT (month, open_id) DO UPDATE SET received = received + 1`, month, string(ids)).Error
	}
	from, where, args := audienceMembers(send.Target, send.Audience, send.GroupID)
	if err := db.Exec(`INSERT OR IGNORE INTO send_recipients (send_id, open_id) SELECT ?, f.open_id FROM `+from+` WHERE `+where,
		append([]any{sendID}, args...)...).Error; err != nil {
		return err
	}
	return db.Exec(`INSERT INTO follower_months (month, open_id, received)
		SELECT ?, open_id, 1 FROM send_recipients WHERE send_id = ?
		ON CONFLICT (month, open_id) DO UPDATE SET received = received + 1`, month, sendID).Error
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
