package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"qunfa/wechat/protocol"
)

// rawTx runs fn in one write transaction with its raw connection (see execer); ctx carries the
// transaction too, so GORM calls inside fn (s.db(ctx)) join it.
func (st *Store) rawTx(ctx context.Context, fn func(ctx context.Context, c execer) error) error {
	return st.inTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*gorm.DB)
		return fn(ctx, tx.Statement.ConnPool)
	})
}

// syncCacheKiB is the writer's page cache during a follower sync: about the size of the
// listing's index at 1,000,000 followers, so random-order inserts stay in memory (the default
// 2 MiB makes them three times slower), well inside the memory budget.
const syncCacheKiB = 64 * 1024

// bigCache raises the writer's page cache for a sync and returns what puts it back.
func (st *Store) bigCache(ctx context.Context) func() {
	if st.dialect == dialectPostgres {
		return func() {} // PostgreSQL's cache is the server's
	}
	var old int
	if err := st.gdb.WithContext(ctx).Raw("PRAGMA cache_size").Row().Scan(&old); err != nil {
		return func() {}
	}
	if err := st.gdb.WithContext(ctx).Exec(fmt.Sprintf("PRAGMA cache_size = -%d", syncCacheKiB)).Error; err != nil {
		return func() {}
	}
	return func() {
		_ = st.gdb.WithContext(context.WithoutCancel(ctx)).Exec(fmt.Sprintf("PRAGMA cache_size = %d", old)).Error
	}
}

// keyDailyFollowerSync is the settings key of the daily incremental sync ("1": on; default off).
const keyDailyFollowerSync = "followers_daily_sync"

// DailyFollowerSync reports whether the worker runs an incremental follower sync once a Beijing day.
func (s *Service) DailyFollowerSync(ctx context.Context) (bool, error) {
	var v []string
	if err := s.store.db(ctx).Model(&settingRow{}).Where("key = ?", keyDailyFollowerSync).Pluck("value", &v).Error; err != nil {
		return false, fmt.Errorf("models: read settings: %w", err)
	}
	return len(v) == 1 && v[0] == "1", nil
}

// SetDailyFollowerSync turns the daily incremental sync on or off.
func (s *Service) SetDailyFollowerSync(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	if err := s.store.putSettings(ctx, map[string]string{keyDailyFollowerSync: v}); err != nil {
		return err
	}
	s.log.Info("daily follower sync", "on", on)
	s.notify()
	return nil
}

// followerSyncTick is the worker's part in the sync: resume an unfinished job in the background,
// and start the daily incremental one when the setting is on and none has started this Beijing day.
func (s *Service) followerSyncTick(ctx context.Context) {
	var open int64
	if err := s.store.db(ctx).Model(&followerSyncRow{}).Where("finished_at IS NULL").Count(&open).Error; err != nil {
		if ctx.Err() == nil {
			s.log.Error("follower sync check failed", "err", err)
		}
		return
	}
	s.pageIndexTick(ctx, open > 0)
	if open > 0 {
		s.spawnFollowerSync()
		return
	}
	day := protocol.BeijingDay(s.now())
	if s.syncs.lastDay == day {
		return
	}
	on, err := s.DailyFollowerSync(ctx)
	if err != nil || !on {
		return
	}
	if last, err := s.LatestFollowerSync(ctx); err == nil && protocol.BeijingDay(last.StartedAt) == day {
		s.syncs.lastDay = day
		return
	}
	if _, _, err := s.StartFollowerSync(ctx, SyncIncremental); err != nil {
		s.log.Error("daily follower sync could not start", "err", err)
		return
	}
	s.syncs.lastDay = day
}

