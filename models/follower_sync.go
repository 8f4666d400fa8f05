package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// The follower sync copies WeChat's list of followers into the followers table (migration 10's
// contract: subscribed, group_id, follower_tags, blacklisted). A job goes through phases, each
// committing its progress as it goes so that a crash or a restart resumes where it stopped:
//
//	listing   user/get pages (10,000 each) appended to follower_listing; the cursor is next_openid
//	merging   the listing sorted once, outside any write transaction, then merged in slices of
//	          10,000 OpenIDs, a commit each: new OpenIDs into followers, returning ones
//	          subscribed again, the ones no longer listed marked unsubscribed
//	details   user/info/batchget (100 a call, a few in flight) for the followers to describe —
//	          every subscribed one (full) or those never described (incremental); the cursor is
//	          the last OpenID written
//	blacklist getblacklist pages → followers.blacklisted (a failure there leaves it as it was)
//	done      counts per group and tag refreshed
//
// Only the rows that change are written, so an incremental sync of 1,000,000 followers with 1%
// new or gone costs about the listing.

// Sync modes.
const (
	SyncFull        = "full"
	SyncIncremental = "incremental"
)

// Sync phases (follower_syncs.phase).
const (
	phaseListing   = "listing"
	phaseMerging   = "merging"
	phaseDetails   = "details"
	phaseBlacklist = "blacklist"
	phaseDone      = "done"
	phaseFailed    = "failed"
)

// FollowerSync is one sync job and its progress, for the page.
type FollowerSync struct {
	ID       uint
	Mode     string // SyncFull | SyncIncremental
	Phase    string // listing, merging, details, blacklist, done, failed
	Listed   int    // OpenIDs listed so far
	Total    int    // WeChat's count of followers
	ToDetail int    // followers to describe
	Detailed int    // described so far
	Added    int    // new followers found
	Gone     int    // followers no longer listed
	// Blacklisted is how many the blacklist holds; -1 when it could not be read.
	Blacklisted int
	Error       string

	StartedAt      time.Time
	PhaseStartedAt time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

// Running reports whether the job is still to finish.
func (j FollowerSync) Running() bool { return j.FinishedAt == nil }

// Progress is the job's rows done and rows to do in its current phase (listing: OpenIDs listed
// of WeChat's total; details: followers described of those to describe).
func (j FollowerSync) Progress() (done, total int) {
	switch j.Phase {
	case phaseListing:
		return j.Listed, max(j.Total, j.Listed)
	case phaseMerging:
		return j.Listed, max(j.Total, j.Listed)
	case phaseDetails:
		return j.Detailed, max(j.ToDetail, j.Detailed)
	default:
		return j.Detailed + j.Listed, j.Detailed + j.Listed
	}
}

// Rate is the current phase's rows per second so far (0 before the first rows).
func (j FollowerSync) Rate() float64 {
	done, _ := j.Progress()
	secs := j.UpdatedAt.Sub(j.PhaseStartedAt).Seconds()
	if done == 0 || secs <= 0 || (j.Phase != phaseListing && j.Phase != phaseDetails) {
		return 0
	}
	return float64(done) / secs
}

// Left estimates the time the current phase still needs at its rate (0 when unknown or done).
func (j FollowerSync) Left() time.Duration {
	done, total := j.Progress()
	r := j.Rate()
	if r <= 0 || total <= done {
		return 0
	}
	return time.Duration(float64(total-done) / r * float64(time.Second))
}

type followerSyncRow struct {
	ID             uint `gorm:"primaryKey"`
	Mode           string
	Phase          string
	Cursor         string
	DetailCursor   string
	Listed         int
	Total          int
	ToDetail       int
	Detailed       int
	Added          int
	Gone           int
	Blacklisted    int
	PhaseStartedAt time.Time
	StartedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
	Error          string
}

func (followerSyncRow) TableName() string { return "follower_syncs" }

func (r followerSyncRow) job() FollowerSync {
	return FollowerSync{ID: r.ID, Mode: r.Mode, Phase: r.Phase, Listed: r.Listed, Total: r.Total,
		ToDetail: r.ToDetail, Detailed: r.Detailed, Added: r.Added, Gone: r.Gone, Blacklisted: r.Blacklisted,
		Error: r.Error, StartedAt: r.StartedAt, PhaseStartedAt: r.PhaseStartedAt, UpdatedAt: r.UpdatedAt,
		FinishedAt: r.FinishedAt}
}

// followerSyncs is the sync's share of the Service: one job runs at a time.
type followerSyncs struct {
	runMu   sync.Mutex     // held while a job runs (RunFollowerSync)
	running bool           // a background run is under way (guarded by the Service's mu)
	lastDay string         // the Beijing day the daily sync was last started or found started
	wg      sync.WaitGroup // the background run, which Stop waits for
}

// StartFollowerSync starts a sync of mode, or returns the job still running (started false):
// one job at a time. The worker runs it (RunFollowerSync); a restart resumes it.
func (s *Service) StartFollowerSync(ctx context.Context, mode string) (job FollowerSync, started bool, err error) {
	if mode != SyncFull && mode != SyncIncremental {
		return FollowerSync{}, false, fmt.Errorf("%w: sync mode %q", ErrInvalidArgument, mode)
	}
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		var cur followerSyncRow
		err := s.store.db(ctx).Where("finished_at IS NULL").Order("id").Take(&cur).Error
		if err == nil {
			job = cur.job()
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		now := s.now()
		row := followerSyncRow{Mode: mode, Phase: phaseListing, Blacklisted: -1, PhaseStartedAt: now, StartedAt: now, UpdatedAt: now}
		if err := s.store.db(ctx).Create(&row).Error; err != nil {
			return err
		}
		// The listing of an earlier job that failed is of no use to this one.
		if err := s.store.db(ctx).Exec("DELETE FROM follower_listing").Error; err != nil {
			return err
		}
		job, started = row.job(), true
		return nil
	})
	if err != nil {
		return FollowerSync{}, false, fmt.Errorf("models: start follower sync: %w", err)
	}
	if started {
		s.log.Info("follower sync started", "sync_id", job.ID, "mode", mode)
		s.spawnFollowerSync()
	}
	return job, started, nil
}

