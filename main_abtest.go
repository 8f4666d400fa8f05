package main

import (
	"context"
	"sync/atomic"

	"qunfa/models"
)

// abReadsOverride, when set (by a browser test only), gives the A/B tests their read figures in
// place of the article statistics: the embedded sandbox has none to give. Read at each call, so
// a test may set it after the dashboard has started.
var abReadsOverride atomic.Pointer[models.ReadsFunc]

// abReadSource is where the running dashboard's A/B tests read their figures: the service's
// statistics (models.Service.StatsReads).
func abReadSource(svc *models.Service) models.ReadSource {
	stats := svc.StatsReads()
	return models.ReadsFunc(func(ctx context.Context, id uint) (int64, bool, error) {
		if f := abReadsOverride.Load(); f != nil {
			return (*f)(ctx, id)
		}
		return stats.ReadsOfSend(ctx, id)
	})
}