// RecordSubscription applies a subscribe or unsubscribe event (protocol §13) at its CreateTime:
// subscribe adds or revives the follower (details fetched by the next sync), unsubscribe marks
// them gone. An event older than what the row already records is ignored, so WeChat's retries
// and late deliveries change nothing.
func (s *Service) RecordSubscription(ctx context.Context, openID string, subscribed bool, at time.Time) error {
	if openID == "" {
		return fmt.Errorf("%w: empty OpenID", ErrInvalidArgument)
	}
	at = at.UTC().Truncate(time.Second)
	now := s.now()
	var err error
	if subscribed {
		err = s.store.db(ctx).Exec(`INSERT INTO followers (open_id, subscribed, subscribed_at, updated_at) VALUES (?, 1, ?, ?)
			ON CONFLICT (open_id) DO UPDATE SET subscribed = 1, subscribed_at = excluded.subscribed_at, unsubscribed_at = NULL,
				detailed_at = CASE WHEN followers.subscribed = 1 THEN followers.detailed_at END, updated_at = excluded.updated_at
			WHERE (followers.unsubscribed_at IS NULL OR followers.unsubscribed_at <= excluded.subscribed_at)
				AND (followers.subscribed = 0 OR followers.subscribed_at IS NULL OR followers.subscribed_at <= excluded.subscribed_at)`,
			openID, at, now).Error
	} else {
		err = s.store.db(ctx).Exec(`INSERT INTO followers (open_id, subscribed, unsubscribed_at, updated_at) VALUES (?, 0, ?, ?)
			ON CONFLICT (open_id) DO UPDATE SET subscribed = 0, unsubscribed_at = excluded.unsubscribed_at, updated_at = excluded.updated_at
			WHERE (followers.subscribed_at IS NULL OR followers.subscribed_at <= excluded.unsubscribed_at)
				AND (followers.unsubscribed_at IS NULL OR followers.unsubscribed_at <= excluded.unsubscribed_at)`,
			openID, at, now).Error
	}
	if err != nil {
		return fmt.Errorf("models: record subscription event: %w", err)
	}
	return nil
}

// Follower statuses of the page's filter.
const (
	FollowersSubscribed   = "subscribed"
	FollowersUnsubscribed = "unsubscribed"
	FollowersAll          = "all"
)

// FollowerFilter narrows the followers page. Zero values do not filter, except Status ("" is
// FollowersSubscribed).
type FollowerFilter struct {
	Prefix   string // OpenID prefix
	HasGroup bool
	Group    int64 // 2014 group (followers.group_id)
	HasTag   bool
	Tag      int64     // today's tag (follower_tags)
	Status   string    // FollowersSubscribed | FollowersUnsubscribed | FollowersAll
	From, To time.Time // subscribed in [From, To); zero: open
}

// FollowerCursor names a page by keyset: the followers just after After, or just before Before
// (OpenIDs; the page is in OpenID order). Both empty: the first page.
type FollowerCursor struct{ After, Before string }

// FollowersPageSize is how many followers one page shows.
const FollowersPageSize = 50

// Follower is one row of the followers page.
type Follower struct {
	OpenID         string
	Subscribed     bool
	SubscribedAt   *time.Time
	UnsubscribedAt *time.Time
	GroupID        int64
	Tags           []int64
	Language       string
	Remark         string
	Scene          string
	Blacklisted    bool
	Detailed       bool
	// MonthReceived is the mass messages addressed to them this Beijing month (follower_months).
	MonthReceived int
}

// FollowersPage is one page; Next and Prev are the cursors of the neighbouring pages (After=Next,
// Before=Prev), empty when there is none.
type FollowersPage struct {
	Followers []Follower
	Next      string
	Prev      string
}

// sparseLimit: a filter that matches fewer rows than this is read whole through its best index
// and sorted; one that matches more is walked in OpenID order (its matches are spread over the
// OpenIDs, so 50 of them come soon). Either way a page reads a bounded number of index entries,
// whatever the page and the table's size.
const sparseLimit = 1000

// sparseLimitGroupDates is sparseLimit for a group with dates: ix_followers_group_date holds both
// (and the OpenID), so up to this many matches are read and sorted without reading a row.
const sparseLimitGroupDates = 20000

// unsubscribedSet is the OpenIDs of the followers who left, read from their partial index: the
// status filter as a membership test keeps the group, tag and date indexes covering (no row is
// read to know whether a follower is subscribed).
const unsubscribedSet = "(SELECT open_id FROM followers WHERE subscribed = 0)"