// LatestFollowerSync is the newest job (ErrNotFound when there has been none).
func (s *Service) LatestFollowerSync(ctx context.Context) (FollowerSync, error) {
	var row followerSyncRow
	if err := s.store.db(ctx).Order("id DESC").Take(&row).Error; err != nil {
		return FollowerSync{}, notFound(err)
	}
	return row.job(), nil
}

// LastFinishedFollowerSync is the newest job that ended well (ErrNotFound when none has).
func (s *Service) LastFinishedFollowerSync(ctx context.Context) (FollowerSync, error) {
	var row followerSyncRow
	if err := s.store.db(ctx).Where("phase = ?", phaseDone).Order("id DESC").Take(&row).Error; err != nil {
		return FollowerSync{}, notFound(err)
	}
	return row.job(), nil
}

// spawnFollowerSync runs the unfinished job in the background, on the worker's context, unless a
// run is under way or the worker is not started (tests call RunFollowerSync themselves).
func (s *Service) spawnFollowerSync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loopCtx == nil || s.syncs.running {
		return
	}
	s.syncs.running = true
	ctx := s.loopCtx
	s.syncs.wg.Add(1)
	go func() {
		defer s.syncs.wg.Done()
		defer func() {
			s.mu.Lock()
			s.syncs.running = false
			s.mu.Unlock()
		}()
		if err := s.RunFollowerSync(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("follower sync failed", "err", redact(err.Error()))
		}
	}()
}

