package main

import (
	"context"

	"qunfa/models"
)

// The user analytics of the overview (protocol §12). Reads, not advanced calls: the fetch keeps
// its own budget (models/user_stats.go), so nothing here is counted against the daily quota.

var _ models.UserAnalytics = gateway{}

func (g gateway) UserSummary(ctx context.Context, begin, end string) ([]models.UserSummaryRow, error) {
	list, err := g.c.GetUserSummary(ctx, begin, end)
	if err != nil {
		return nil, err
	}
	out := make([]models.UserSummaryRow, len(list))
	for i, r := range list {
		out[i] = models.UserSummaryRow{Day: r.RefDate, Source: r.UserSource, New: r.NewUser, Cancel: r.CancelUser}
	}
	return out, nil
}

func (g gateway) UserCumulate(ctx context.Context, begin, end string) ([]models.UserCumulateRow, error) {
	list, err := g.c.GetUserCumulate(ctx, begin, end)
	if err != nil {
		return nil, err
	}
	out := make([]models.UserCumulateRow, len(list))
	for i, r := range list {
		out[i] = models.UserCumulateRow{Day: r.RefDate, Cumulate: r.CumulateUser}
	}
	return out, nil
}