// Followers returns the page of followers that cur names under filter f.
func (s *Service) Followers(ctx context.Context, f FollowerFilter, cur FollowerCursor) (FollowersPage, error) {
	if cur.After != "" && cur.Before != "" {
		return FollowersPage{}, fmt.Errorf("%w: followers cursor with both after and before", ErrInvalidArgument)
	}
	if f.Status == "" {
		f.Status = FollowersSubscribed
	}
	db := s.store.db(ctx)
	// The driving table: a tag's rows, or the followers (through the group, date or primary-key
	// index, as the planner finds best). Conditions on followers that the driver does not hold
	// are checked through the follower's row (tag) or the row itself.
	from, key := "followers f", "f.open_id"
	var where, rowWhere []string
	var args, rowArgs []any
	if f.HasTag {
		from, key = "follower_tags t", "t.open_id"
		where, args = append(where, "t.tag_id = ?"), append(args, f.Tag)
	}
	switch f.Status {
	case FollowersSubscribed:
		where = append(where, key+" NOT IN "+unsubscribedSet)
	case FollowersUnsubscribed:
		if f.HasTag {
			where = append(where, key+" IN "+unsubscribedSet)
		} else {
			where = append(where, "f.subscribed = 0") // their partial index, in OpenID order
		}
	}
	if f.Prefix != "" {
		where, args = append(where, key+" >= ? AND "+key+" < ?"), append(args, f.Prefix, f.Prefix+"\x7f")
	}
	if f.HasGroup {
		rowWhere, rowArgs = append(rowWhere, "f.group_id = ?"), append(rowArgs, f.Group)
	}
	dates := func(col string) ([]string, []any) {
		var w []string
		var a []any
		if !f.From.IsZero() {
			w, a = append(w, col+" >= ?"), append(a, f.From.UTC())
		}
		if !f.To.IsZero() {
			w, a = append(w, col+" < ?"), append(a, f.To.UTC())
		}
		return w, a
	}
	// build assembles the WHERE clause; dateCol is how the dates are written ("+f.subscribed_at"
	// keeps the planner off their index when the walk must follow OpenID order).
	build := func(dateCol string, extra ...string) (string, []any) {
		w, a := slices.Clone(where), slices.Clone(args)
		rw, ra := slices.Clone(rowWhere), slices.Clone(rowArgs)
		dw, da := dates(dateCol)
		rw, ra = append(rw, dw...), append(ra, da...)
		if len(rw) > 0 {
			if f.HasTag {
				w = append(w, "EXISTS (SELECT 1 FROM followers f WHERE f.open_id = t.open_id AND "+strings.Join(rw, " AND ")+")")
			} else {
				w = append(w, rw...)
			}
			a = append(a, ra...)
		}
		return whereSQL(append(w, extra...)), a
	}

	// How many rows match, up to the limit, through whatever index suits the filter best. A group
	// with dates is read from their joint index alone, so more of them are cheap to sort.
	limit := sparseLimit
	if f.HasGroup && !f.HasTag && (!f.From.IsZero() || !f.To.IsZero()) {
		limit = sparseLimitGroupDates
	}
	probeWhere, probeArgs := build("f.subscribed_at")
	var matched int
	if err := db.Raw("SELECT COUNT(*) FROM (SELECT 1 FROM "+from+probeWhere+" LIMIT "+strconv.Itoa(limit)+")", probeArgs...).
		Row().Scan(&matched); err != nil {
		return FollowersPage{}, fmt.Errorf("models: followers page: %w", err)
	}
	order, cmp, pos := "ASC", ">", cur.After
	if cur.Before != "" {
		order, cmp, pos = "DESC", "<", cur.Before
	}
	var extra []string
	var extraArgs []any
	if pos != "" {
		extra, extraArgs = []string{key + " " + cmp + " ?"}, []any{pos}
	}
	var q string
	var qa []any
	if matched < limit {
		// Few: all of them through the filter's best index, then sorted.
		w, a := build("f.subscribed_at", extra...)
		q = "WITH m AS MATERIALIZED (SELECT " + key + " AS open_id FROM " + from + w + ") " +
			"SELECT open_id FROM m ORDER BY open_id " + order + " LIMIT ?"
		qa = append(append(a, extraArgs...), FollowersPageSize+1)
	} else {
		// Many: walk OpenID order; the dates (never in OpenID order) are checked row by row.
		dateCol := "+f.subscribed_at"
		if dialectOf(db) == dialectPostgres {
			dateCol = "f.subscribed_at" // no unary plus on a timestamp; PostgreSQL plans it alone
		}
		w, a := build(dateCol, extra...)
		q = "SELECT " + key + " FROM " + from + w + " ORDER BY " + key + " " + order + " LIMIT ?"
		qa = append(append(a, extraArgs...), FollowersPageSize+1)
	}
	var ids []string
	// Read: dbresolver sends raw SQL to a reader only when it starts with SELECT, and this may
	// start with WITH; on the writer it would wait behind a follower sync's commits (load test).
	rows, err := db.Clauses(dbresolver.Read).Raw(q, qa...).Rows()
	if err != nil {
		return FollowersPage{}, fmt.Errorf("models: followers page: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return FollowersPage{}, err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return FollowersPage{}, err
	}
	more := len(ids) > FollowersPageSize
	if more {
		ids = ids[:FollowersPageSize]
	}
	var page FollowersPage
	if cur.Before != "" {
		if !more {
			// The first page came out short: show the first page itself.
			return s.Followers(ctx, f, FollowerCursor{})
		}
		slices.Reverse(ids)
		page.Prev = ids[0]
		page.Next = ids[len(ids)-1]
	} else if len(ids) > 0 {
		if more {
			page.Next = ids[len(ids)-1]
		}
		if cur.After != "" {
			page.Prev = ids[0]
		}
	}
	page.Followers, err = s.followerRows(ctx, ids)
	return page, err
}

func whereSQL(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w, " AND ")
}

