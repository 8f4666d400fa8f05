package models

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"qunfa/wechat/protocol"
)

// Reading statistics (issue 9, point 3): WeChat's datacube getarticletotal, asked once a day for
// the days it publishes, for the sends still in the 7 days it counts, and kept in article_stats.
//
// Matching: getarticletotal names an article "<msg_data_id>_<index>" (protocol §11.2), the
// msg_data_id that sendall/send answered for that batch (not its msg_id). Each batch of a split
// OpenID list is its own call with its own msg_data_id, so a send's figures are the sum over its
// batches' distinct msg_data_ids; rows are keyed by msg_data_id, so two batches that WeChat gave
// the same msg_data_id are counted once (UNCONFIRMED: whether it does, §11.2 says nothing).
//
// Budget: datacube calls are not advanced-interface calls and use none of the mass-send quota
// (§7 lists none for them); Qunfa still spends at most ArticleStatsDailyCalls of them a Beijing
// day, counted in article_stat_calls before each call, so several instances share one budget.

// ArticleStatsSource is getarticletotal as models needs it: every article mass-sent on one
// Beijing send day, with its cumulative figures per stat_date published so far. main adapts
// the WeChat client to it; a WeChat without it has no reading statistics.
type ArticleStatsSource interface {
	ArticleTotals(ctx context.Context, sendDay string) ([]ArticleTotal, error)
}

// ArticleTotal is one article of a send day's messages.
type ArticleTotal struct {
	MsgDataID  int64
	ArticleIdx int // 1-based
	Title      string
	Days       []ArticleDay
}

// ArticleDay is an article's figures from its send up to StatDate (cumulative, as WeChat gives).
type ArticleDay struct {
	StatDate   string
	TargetUser int
	ReadFigures
	OriReadUser, OriReadCount int
}

// ReadFigures are the reading figures a report shows: people and times.
type ReadFigures struct {
	ReadUser, ReadCount   int // article page (int_page_read_*)
	ShareUser, ShareCount int
	FavUser, FavCount     int // favourites (add_to_fav_*)
}

func (f ReadFigures) plus(g ReadFigures) ReadFigures {
	return ReadFigures{f.ReadUser + g.ReadUser, f.ReadCount + g.ReadCount, f.ShareUser + g.ShareUser,
		f.ShareCount + g.ShareCount, f.FavUser + g.FavUser, f.FavCount + g.FavCount}
}

func (f ReadFigures) minus(g ReadFigures) ReadFigures {
	return ReadFigures{f.ReadUser - g.ReadUser, f.ReadCount - g.ReadCount, f.ShareUser - g.ShareUser,
		f.ShareCount - g.ShareCount, f.FavUser - g.FavUser, f.FavCount - g.FavCount}
}

const (
	// ArticleStatsDailyCalls is the most datacube calls the fetch makes a Beijing day (7 send
	// days a day in the normal case, the rest for retries and catching up).
	ArticleStatsDailyCalls = 20
	// ArticleStatsFetchHour is the Beijing hour from which the daily fetch asks: WeChat publishes
	// after 08:00 but staff advise 10:00 (§11.1).
	ArticleStatsFetchHour = 10
	// articleStatsCatchUpDays: after an outage, send days this far back are still completed.
	articleStatsCatchUpDays = 14
	// articleStatsRetry is the wait before asking again about a day WeChat had not published.
	articleStatsRetry = time.Hour
	// articleStatsCheck is how often the worker looks whether a fetch is due.
	articleStatsCheck = 10 * time.Minute
	// codeDailyQuota: WeChat's "daily quota reached" (45009) ends the day's fetching.
	codeDailyQuota = protocol.CodeDailyQuota
)

// articleStatsState is the Service's part of the fetch: a fetch asked for now, and the budget.
type articleStatsState struct {
	requested atomic.Bool
	lastCheck time.Time // the worker loop's last look (loop goroutine only)
	budget    int       // 0 → ArticleStatsDailyCalls (tests lower it)
}

// ArticleStatsFetch says what one fetch did.
type ArticleStatsFetch struct {
	Days    []string // send days asked, in order
	Stored  int      // rows written or updated
	Pending int      // send days still due after this fetch (budget spent, not published, errors)
	Budget  bool     // stopped because the day's budget was spent
}

