package protocol

import "time"

// Article analytics (图文分析, datacube getarticletotal / getarticlesummary; protocol notes §11).
const (
	// ArticleStatsSpanDays is the widest begin_date…end_date both interfaces take (inclusive):
	// one day, so begin_date == end_date (§11.1).
	ArticleStatsSpanDays = 1
	// ArticleStatsWindowDays is how many days of a send getarticletotal counts: the send day and
	// the six after it (stat_date ≤ ref_date + 6; "最多统计发表日后7天数据", §11.3).
	ArticleStatsWindowDays = 7
	// ArticleStatsReadyHour is the Beijing hour of day D+1 after which WeChat has day D (§11.1).
	ArticleStatsReadyHour = 8
	// ArticleStatsSummaryThreshold: getarticlesummary lists an article on a day only when its
	// int_page_read_user + ori_page_read_user + share_user + share_count + add_to_fav_count
	// reach this (§11.1).
	ArticleStatsSummaryThreshold = 3

	CodeArticleStatsDate     = 61500 // date format error
	CodeArticleStatsRange    = 61501 // date range error (span too wide)
	CodeArticleStatsNotReady = 61503 // data not ready
)

// ArticleStatsFirstDay is the first day the data interfaces have (§11.1).
const ArticleStatsFirstDay = "2014-12-01"

// ArticleStatsReady reports whether WeChat publishes Beijing day (2006-01-02) by now: after
// 08:00 Beijing on the next day. A malformed day is never ready.
func ArticleStatsReady(day string, now time.Time) bool {
	d, err := time.ParseInLocation(time.DateOnly, day, Beijing)
	if err != nil {
		return false
	}
	return !now.Before(d.AddDate(0, 0, 1).Add(ArticleStatsReadyHour * time.Hour))
}

// LastArticleStatsDay is the latest Beijing day WeChat publishes by now.
func LastArticleStatsDay(now time.Time) string {
	b := now.In(Beijing)
	back := 1
	if b.Hour() < ArticleStatsReadyHour {
		back = 2
	}
	return b.AddDate(0, 0, -back).Format(time.DateOnly)
}
