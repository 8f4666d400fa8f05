package models

import (
	"context"
	"time"
)

// Building one of the page's date indexes (followerPageIndexes, dropped by a first sync) is one
// sort that holds SQLite's only writer for about half a second at 200,000 followers, two seconds
// at 1,000,000: every draft save and callback arriving meanwhile waits that long. So they are
// built at a quiet moment: when no write request (an operator's POST, a WeChat push) has come for
// indexQuiet, or once they have waited indexMaxDefer whatever the traffic. Until then the
// followers page's date filters, the catch-up and dated audiences scan instead: right, slower.
var (
	indexQuiet    = 3 * time.Second
	indexMaxDefer = 10 * time.Minute
)

// NoteWriteRequest records that a write request arrived (the handlers call it for every POST).
func (s *Service) NoteWriteRequest() { s.lastWrite.Store(time.Now().UnixNano()) }

// Quiet reports whether no write request has come for the last few seconds (indexQuiet).
func (s *Service) Quiet() bool {
	return time.Since(time.Unix(0, s.lastWrite.Load())) >= indexQuiet
}

// buildPageIndexesWhenQuiet builds the page's indexes that are missing, if it is quiet or they
// have waited long enough, and reports whether they are all there. When it defers, the worker
// tries again at each tick (pageIndexTick).
func (s *Service) buildPageIndexesWhenQuiet(ctx context.Context) (bool, error) {
	var missing []int
	for i, ix := range followerPageIndexes {
		ok, err := s.store.indexExists(ctx, ix.name)
		if err != nil {
			return false, err
		}
		if !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		s.indexesMissingSince.Store(0)
		return true, nil
	}
	since := s.indexesMissingSince.Load()
	if since == 0 {
		since = time.Now().UnixNano()
		s.indexesMissingSince.Store(since)
	}
	due := func() bool { return s.Quiet() || time.Since(time.Unix(0, since)) >= indexMaxDefer }
	// Each in its own commit, due checked before each: the writer is held for one index's sort
	// at a time.
	for _, i := range missing {
		if !due() {
			if !s.indexesPending.Swap(true) {
				s.log.Info("page indexes wait for a quiet moment", "missing", len(missing))
			}
			return false, nil
		}
		ix := followerPageIndexes[i]
		start := time.Now()
		if err := s.store.db(ctx).Exec("CREATE INDEX IF NOT EXISTS " + ix.name + " ON followers (" + ix.columns + ")").Error; err != nil {
			return false, err
		}
		s.log.Info("page index built", "index", ix.name, "took", time.Since(start).Round(time.Millisecond))
	}
	s.indexesMissingSince.Store(0)
	return true, nil
}

// pageIndexTick builds the page's indexes a sync left for a quiet moment, once no sync runs (a
// running first sync dropped them on purpose). It looks at the schema only while some may be
// missing: after a start, and after a sync that left them.
func (s *Service) pageIndexTick(ctx context.Context, syncOpen bool) {
	if syncOpen || !s.indexesPending.Load() {
		return
	}
	done, err := s.buildPageIndexesWhenQuiet(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("page index build failed", "err", err)
		}
		return
	}
	if done {
		s.indexesPending.Store(false)
	}
}