// RunFollowerSync runs the unfinished job (if any) to its end, from where it stopped. A cancelled
// ctx leaves it to resume; a WeChat or database error ends it as failed (error kept).
func (s *Service) RunFollowerSync(ctx context.Context) error {
	s.syncs.runMu.Lock()
	defer s.syncs.runMu.Unlock()
	var row followerSyncRow
	err := s.store.db(ctx).Where("finished_at IS NULL").Order("id").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	restore := s.store.bigCache(ctx)
	defer restore()
	err = s.runSync(ctx, &row)
	if err == nil || ctx.Err() != nil {
		return err
	}
	msg := redact(err.Error())
	now := s.now()
	// A failed job is not resumed: the page's indexes a full sync dropped come back (now, or at
	// the first quiet moment).
	_, uerr := s.buildPageIndexesWhenQuiet(context.WithoutCancel(ctx))
	if uerr == nil {
		uerr = s.store.db(context.WithoutCancel(ctx)).Model(&followerSyncRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"phase": phaseFailed, "error": msg, "finished_at": now, "updated_at": now}).Error
	}
	if uerr != nil {
		return errors.Join(err, uerr)
	}
	return err
}

// followerPageIndexes are the followers table's indexes (migration 14) that a first sync writes
// in random order: the page's by subscription date. The details come in OpenID order and their
// dates do not, so kept up to date commit by commit, each commit rewrites pages all over them (a
// first sync of 1,000,000 followers took 27× the raw insert, against under 5× with them built
// once at the end). So a full sync of an account mostly undescribed drops them at its merge and
// builds them again when its details are in, or when it fails; meanwhile a date filter scans.
// A later full sync keeps them: it writes a follower's date and group only where they changed
// (writeDetails), a few entries. The indexes by group and of the followers still to describe are
// always kept: their entries come and go in OpenID order within a group, a few pages a commit,
// where building them at the end held the only writer a third of a second at 200,000 under load.
var followerPageIndexes = []struct{ name, columns string }{
	{"ix_followers_subscribed_at", "subscribed_at"},
	{"ix_followers_group_date", "group_id, subscribed_at"},
}

func (s *Service) runSync(ctx context.Context, row *followerSyncRow) error {
	for {
		var err error
		switch row.Phase {
		case phaseListing:
			err = s.syncListing(ctx, row)
		case phaseMerging:
			err = s.syncMerge(ctx, row)
		case phaseDetails:
			err = s.syncDetails(ctx, row)
		case phaseBlacklist:
			err = s.syncBlacklist(ctx, row)
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("follower sync %d (%s): %w", row.ID, row.Phase, err)
		}
	}
}

// saveJob writes the job's progress (inside the caller's transaction when ctx carries one).
func (s *Service) saveJob(ctx context.Context, row *followerSyncRow) error {
	row.UpdatedAt = s.now()
	return s.store.db(ctx).Save(row).Error
}

func (s *Service) nextPhase(row *followerSyncRow, phase string) {
	row.Phase = phase
	row.PhaseStartedAt = s.now()
}

// listCommit is how many listed OpenIDs one commit of the listing appends.
const listCommit = 2500

// syncListing fetches user/get pages from the job's cursor; the cursor after a page is committed
// with the page's last OpenIDs, so a restart asks again for at most the page it was on.
func (s *Service) syncListing(ctx context.Context, row *followerSyncRow) error {
	for {
		page, err := s.wx.Followers(ctx, row.Cursor)
		if err != nil {
			return fmt.Errorf("user/get: %w", err)
		}
		// Appended in user/get's order: no index to keep, so a commit writes only the table's last
		// pages (the merge sorts once). All but the page's last listCommit OpenIDs go first, in
		// commits of their own, so the writer is never held for a whole page; a restart that asks
		// for the page again appends those again, and the merge reads the listing as a set.
		ids := page.OpenIDs
		for len(ids) > listCommit {
			part := ids[:listCommit]
			ids = ids[listCommit:]
			err = s.store.rawTx(ctx, func(ctx context.Context, c execer) error {
				return insertIDs(ctx, c, "INSERT INTO follower_listing (open_id) VALUES ", part)
			})
			if err != nil {
				return err
			}
		}
		err = s.store.rawTx(ctx, func(ctx context.Context, c execer) error {
			if err := insertIDs(ctx, c, "INSERT INTO follower_listing (open_id) VALUES ", ids); err != nil {
				return err
			}
			row.Listed += len(page.OpenIDs)
			row.Total = page.Total
			// The end: no cursor, an empty page, or WeChat's total reached (real WeChat gives a
			// cursor on the last page too; one more call would answer an empty page).
			if page.Next == "" || len(page.OpenIDs) == 0 || row.Listed >= page.Total {
				s.nextPhase(row, phaseMerging)
			} else {
				row.Cursor = page.Next
			}
			return s.saveJob(ctx, row)
		})
		if err != nil {
			return err
		}
		if row.Phase != phaseListing {
			return nil
		}
	}
}