type articleStatRow struct {
	MsgDataID        int64  `gorm:"column:msg_data_id;primaryKey"`
	ArticleIdx       int    `gorm:"column:article_idx;primaryKey"`
	StatDate         string `gorm:"column:stat_date;primaryKey"`
	RefDate          string `gorm:"column:ref_date"`
	Title            string
	TargetUser       int
	IntPageReadUser  int `gorm:"column:int_page_read_user"`
	IntPageReadCount int `gorm:"column:int_page_read_count"`
	OriPageReadUser  int `gorm:"column:ori_page_read_user"`
	OriPageReadCount int `gorm:"column:ori_page_read_count"`
	ShareUser        int
	ShareCount       int
	AddToFavUser     int `gorm:"column:add_to_fav_user"`
	AddToFavCount    int `gorm:"column:add_to_fav_count"`
	FetchedAt        time.Time
}

func (articleStatRow) TableName() string { return "article_stats" }

func (r articleStatRow) figures() ReadFigures {
	return ReadFigures{r.IntPageReadUser, r.IntPageReadCount, r.ShareUser, r.ShareCount, r.AddToFavUser, r.AddToFavCount}
}

type articleStatDayRow struct {
	RefDate     string `gorm:"column:ref_date;primaryKey"`
	Through     string
	AttemptedAt *time.Time
	FetchedAt   *time.Time
}

func (articleStatDayRow) TableName() string { return "article_stat_days" }

// RequestArticleStatsFetch asks the worker to fetch now (an operator's "fetch now"): the days
// WeChat has published are asked without waiting for the daily hour or the retry pause, within
// the day's budget.
func (s *Service) RequestArticleStatsFetch() {
	s.stats.requested.Store(true)
	s.notify()
}

// articleStatsTick runs from the worker loop: a requested fetch at once, else the daily fetch
// when due (checked every few minutes).
func (s *Service) articleStatsTick(ctx context.Context) {
	force := s.stats.requested.Swap(false)
	if !force && time.Since(s.stats.lastCheck) < articleStatsCheck {
		return
	}
	s.stats.lastCheck = time.Now()
	if _, err := s.FetchArticleStats(ctx, force); err != nil && ctx.Err() == nil {
		s.log.Warn("article statistics fetch failed", "err", redact(err.Error()))
	}
}

// FetchArticleStats asks getarticletotal for every send day that is due: a day with finished
// batches that have a msg_data_id, within the last articleStatsCatchUpDays, published by WeChat
// (T+1 after 08:00), whose stored figures stop before the last day WeChat counts or has
// published. Each day's rows and its progress are committed together, after its call: a crash
// loses at most the call in flight, which the next fetch repeats, and rows are keyed, so nothing
// is stored twice. force skips the daily hour and the pause after a day WeChat had not published.
func (s *Service) FetchArticleStats(ctx context.Context, force bool) (out ArticleStatsFetch, err error) {
	defer wrap(&err, "fetch article statistics")
	src, ok := s.wx.(ArticleStatsSource)
	if !ok {
		return out, nil
	}
	now := s.now()
	if !force && now.In(Beijing).Hour() < ArticleStatsFetchHour {
		return out, nil
	}
	due, err := s.dueArticleStatDays(ctx, now, force)
	if err != nil {
		return out, err
	}
	for i, d := range due {
		ok, err := s.reserveArticleStatsCall(ctx, now)
		if err != nil {
			return out, err
		}
		if !ok {
			out.Budget, out.Pending = true, out.Pending+len(due)-i
			return out, nil
		}
		out.Days = append(out.Days, d.day)
		arts, err := src.ArticleTotals(ctx, d.day)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if err != nil {
			s.log.Warn("getarticletotal failed", "day", d.day, "err", redact(err.Error()))
			if ae, isAPI := asAPIError(err); isAPI && ae.Errcode() == codeDailyQuota {
				out.Budget, out.Pending = true, out.Pending+len(due)-i
				return out, s.spendArticleStatsBudget(ctx, now)
			}
			out.Pending++
			if err := s.markArticleStatDay(ctx, d.day, "", now, false); err != nil {
				return out, err
			}
			continue
		}
		n, complete, err := s.storeArticleTotals(ctx, d, arts, now)
		if err != nil {
			return out, err
		}
		out.Stored += n
		if !complete {
			out.Pending++
		}
	}
	return out, nil
}

