package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// Article analytics (datacube getarticletotal / getarticlesummary, protocol §11), simulated
// deterministically from each mpnews job: how many it was delivered to (SentCount), the
// article's position and the days since its send. Figures grow over the 7 days WeChat counts
// and are published the morning after (08:00 Beijing, Config.Now); a day not published yet
// answers {"list":[]}. Each job (each batch of a split OpenID list) has its own msg_data_id,
// so its articles are the msgids "<msg_data_id>_<index>". Jobs that failed review have none.
//
// The figures, cumulative from the send day to day d (0 = the send day, ≤ 6), for a job
// delivered to S followers, article a (1-based):
//
//	int_page_read_user  = S × rate(a) × growth(d) / 1,000,000   rate ‰: 300, 150, then 80
//	                                                             growth ‰: 500 750 870 930 960 985 1000
//	int_page_read_count = users + users/4
//	ori_page_read_user  = users/8, its count the same + a quarter
//	share_user = users/10, share_count = share_user + share_user/2
//	add_to_fav_user = add_to_fav_count = users/20
//	target_user = S
//
// getarticlesummary gives one day's part: the day's cumulative figures less the day before's,
// for the articles that reach WeChat's threshold of 3 that day.

var (
	articleRateMilli   = []int{300, 150, 80}
	articleGrowthMilli = [protocol.ArticleStatsWindowDays]int{500, 750, 870, 930, 960, 985, 1000}
)

// ArticleStats is what the sandbox reports for article index (1-based) of a job delivered to
// sent followers, cumulative up to day d after its send (0 = the send day; capped at the last
// of the 7 days WeChat counts). Tests compute the figures they expect with it.
func ArticleStats(sent, index, d int) wechat.ArticleCounters {
	if d < 0 || index < 1 || sent <= 0 {
		return wechat.ArticleCounters{}
	}
	d = min(d, protocol.ArticleStatsWindowDays-1)
	rate := articleRateMilli[min(index, len(articleRateMilli))-1]
	users := int(int64(sent) * int64(rate) * int64(articleGrowthMilli[d]) / 1_000_000)
	ori, share, fav := users/8, users/10, users/20
	return wechat.ArticleCounters{
		IntPageReadUser: users, IntPageReadCount: users + users/4,
		OriPageReadUser: ori, OriPageReadCount: ori + ori/4,
		ShareUser: share, ShareCount: share + share/2,
		AddToFavUser: fav, AddToFavCount: fav,
	}
}

func init() {
	errmsgs[protocol.CodeArticleStatsDate] = "invalid date format"
	errmsgs[protocol.CodeArticleStatsRange] = "date range error"
	errmsgs[protocol.CodeArticleStatsNotReady] = "data not ready"
}

type datacubeRequest struct {
	Begin string `json:"begin_date"`
	End   string `json:"end_date"`
}

// datacubeDay validates a one-day span (§11.1): 61500 for a malformed date, 61501 for a span
// wider than the interface takes or reversed.
func datacubeDay(r *http.Request) (string, *apiError) {
	var req datacubeRequest
	if e := decodeJSON(r, &req); e != nil {
		return "", e
	}
	b, err1 := time.Parse(time.DateOnly, req.Begin)
	e, err2 := time.Parse(time.DateOnly, req.End)
	if err1 != nil || err2 != nil {
		return "", fail(protocol.CodeArticleStatsDate)
	}
	if e.Before(b) || e.Sub(b) >= protocol.ArticleStatsSpanDays*24*time.Hour {
		return "", fail(protocol.CodeArticleStatsRange)
	}
	return req.Begin, nil
}

type articleTotalItem struct {
	RefDate string                   `json:"ref_date"`
	MsgID   string                   `json:"msgid"`
	Title   string                   `json:"title"`
	Details []wechat.ArticleTotalDay `json:"details"`
}

type articleSummaryItem struct {
	RefDate string `json:"ref_date"`
	MsgID   string `json:"msgid"`
	Title   string `json:"title"`
	wechat.ArticleCounters
}

// statsJob is what the figures need of a job, copied under s.mu.
type statsJob struct {
	msgDataID int64
	day       string
	sent      int
	titles    []string
}