// mergeSlice is how many listed OpenIDs one commit of the merge brings in: the merge is the
// sync's largest write, and in one transaction it held the only writer for seconds at 1,000,000
// (every callback and draft save waited behind it); a slice holds it for tens of milliseconds.
const mergeSlice = 10000

// mergedPrefix marks the job's Cursor, during the merge, as the last listed OpenID merged (the
// user/get cursor it held while listing is no longer needed). Without it the merge has not begun.
const mergedPrefix = "merged:"

// syncMerge brings the listing into followers a slice of OpenIDs at a time, each slice and the
// job's progress in one commit, so a restart goes on from the last slice: new OpenIDs inserted,
// returning ones subscribed again (their details fetched again), the ones no longer listed
// unsubscribed. Rows that did not change are not written.
func (s *Service) syncMerge(ctx context.Context, row *followerSyncRow) error {
	if !strings.HasPrefix(row.Cursor, mergedPrefix) {
		// A full sync of an account mostly undescribed (its first) writes every follower's date:
		// the page's date indexes go now and are built again, each in one sort, when the details
		// are in (followerPageIndexes). Counted on a reader, before the writer is taken.
		rebuild := false
		if row.Mode == SyncFull {
			var described int
			if err := s.store.db(ctx).Raw("SELECT COUNT(*) FROM followers WHERE detailed_at IS NOT NULL").Row().Scan(&described); err != nil {
				return err
			}
			rebuild = described < row.Listed/2
		}
		err := s.store.inTx(ctx, func(ctx context.Context) error {
			if rebuild {
				for _, ix := range followerPageIndexes {
					if err := s.store.db(ctx).Exec("DROP INDEX IF EXISTS " + ix.name).Error; err != nil {
						return err
					}
				}
			}
			row.Cursor = mergedPrefix
			row.ToDetail, row.Added, row.Gone = 0, 0, 0
			return s.saveJob(ctx, row)
		})
		if err != nil {
			return err
		}
	}
	// The listing read in OpenID order on a reader: the database sorts it (each OpenID once)
	// without any write transaction open. An index built on the listing in one held the only
	// writer for 0.4 s at 200,000 followers under load, 2 s at 1,000,000, and every draft save
	// and callback waited. The rows stream: the merge holds a slice, not the listing, in memory;
	// a restart reads again from the last slice merged.
	rows, err := s.sortedListing(ctx, strings.TrimPrefix(row.Cursor, mergedPrefix))
	if err != nil {
		return err
	}
	defer rows.Close()
	slice := make([]string, 0, mergeSlice)
	for {
		more := rows.Next()
		if more {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if slice = append(slice, id); len(slice) < mergeSlice {
				continue
			}
		} else if err := rows.Err(); err != nil {
			return err
		}
		last := !more
		if err := s.store.inTx(ctx, func(ctx context.Context) error { return s.mergeSlice(ctx, row, slice, last) }); err != nil {
			return err
		}
		if afterMergeSlice != nil {
			afterMergeSlice()
		}
		if last {
			return nil
		}
		slice = slice[:0]
	}
}

// afterMergeSlice, when set (by tests), runs after each committed slice of the merge.
var afterMergeSlice func()

// sortedListing reads the listing's OpenIDs after lo, each once, in order, on a reader.
func (s *Service) sortedListing(ctx context.Context, lo string) (*sql.Rows, error) {
	return s.store.db(ctx).Raw(`SELECT DISTINCT open_id FROM follower_listing WHERE open_id > ? ORDER BY open_id`, lo).Rows()
}

