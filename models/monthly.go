package models

import (
	"context"
	"strings"
	"time"
)

// WeChat delivers at most MonthlyCap mass messages to a follower in a Beijing
// calendar month and silently drops the rest for that follower (they count as
// errors). Qunfa cannot see sends made in the WeChat backend, so what it
// reports here is a lower bound from its own records: enough to warn before a
// send that would reach few people.

// monthStart is midnight on the first day of t's Beijing month.
func monthStart(t time.Time) time.Time {
	b := t.In(Beijing)
	return time.Date(b.Year(), b.Month(), 1, 0, 0, 0, 0, Beijing)
}

// monthlyUse fills the plan's monthly-cap figures for its audience.
func (s *Service) monthlyUse(ctx context.Context, p *planned, groupID int64) error {
	p.MonthlyCap = s.rules.MonthlyCap
	since := monthStart(s.now())
	// Batches WeChat took this month (a msg_id), with their send's audience.
	type row struct {
		Target   string
		GroupID  int64
		Audience string
		OpenIDs  string
	}
	var rows []row
	err := s.store.db(ctx).Table("send_batches AS b").
		Select("s.target AS target, s.group_id AS group_id, s.audience AS audience, b.open_ids AS open_ids").
		Joins("JOIN sends AS s ON s.id = b.send_id").
		Where("b.msg_id <> 0 AND b.submitted_at >= ?", since.UTC()).
		Scan(&rows).Error
	if err != nil {
		return err
	}
	everyone, sameGroup := 0, 0
	perOpenID := map[string]int{}
	for _, r := range rows {
		switch TargetKind(r.Target) {
		case TargetAll:
			everyone++
		case TargetGroup:
			if p.target == TargetGroup && r.GroupID == groupID && r.Audience == p.profile.Audience {
				sameGroup++
			}
		case TargetOpenIDs:
			if p.target == TargetOpenIDs {
				for _, id := range strings.Split(r.OpenIDs, "\n") {
					perOpenID[id]++
				}
			}
		}
	}
	switch p.target {
	case TargetAll:
		p.ReceivedThisMonth = everyone
	case TargetGroup:
		p.ReceivedThisMonth = everyone + sameGroup
	case TargetOpenIDs:
		p.ReceivedThisMonth = everyone
		for _, id := range p.openIDs {
			if everyone+perOpenID[id] >= p.MonthlyCap {
				p.OverCap++
			}
		}
		return nil
	}
	if p.ReceivedThisMonth >= p.MonthlyCap {
		p.OverCap = p.Recipients
	}
	return nil
}