// statsJobs are the mpnews jobs that passed review, in msg_id order. Caller holds s.mu.
func (s *Server) statsJobs() []statsJob {
	ids := make([]int64, 0, len(s.jobs))
	for id, j := range s.jobs {
		if j.msgDataID != 0 && j.review == 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]statsJob, 0, len(ids))
	for _, id := range ids {
		j := s.jobs[id]
		sj := statsJob{msgDataID: j.msgDataID, day: dayKey(j.submittedAt), sent: j.sent}
		m := s.media[j.msg.mediaID]
		for a := 1; a <= j.msg.articles; a++ {
			title := "Article " + strconv.Itoa(a)
			if m != nil && a <= len(m.news) {
				title = m.news[a-1].Title
			}
			sj.titles = append(sj.titles, title)
		}
		out = append(out, sj)
	}
	return out
}

// daysBetween is the number of days from Beijing day a to day b (both 2006-01-02).
func daysBetween(a, b string) int {
	ta, _ := time.Parse(time.DateOnly, a)
	tb, _ := time.Parse(time.DateOnly, b)
	return int(tb.Sub(ta).Hours() / 24)
}

func addDays(day string, n int) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// articleTotal serves POST /datacube/getarticletotal: the articles sent on begin_date, each
// with its cumulative figures for every published stat_date of its 7 days.
func (s *Server) articleTotal(r *http.Request) (any, *apiError) {
	day, e := datacubeDay(r)
	if e != nil {
		return nil, e
	}
	list := []articleTotalItem{}
	now := s.now()
	if !protocol.ArticleStatsReady(day, now) {
		return map[string]any{"list": list}, nil
	}
	last := min(protocol.ArticleStatsWindowDays-1, daysBetween(day, protocol.LastArticleStatsDay(now)))
	s.mu.Lock()
	jobs := s.statsJobs()
	s.mu.Unlock()
	for _, j := range jobs {
		if j.day != day {
			continue
		}
		for a, title := range j.titles {
			it := articleTotalItem{RefDate: day, MsgID: wechat.ArticleMsgID(j.msgDataID, a+1), Title: title}
			for d := 0; d <= last; d++ {
				it.Details = append(it.Details, wechat.ArticleTotalDay{StatDate: addDays(day, d), TargetUser: j.sent,
					ArticleCounters: ArticleStats(j.sent, a+1, d)})
			}
			list = append(list, it)
		}
	}
	return map[string]any{"list": list}, nil
}

// articleSummary serves POST /datacube/getarticlesummary: each article's figures on begin_date
// alone, within its 7 days, when they reach the threshold.
func (s *Server) articleSummary(r *http.Request) (any, *apiError) {
	day, e := datacubeDay(r)
	if e != nil {
		return nil, e
	}
	list := []articleSummaryItem{}
	if !protocol.ArticleStatsReady(day, s.now()) {
		return map[string]any{"list": list}, nil
	}
	s.mu.Lock()
	jobs := s.statsJobs()
	s.mu.Unlock()
	for _, j := range jobs {
		d := daysBetween(j.day, day)
		if d < 0 || d >= protocol.ArticleStatsWindowDays {
			continue
		}
		for a, title := range j.titles {
			c := dayPart(ArticleStats(j.sent, a+1, d), ArticleStats(j.sent, a+1, d-1))
			if c.IntPageReadUser+c.OriPageReadUser+c.ShareUser+c.ShareCount+c.AddToFavCount < protocol.ArticleStatsSummaryThreshold {
				continue
			}
			list = append(list, articleSummaryItem{RefDate: day, MsgID: wechat.ArticleMsgID(j.msgDataID, a+1), Title: title, ArticleCounters: c})
		}
	}
	return map[string]any{"list": list}, nil
}

// dayPart is one day's figures: the cumulative ones less the day before's.
func dayPart(cum, before wechat.ArticleCounters) wechat.ArticleCounters {
	return wechat.ArticleCounters{
		IntPageReadUser: cum.IntPageReadUser - before.IntPageReadUser, IntPageReadCount: cum.IntPageReadCount - before.IntPageReadCount,
		OriPageReadUser: cum.OriPageReadUser - before.OriPageReadUser, OriPageReadCount: cum.OriPageReadCount - before.OriPageReadCount,
		ShareUser: cum.ShareUser - before.ShareUser, ShareCount: cum.ShareCount - before.ShareCount,
		AddToFavUser: cum.AddToFavUser - before.AddToFavUser, AddToFavCount: cum.AddToFavCount - before.AddToFavCount,
	}
}