// statDay is a send day the fetch asks about: its msg_data_ids and the last stat_date wanted.
type statDay struct {
	day  string
	want string
	ids  map[int64]bool
}

// dueArticleStatDays lists the send days to ask about, oldest first.
func (s *Service) dueArticleStatDays(ctx context.Context, now time.Time, force bool) ([]statDay, error) {
	last := protocol.LastArticleStatsDay(now)
	b := now.In(Beijing)
	from := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, Beijing).AddDate(0, 0, -articleStatsCatchUpDays)
	var batches []struct {
		MsgDataID   int64
		SubmittedAt time.Time
		FinishedAt  *time.Time
	}
	if err := s.store.db(ctx).Table("send_batches").Select("msg_data_id", "submitted_at", "finished_at").
		Where("submitted_at >= ? AND msg_data_id <> 0 AND state IN ?", from.UTC(), []SendState{StateFinished, StateDeleted}).
		Where("sent_count > 0").Find(&batches).Error; err != nil {
		return nil, err
	}
	days := map[string]*statDay{}
	newest := map[string]time.Time{} // the last batch finished that day: asked again if after the last fetch
	for _, bt := range batches {
		day := protocol.BeijingDay(bt.SubmittedAt)
		if day > last {
			continue // WeChat has not published its send day yet
		}
		d := days[day]
		if d == nil {
			want := addDay(day, protocol.ArticleStatsWindowDays-1)
			if want > last {
				want = last
			}
			d = &statDay{day: day, want: want, ids: map[int64]bool{}}
			days[day] = d
		}
		d.ids[bt.MsgDataID] = true
		if bt.FinishedAt != nil && bt.FinishedAt.After(newest[day]) {
			newest[day] = *bt.FinishedAt
		}
	}
	if len(days) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var states []articleStatDayRow
	if err := s.store.db(ctx).Where("ref_date IN ?", keys).Find(&states).Error; err != nil {
		return nil, err
	}
	state := map[string]articleStatDayRow{}
	for _, st := range states {
		state[st.RefDate] = st
	}
	var out []statDay
	for _, k := range keys {
		d, st := days[k], state[k]
		stale := st.FetchedAt == nil || newest[k].After(*st.FetchedAt)
		if st.Through >= d.want && !stale {
			continue // done for today
		}
		if !force && st.AttemptedAt != nil && now.Sub(*st.AttemptedAt) < articleStatsRetry {
			continue // asked a moment ago; WeChat had not published it
		}
		out = append(out, *d)
	}
	return out, nil
}