// mergeSlice merges ids, the listed OpenIDs after the job's cursor in order (mergeSlice of them,
// or fewer for the last slice); the last slice also takes the followers beyond the listing's end,
// empties the listing and ends the phase.
func (s *Service) mergeSlice(ctx context.Context, row *followerSyncRow, ids []string, last bool) error {
	db := s.store.db(ctx)
	d := s.store.dialect
	now := s.now()
	lo := strings.TrimPrefix(row.Cursor, mergedPrefix)
	// The slice is (lo, hi]; the last one is unbounded above ("open_id <= hi" always true).
	rng, args := "open_id > ?", []any{lo}
	if !last {
		rng, args = "open_id > ? AND open_id <= ?", []any{lo, ids[len(ids)-1]}
	}
	set, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	with := func(head ...any) []any { return append(append(head, args...), string(set)) }
	listedSet := "(SELECT value FROM " + d.jsonValues("l") + ")"
	// The departed and the returning first: on a first sync the table is still empty then,
	// and neither statement reads the rows the insert below adds.
	// The returning are found among the few unsubscribed (their partial index).
	back := db.Exec(`UPDATE followers INDEXED BY ix_followers_unsubscribed
		SET subscribed = 1, unsubscribed_at = NULL, detailed_at = NULL, listed_sync = ?, updated_at = ?
		WHERE subscribed = 0 AND `+rng+` AND open_id IN `+listedSet, with(row.ID, now)...)
	if back.Error != nil {
		return back.Error
	}
	gone := db.Exec(`UPDATE followers SET subscribed = 0, unsubscribed_at = ?, updated_at = ?
		WHERE subscribed = 1 AND `+rng+` AND open_id NOT IN `+listedSet, with(now, now)...)
	if gone.Error != nil {
		return gone.Error
	}
	// OR IGNORE skips the followers already known (one primary-key probe each, the insert's
	// own); RowsAffected counts only the new. The ids come in order: appended to the key.
	ins := db.Exec(`INSERT OR IGNORE INTO followers (open_id, subscribed, listed_sync, updated_at)
		SELECT l.value, 1, `+d.param("BIGINT")+`, `+d.param("TIMESTAMPTZ")+` FROM `+d.jsonValues("l")+` ORDER BY l.value`,
		row.ID, now, string(set))
	if ins.Error != nil {
		return ins.Error
	}
	row.Added += int(ins.RowsAffected + back.RowsAffected)
	row.Gone += int(gone.RowsAffected)
	if row.Mode == SyncFull {
		row.ToDetail += len(ids) // a full sync describes exactly the listed
	}
	if !last {
		row.Cursor = mergedPrefix + ids[len(ids)-1]
		return s.saveJob(ctx, row)
	}
	if row.Mode == SyncIncremental {
		// An incremental sync describes those subscribed and never described.
		if err := db.Raw("SELECT COUNT(*) FROM followers INDEXED BY ix_followers_undetailed WHERE detailed_at IS NULL AND subscribed = 1").
			Row().Scan(&row.ToDetail); err != nil {
			return err
		}
	}
	// Earlier merges sorted the listing with an index (ix_follower_listing) and dropped it at
	// their end: one left by a merge an upgrade interrupted would slow every later listing.
	if err := db.Exec("DROP INDEX IF EXISTS ix_follower_listing").Error; err != nil {
		return err
	}
	if err := db.Exec("DELETE FROM follower_listing").Error; err != nil {
		return err
	}
	row.Cursor = ""
	s.nextPhase(row, phaseDetails)
	return s.saveJob(ctx, row)
}

// detailChunk is how many followers one commit of the details phase describes (a user/get
// page's worth: fewer, larger commits write each index page once); detailCalls is
// how many batchget calls are in flight at once.
const (
	detailChunk    = 10000
	maxDetailChunk = 50000
	detailCalls    = 4
	batchgetMax    = 100
	detailCommit   = 500
)