// followerRows reads the rows of ids (in that order) with their tags and this month's ledger.
func (s *Service) followerRows(ctx context.Context, ids []string) ([]Follower, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	db := s.store.db(ctx)
	type row struct {
		OpenID         string
		Subscribed     bool
		SubscribedAt   *time.Time
		UnsubscribedAt *time.Time
		GroupID        int64
		Language       string
		Remark         string
		Scene          string
		Blacklisted    bool
		DetailedAt     *time.Time
		Received       int
	}
	var rs []row
	err := db.Raw(`SELECT f.open_id, f.subscribed, f.subscribed_at, f.unsubscribed_at, f.group_id, f.language, f.remark,
			f.scene, f.blacklisted, f.detailed_at, COALESCE(m.received, 0) AS received
		FROM followers f LEFT JOIN follower_months m ON m.month = ? AND m.open_id = f.open_id
		WHERE f.open_id IN ?`, s.now().In(Beijing).Format("2006-01"), ids).Scan(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("models: followers page rows: %w", err)
	}
	type tagRow struct {
		TagID  int64
		OpenID string
	}
	var ts []tagRow
	if err := db.Raw("SELECT tag_id, open_id FROM follower_tags WHERE open_id IN ? ORDER BY open_id, tag_id", ids).
		Scan(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: followers page tags: %w", err)
	}
	tags := map[string][]int64{}
	for _, t := range ts {
		tags[t.OpenID] = append(tags[t.OpenID], t.TagID)
	}
	byID := make(map[string]row, len(rs))
	for _, r := range rs {
		byID[r.OpenID] = r
	}
	out := make([]Follower, 0, len(ids))
	for _, id := range ids {
		r := byID[id]
		out = append(out, Follower{OpenID: id, Subscribed: r.Subscribed, SubscribedAt: r.SubscribedAt,
			UnsubscribedAt: r.UnsubscribedAt, GroupID: r.GroupID, Tags: tags[id], Language: r.Language,
			Remark: r.Remark, Scene: r.Scene, Blacklisted: r.Blacklisted, Detailed: r.DetailedAt != nil,
			MonthReceived: r.Received})
	}
	return out, nil
}

// AudienceCount is a group or tag with how many subscribed followers it had at the last sync.
type AudienceCount struct {
	ID    int64
	Name  string // WeChat's name; "" when WeChat did not name it
	Count int
}

// FollowerAudiences lists the groups (2014 profile) or tags (today's) with their counts from the
// synced table, named as WeChat names them. A WeChat failure leaves the names out, not the counts.
func (s *Service) FollowerAudiences(ctx context.Context) (list []AudienceCount, byTag bool, err error) {
	p, err := s.profile(ctx)
	if err != nil {
		return nil, false, err
	}
	byTag = p.Audience == AudienceTags
	kind := "group"
	if byTag {
		kind = "tag"
	}
	var counts []AudienceCount
	if err := s.store.db(ctx).Raw("SELECT id, count FROM follower_counts WHERE kind = ? ORDER BY id", kind).
		Scan(&counts).Error; err != nil {
		return nil, byTag, fmt.Errorf("models: follower counts: %w", err)
	}
	named, _, werr := s.audiences(ctx, p.Audience)
	if werr != nil {
		s.log.Warn("group or tag names unavailable", "err", redact(werr.Error()))
	}
	seen := map[int64]bool{}
	for _, g := range named {
		c := AudienceCount{ID: g.ID, Name: g.Name}
		for _, n := range counts {
			if n.ID == g.ID {
				c.Count = n.Count
			}
		}
		seen[g.ID] = true
		list = append(list, c)
	}
	for _, n := range counts {
		if !seen[n.ID] {
			list = append(list, n)
		}
	}
	return list, byTag, nil
}