// storeArticleTotals writes a send day's answer and its progress in one transaction. complete
// reports whether every msg_data_id of the day had its figures up to the day wanted.
func (s *Service) storeArticleTotals(ctx context.Context, d statDay, arts []ArticleTotal, now time.Time) (n int, complete bool, err error) {
	through := "" // the last stat_date every one of our listed msg_data_ids has
	seen := map[int64]string{}
	var rows []articleStatRow
	for _, a := range arts {
		for _, day := range a.Days {
			if day.StatDate < d.day || day.StatDate > addDay(d.day, protocol.ArticleStatsWindowDays-1) {
				continue // outside the 7 days of this send day: not trusted
			}
			rows = append(rows, articleStatRow{
				MsgDataID: a.MsgDataID, ArticleIdx: a.ArticleIdx, StatDate: day.StatDate, RefDate: d.day,
				Title: clip(a.Title, 200), TargetUser: day.TargetUser,
				IntPageReadUser: day.ReadUser, IntPageReadCount: day.ReadCount,
				OriPageReadUser: day.OriReadUser, OriPageReadCount: day.OriReadCount,
				ShareUser: day.ShareUser, ShareCount: day.ShareCount,
				AddToFavUser: day.FavUser, AddToFavCount: day.FavCount, FetchedAt: now,
			})
			if d.ids[a.MsgDataID] && day.StatDate > seen[a.MsgDataID] {
				seen[a.MsgDataID] = day.StatDate
			}
		}
	}
	// A msg_data_id WeChat does not list (a deleted message, one sent elsewhere) does not hold
	// the day back; none listed means the day is not published yet.
	for _, last := range seen {
		if through == "" || last < through {
			through = last
		}
	}
	complete = through >= d.want
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		for _, r := range rows {
			if err := db.Exec(`INSERT INTO article_stats (msg_data_id, article_idx, stat_date, ref_date, title, target_user,
				int_page_read_user, int_page_read_count, ori_page_read_user, ori_page_read_count, share_user, share_count,
				add_to_fav_user, add_to_fav_count, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (msg_data_id, article_idx, stat_date) DO UPDATE SET ref_date = excluded.ref_date,
				title = excluded.title, target_user = excluded.target_user, int_page_read_user = excluded.int_page_read_user,
				int_page_read_count = excluded.int_page_read_count, ori_page_read_user = excluded.ori_page_read_user,
				ori_page_read_count = excluded.ori_page_read_count, share_user = excluded.share_user,
				share_count = excluded.share_count, add_to_fav_user = excluded.add_to_fav_user,
				add_to_fav_count = excluded.add_to_fav_count, fetched_at = excluded.fetched_at`,
				r.MsgDataID, r.ArticleIdx, r.StatDate, r.RefDate, r.Title, r.TargetUser, r.IntPageReadUser, r.IntPageReadCount,
				r.OriPageReadUser, r.OriPageReadCount, r.ShareUser, r.ShareCount, r.AddToFavUser, r.AddToFavCount, r.FetchedAt).Error; err != nil {
				return err
			}
		}
		return s.markArticleStatDay(ctx, d.day, through, now, through != "")
	})
	return len(rows), complete, err
}

// markArticleStatDay records an attempt at a send day and, when fetched, how far it got (never
// backwards).
func (s *Service) markArticleStatDay(ctx context.Context, day, through string, now time.Time, fetched bool) error {
	var fetchedAt *time.Time
	if fetched {
		fetchedAt = &now
	}
	return s.store.db(ctx).Exec(`INSERT INTO article_stat_days (ref_date, through, attempted_at, fetched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ref_date) DO UPDATE SET attempted_at = excluded.attempted_at,
		through = CASE WHEN excluded.through > article_stat_days.through THEN excluded.through ELSE article_stat_days.through END,
		fetched_at = COALESCE(excluded.fetched_at, article_stat_days.fetched_at)`, day, through, now, fetchedAt).Error
}

func (s *Service) articleStatsBudget() int {
	if s.stats.budget > 0 {
		return s.stats.budget
	}
	return ArticleStatsDailyCalls
}

// reserveArticleStatsCall counts one datacube call against today's budget, if any is left. The
// conditional update is the claim: two instances never spend the same unit.
func (s *Service) reserveArticleStatsCall(ctx context.Context, now time.Time) (bool, error) {
	day := protocol.BeijingDay(now)
	db := s.store.db(ctx)
	if err := db.Exec(`INSERT INTO article_stat_calls (day, calls) VALUES (?, 0) ON CONFLICT (day) DO NOTHING`, day).Error; err != nil {
		return false, err
	}
	res := db.Exec(`UPDATE article_stat_calls SET calls = calls + 1 WHERE day = ? AND calls < ?`, day, s.articleStatsBudget())
	return res.RowsAffected == 1, res.Error
}

// spendArticleStatsBudget marks today's budget used up (WeChat answered 45009).
func (s *Service) spendArticleStatsBudget(ctx context.Context, now time.Time) error {
	return s.store.db(ctx).Exec(`UPDATE article_stat_calls SET calls = ? WHERE day = ? AND calls < ?`,
		s.articleStatsBudget(), protocol.BeijingDay(now), s.articleStatsBudget()).Error
}

// ArticleStatsCalls is how many datacube calls the fetch made on Beijing day (2006-01-02).
func (s *Service) ArticleStatsCalls(ctx context.Context, day string) (int, error) {
	var n []int
	err := s.store.db(ctx).Table("article_stat_calls").Where("day = ?", day).Pluck("calls", &n).Error
	if len(n) == 0 {
		return 0, err
	}
	return n[0], err
}

// addDay is the Beijing day n days after day (2006-01-02).
func addDay(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