// syncDetails describes the followers after the job's detail cursor, a chunk at a time: the
// chunk's batchget calls in parallel, then its rows, tags and the cursor in one commit.
func (s *Service) syncDetails(ctx context.Context, row *followerSyncRow) error {
	// Without the date indexes (a first sync dropped them) one statement writes it all.
	datesIndexed, err := s.store.indexExists(ctx, followerPageIndexes[0].name)
	if err != nil {
		return err
	}
	for {
		var ids []string
		table := "followers"
		if row.Mode == SyncIncremental {
			table = "followers INDEXED BY ix_followers_undetailed"
		}
		q := s.store.db(ctx).Table(table).Select("open_id").Where("subscribed = 1 AND open_id > ?", row.DetailCursor).
			Order("open_id").Limit(detailChunkFor(row.Total))
		if row.Mode == SyncIncremental {
			q = q.Where("detailed_at IS NULL")
		}
		if err := q.Pluck("open_id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			if _, err := s.buildPageIndexesWhenQuiet(ctx); err != nil {
				return err
			}
			return s.store.inTx(ctx, func(ctx context.Context) error {
				s.nextPhase(row, phaseBlacklist)
				return s.saveJob(ctx, row)
			})
		}
		infos, err := s.fetchDetails(ctx, ids)
		if err != nil {
			return err
		}
		// Written detailCommit followers a commit (the cursor with each): a chunk in one commit
		// held the only writer for a second or more under load.
		byID := make(map[string][]FollowerInfo, len(infos))
		for _, in := range infos {
			byID[in.OpenID] = append(byID[in.OpenID], in)
		}
		for start := 0; start < len(ids); start += detailCommit {
			part := ids[start:min(start+detailCommit, len(ids))]
			var some []FollowerInfo
			for _, id := range part {
				some = append(some, byID[id]...)
			}
			err = s.store.rawTx(ctx, func(ctx context.Context, c execer) error {
				if err := s.writeDetails(ctx, c, some, row.ID, row.Mode == SyncFull, datesIndexed); err != nil {
					return err
				}
				row.Detailed += len(part)
				row.DetailCursor = part[len(part)-1]
				return s.saveJob(ctx, row)
			})
			if err != nil {
				return err
			}
		}
	}
}

// detailChunkFor is the chunk for a sync of total followers: detailChunk, or a twentieth of a
// large account (at most maxDetailChunk), so the bar still moves in steps of 5% while a big sync
// rewrites each index page fewer times (one commit per chunk).
func detailChunkFor(total int) int {
	return min(max(detailChunk, total/20), maxDetailChunk)
}

// fetchDetails calls batchget for ids, 100 at a time, detailCalls calls in flight.
func (s *Service) fetchDetails(ctx context.Context, ids []string) ([]FollowerInfo, error) {
	n := (len(ids) + batchgetMax - 1) / batchgetMax
	parts := make([][]FollowerInfo, n)
	errs := make([]error, n)
	sem := make(chan struct{}, detailCalls)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			part := ids[i*batchgetMax : min((i+1)*batchgetMax, len(ids))]
			parts[i], errs[i] = s.wx.FollowerDetails(ctx, part)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("user/info/batchget: %w", err)
	}
	out := make([]FollowerInfo, 0, len(ids))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// writeDetails stores what batchget said: one UPDATE … FROM (VALUES …) per few hundred followers
