package main

import (
	"context"

	"qunfa/models"
)

// Reading statistics (datacube getarticletotal) for models' daily fetch. Not an advanced call:
// not counted against the mass-send quota (models keeps its own budget of these calls).
var _ models.ArticleStatsSource = gateway{}

func (g gateway) ArticleTotals(ctx context.Context, day string) ([]models.ArticleTotal, error) {
	arts, err := g.c.ArticleTotals(ctx, day, day)
	if err != nil {
		return nil, err
	}
	out := make([]models.ArticleTotal, 0, len(arts))
	for _, a := range arts {
		t := models.ArticleTotal{MsgDataID: a.MsgDataID, ArticleIdx: a.ArticleIdx, Title: a.Title}
		for _, d := range a.Details {
			t.Days = append(t.Days, models.ArticleDay{
				StatDate: d.StatDate, TargetUser: d.TargetUser,
				ReadFigures: models.ReadFigures{
					ReadUser: d.IntPageReadUser, ReadCount: d.IntPageReadCount,
					ShareUser: d.ShareUser, ShareCount: d.ShareCount,
					FavUser: d.AddToFavUser, FavCount: d.AddToFavCount,
				},
				OriReadUser: d.OriPageReadUser, OriReadCount: d.OriPageReadCount,
			})
		}
		out = append(out, t)
	}
	return out, nil
}
