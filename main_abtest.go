package main

import "qunfa/models"

// abReadsOverride, when set (by a browser test only), gives the A/B tests their read figures in
// place of the article statistics: the embedded sandbox has none to give.
var abReadsOverride models.ReadSource

// abReadSource is where the running dashboard's A/B tests read their figures.
func abReadSource(svc *models.Service) models.ReadSource {
	if abReadsOverride != nil {
		return abReadsOverride
	}
	return svc.StatsReads()
}