// (two when the date indexes are there), their tags replaced. Followers batchget calls
// unsubscribed are marked so.
func (s *Service) writeDetails(ctx context.Context, c execer, infos []FollowerInfo, syncID uint, full, datesIndexed bool) error {
	now := s.now().Truncate(time.Second)
	var subs, gone []FollowerInfo
	for _, in := range infos {
		if in.Subscribed {
			subs = append(subs, in)
		} else {
			gone = append(gone, in)
		}
	}
	d := s.store.dialect
	listed := ""
	if full {
		listed = ", listed_sync = v.column8"
	}
	// PostgreSQL types a VALUES list's columns from its rows: the parameters say theirs.
	valuesRow := "(?," + d.param("TIMESTAMPTZ") + "," + d.param("BIGINT") + ",?,?,?," + d.param("TIMESTAMPTZ") + "," + d.param("BIGINT") + ")"
	const per = 500
	for start := 0; start < len(subs); start += per {
		part := subs[start:min(start+per, len(subs))]
		var values strings.Builder
		args := make([]any, 0, len(part)*8)
		for i, in := range part {
			if i > 0 {
				values.WriteByte(',')
			}
			values.WriteString(valuesRow)
			var at any
			if !in.SubscribeTime.IsZero() {
				at = in.SubscribeTime.UTC().Truncate(time.Second)
			}
			args = append(args, in.OpenID, at, in.GroupID, in.Language, in.Remark, in.Scene, now, syncID)
		}
		// The date and the group are written only where they changed (or were never written):
		// they are in the page's date indexes (when not dropped for a first sync), whose entries would otherwise be rewritten for every
		// follower, all over the index (what lets a full sync of an account already described keep
		// those indexes). Each follower is updated by one of the two statements: the unchanged
		// first, as the other statement's update would make its rows look unchanged.
		rest := "subscribed = 1, unsubscribed_at = NULL, language = v.column4, remark = v.column5, scene = v.column6, " +
			"detailed_at = v.column7, updated_at = v.column7" + listed
		from := " FROM (VALUES " + values.String() + ") AS v WHERE followers.open_id = v.column1 AND "
		moved := "(followers.detailed_at IS NULL OR followers.subscribed_at IS DISTINCT FROM v.column2 OR followers.group_id IS DISTINCT FROM v.column3)"
		stmts := []string{
			"UPDATE followers SET " + rest + from + "NOT " + moved,
			"UPDATE followers SET subscribed_at = v.column2, group_id = v.column3, " + rest + from + moved,
		}
		if !datesIndexed {
			stmts = []string{"UPDATE followers SET subscribed_at = v.column2, group_id = v.column3, " + rest + from + "TRUE"}
		}
		for _, q := range stmts {
			if _, err := c.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
	}
	// Tags: the described followers' rows replaced by what batchget says.
	ids := make([]string, len(subs))
	var tagArgs []any
	for i, in := range subs {
		ids[i] = in.OpenID
		for _, t := range in.TagIDs {
			tagArgs = append(tagArgs, t, in.OpenID)
		}
	}
	for start := 0; start < len(ids); start += per {
		part := ids[start:min(start+per, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM follower_tags WHERE open_id IN ("+placeholders(len(part))+")", args...); err != nil {
			return err
		}
	}
	for start := 0; start < len(tagArgs); start += 2 * per {
		part := tagArgs[start:min(start+2*per, len(tagArgs))]
		q := "INSERT OR IGNORE INTO follower_tags (tag_id, open_id) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?),", len(part)/2), ",")
		if _, err := c.ExecContext(ctx, q, part...); err != nil {
			return err
		}
	}
	for _, in := range gone {
		if _, err := c.ExecContext(ctx, `UPDATE followers SET subscribed = 0, unsubscribed_at = COALESCE(unsubscribed_at, ?),
				detailed_at = ?, updated_at = ? WHERE open_id = ?`, now, now, now, in.OpenID); err != nil {
			return err
		}
	}
	return nil
}

