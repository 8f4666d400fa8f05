package models

import (
	"context"
	"encoding/json"
	"time"
)

// WeChat delivers at most MonthlyCap mass messages to a follower in a Beijing calendar month
// and silently drops the rest for that follower (they count as errors). The ledger (ledger.go)
// knows, per follower, what Qunfa addressed to them this month; sends made in the WeChat backend
// are not seen, so the figures are a lower bound. Until a sync has filled the followers table,
// a group's or everyone's members are unknown: the plan then counts sends by audience, as
// before the ledger (monthlyUseUnsynced).

// monthStart is midnight on the first day of t's Beijing month.
func monthStart(t time.Time) time.Time {
	b := t.In(Beijing)
	return time.Date(b.Year(), b.Month(), 1, 0, 0, 0, 0, Beijing)
}

// monthlyUse fills the plan's monthly-cap and audience figures, and for an OpenID list leaves
// out the followers at their cap unless p.IncludeCapped.
func (s *Service) monthlyUse(ctx context.Context, p *planned, groupID int64) error {
	p.MonthlyCap = s.rules.MonthlyCap
	known, err := s.followersKnown(ctx)
	if err != nil {
		return err
	}
	p.FollowersKnown = known
	// Everyone sends this month the ledger could not name (made before any sync) reached every
	// follower all the same: they count for each.
	unnamed, err := s.unnamedEveryoneSends(ctx)
	if err != nil {
		return err
	}
	switch {
	case p.target == TargetOpenIDs:
		return s.listUse(ctx, p, unnamed)
	case known:
		return s.audienceUse(ctx, p, groupID, unnamed)
	default:
		return s.monthlyUseUnsynced(ctx, p, groupID)
	}
}

// followersKnown reports whether a sync (or a subscribe event) has put followers in the table.
func (s *Service) followersKnown(ctx context.Context) (bool, error) {
	var n []int
	err := s.store.db(ctx).Raw(`SELECT 1 FROM followers LIMIT 1`).Scan(&n).Error
	return len(n) > 0, err
}

// unnamedEveryoneSends counts this month's everyone batches WeChat took whose send has no
// recipient recorded.
func (s *Service) unnamedEveryoneSends(ctx context.Context) (int, error) {
	var n int
	err := s.store.db(ctx).Raw(`SELECT COUNT(*) FROM send_batches AS b JOIN sends AS s ON s.id = b.send_id
		WHERE s.target = ? AND b.msg_id <> 0 AND b.submitted_at >= ?
		AND NOT EXISTS (SELECT 1 FROM send_recipients AS r WHERE r.send_id = s.id)`,
		TargetAll, monthStart(s.now()).UTC()).Scan(&n).Error
	return n, err
}

// listUse joins an OpenID list with the ledger and the followers table in one statement (the
// list goes in as one JSON parameter): only the followers at their cap or known to refuse come
// back, so the work is the list's, not the followers'.
func (s *Service) listUse(ctx context.Context, p *planned, unnamed int) error {
	p.ReceivedThisMonth = unnamed
	ids, _ := json.Marshal(p.openIDs) // strings: cannot fail
	var rows []struct {
		OpenID      string
		Capped      bool
		Blacklisted bool
	}
	// The blacklisted are looked up in their small partial index (migration 11), not in the
	// followers table: one B-tree walk per OpenID (the ledger's), not two.
	err := s.store.db(ctx).Raw(`SELECT open_id, capped, blacklisted FROM (
			SELECT j.value AS open_id, COALESCE(m.received, 0) + ? >= ? AS capped,
				j.value IN (SELECT open_id FROM followers WHERE blacklisted = 1) AS blacklisted
			FROM `+s.store.dialect.jsonValues("j")+`
			LEFT JOIN follower_months AS m ON m.month = ? AND m.open_id = j.value) AS c
		WHERE capped OR blacklisted`,
		unnamed, p.MonthlyCap, string(ids), monthKey(s.now())).Scan(&rows).Error
	if err != nil {
		return err
	}
	capped := map[string]bool{}
	for _, r := range rows {
		if r.Capped {
			capped[r.OpenID] = true
		}
		if r.Blacklisted && (!r.Capped || p.IncludeCapped) {
			p.Refusers++
		}
	}
	p.OverCap = len(capped)
	if p.IncludeCapped || len(capped) == 0 {
		return nil
	}
	rest := make([]string, 0, len(p.openIDs)-len(capped))
	for _, id := range p.openIDs {
		if !capped[id] {
			rest = append(rest, id)
		}
	}
	p.LeftOut, p.openIDs = len(capped), rest
	return nil
}

// audienceUse counts a group's, tag's or everyone's subscribed members in the synced table,
// those at their cap this month and those known to refuse.
func (s *Service) audienceUse(ctx context.Context, p *planned, groupID int64, unnamed int) error {
	from, where, args := audienceMembers(p.target, p.profile.Audience, groupID)
	db := s.store.db(ctx)
	p.ReceivedThisMonth = unnamed
	if err := db.Raw(`SELECT COUNT(*) FROM `+from+` WHERE `+where, args...).Scan(&p.Recipients).Error; err != nil {
		return err
	}
	if err := db.Raw(`SELECT COUNT(*) FROM `+from+` WHERE `+where+` AND f.blacklisted = 1`, args...).Scan(&p.Refusers).Error; err != nil {
		return err
	}
	if unnamed >= p.MonthlyCap {
		p.OverCap = p.Recipients
		return nil
	}
	return db.Raw(`SELECT COUNT(*) FROM `+from+` JOIN follower_months AS m ON m.month = ? AND m.open_id = f.open_id
		WHERE `+where+` AND m.received >= ?`, append(append([]any{monthKey(s.now())}, args...), p.MonthlyCap-unnamed)...).
		Scan(&p.OverCap).Error
}

// monthlyUseUnsynced fills the monthly-cap figures of a group or everyone send before any sync,
// from Qunfa's own sends by audience: everyone sends count for all, group sends for that group.
func (s *Service) monthlyUseUnsynced(ctx context.Context, p *planned, groupID int64) error {
	// Batches WeChat took this month (a msg_id): every everyone batch, and this group's.
	var n struct{ Everyone, SameGroup int }
	err := s.store.db(ctx).Raw(`SELECT COALESCE(SUM(CASE WHEN s.target = ? THEN 1 ELSE 0 END), 0) AS everyone,
			COALESCE(SUM(CASE WHEN s.target = ? AND s.group_id = ? AND s.audience = ? THEN 1 ELSE 0 END), 0) AS same_group
		FROM send_batches AS b JOIN sends AS s ON s.id = b.send_id
		WHERE b.msg_id <> 0 AND b.submitted_at >= ?`,
		TargetAll, TargetGroup, groupID, p.profile.Audience, monthStart(s.now()).UTC()).Scan(&n).Error
	if err != nil {
		return err
	}
	p.ReceivedThisMonth = n.Everyone
	if p.target == TargetGroup {
		p.ReceivedThisMonth += n.SameGroup
	}
	if p.ReceivedThisMonth >= p.MonthlyCap {
		p.OverCap = p.Recipients
	}
	return nil
}