// syncBlacklist reads every getblacklist page and marks followers.blacklisted to match. A failure
// (an account whose API does not know the endpoint, a network error) leaves blacklisted as it was:
// logged, not fatal.
func (s *Service) syncBlacklist(ctx context.Context, row *followerSyncRow) error {
	var list []string
	next, err := "", error(nil)
	for {
		var page FollowerPage
		page, err = s.wx.Blacklist(ctx, next)
		if err != nil {
			break
		}
		list = append(list, page.OpenIDs...)
		if page.Next == "" || len(page.OpenIDs) == 0 {
			break
		}
		next = page.Next
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err = s.store.rawTx(ctx, func(ctx context.Context, c execer) error {
		if err != nil {
			s.log.Warn("getblacklist failed; the blacklist stays as it was", "sync_id", row.ID, "err", redact(err.Error()))
			row.Blacklisted = -1
			return nil
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM follower_listing"); err != nil {
			return err
		}
		if err := insertIDs(ctx, c, "INSERT INTO follower_listing (open_id) VALUES ", list); err != nil {
			return err
		}
		now := s.now()
		if _, err := c.ExecContext(ctx, `UPDATE followers SET blacklisted = 0, updated_at = ?
			WHERE blacklisted = 1 AND open_id NOT IN (SELECT open_id FROM follower_listing)`, now); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `UPDATE followers SET blacklisted = 1, updated_at = ?
			WHERE blacklisted = 0 AND open_id IN (SELECT open_id FROM follower_listing)`, now); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM follower_listing"); err != nil {
			return err
		}
		row.Blacklisted = len(list)
		return nil
	})
	if err != nil {
		return err
	}
	// Counted outside any write transaction (a read of the committed table: the sync is its only
	// bulk writer), so the writer is held only to store the few count rows: counting in the
	// commit held it for a quarter of a second at 200,000 followers under load.
	counts, err := s.store.followerCounts(ctx)
	if err != nil {
		return err
	}
	return s.store.rawTx(ctx, func(ctx context.Context, c execer) error {
		if err := writeFollowerCounts(ctx, c, counts); err != nil {
			return err
		}
		// ANALYZE keeps the page's planner informed of the table's new shape (cheap: a sample).
		analyze := "PRAGMA analysis_limit = 1000; ANALYZE followers; ANALYZE follower_tags"
		if s.store.dialect == dialectPostgres {
			analyze = "ANALYZE followers, follower_tags"
		}
		if _, err := c.ExecContext(ctx, analyze); err != nil {
			return err
		}
		now := s.now()
		row.FinishedAt = &now
		s.nextPhase(row, phaseDone)
		s.log.Info("follower sync finished", "sync_id", row.ID, "mode", row.Mode, "listed", row.Listed,
			"added", row.Added, "gone", row.Gone, "detailed", row.Detailed, "blacklisted", row.Blacklisted)
		return s.saveJob(ctx, row)
	})
}

// followerCount is one row of follower_counts: subscribed followers of a group or a tag.
type followerCount struct {
	Kind  string
	ID    int64
	Count int
}

// followerCounts counts subscribed followers per group and per tag (index-only: the followers
// who left come from their partial index, unsubscribedSet).
func (st *Store) followerCounts(ctx context.Context) ([]followerCount, error) {
	var out []followerCount
	err := st.db(ctx).Raw(`SELECT 'group' AS kind, group_id AS id, COUNT(*) AS count FROM followers INDEXED BY ix_followers_group
			WHERE open_id NOT IN ` + unsubscribedSet + ` GROUP BY group_id
		UNION ALL
		SELECT 'tag', tag_id, COUNT(*) FROM follower_tags WHERE open_id NOT IN ` + unsubscribedSet + ` GROUP BY tag_id`).
		Scan(&out).Error
	return out, err
}

// writeFollowerCounts replaces follower_counts with counts.
func writeFollowerCounts(ctx context.Context, c execer, counts []followerCount) error {
	if _, err := c.ExecContext(ctx, "DELETE FROM follower_counts"); err != nil {
		return err
	}
	const per = 300
	for start := 0; start < len(counts); start += per {
		part := counts[start:min(start+per, len(counts))]
		args := make([]any, 0, 3*len(part))
		for _, n := range part {
			args = append(args, n.Kind, n.ID, n.Count)
		}
		q := "INSERT INTO follower_counts (kind, id, count) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?),", len(part)), ",")
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// execer is the raw connection of a write transaction: the sync's bulk statements skip GORM's
// statement building (a million rows in a few thousand statements).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertIDs inserts ids with prefix ("INSERT … VALUES ") in statements of 500 rows.
func insertIDs(ctx context.Context, c execer, prefix string, ids []string) error {
	const per = 500
	for start := 0; start < len(ids); start += per {
		part := ids[start:min(start+per, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if _, err := c.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat("(?),", len(part)), ","), args...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
