package models

import (
	"context"
	"log/slog"
	"qunfa/wechat/protocol"
	"sync"
	"sync/atomic"
	"time"
)

// Beijing is WeChat's clock for daily quotas and monthly caps.
var Beijing = protocol.Beijing

// Rules are WeChat's limits as this deployment applies them, plus the worker's pacing.
// Zero values take the defaults noted on each field.
type Rules struct {
	DailyQuota int              // advanced calls a Beijing day, uploads included (default 10)
	MonthlyCap int              // mass messages a follower receives a month (default 4)
	Now        func() time.Time // default time.Now

	PollInterval   time.Duration // worker tick (default 5 s)
	MaxAttempts    int           // transient failures before a send is marked failed (default 5)
	RetryBackoff   time.Duration // first retry delay, doubled each time (default 10 s)
	ReconcileAfter time.Duration // ask mass/get about a submitted batch with no callback after this (default 10 min)
}

func (r Rules) withDefaults() Rules {
	if r.DailyQuota <= 0 {
		r.DailyQuota = 10
	}
	if r.MonthlyCap <= 0 {
		r.MonthlyCap = 4
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.PollInterval <= 0 {
		r.PollInterval = 5 * time.Second
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 5
	}
	if r.RetryBackoff <= 0 {
		r.RetryBackoff = 10 * time.Second
	}
	if r.ReconcileAfter <= 0 {
		r.ReconcileAfter = 10 * time.Minute
	}
	return r
}

// Service holds the domain workflows: drafts, planning, the send pipeline and callback ingestion.
type Service struct {
	store *Store
	wx    WeChat
	rules Rules
	log   *slog.Logger

	wake chan struct{}

	// runMu makes worker passes exclusive, so RunOnce from a test and the background loop never
	// process the same send at the same time.
	runMu sync.Mutex
	// uploadMu serialises uploads (worker and previews), so no thumb or news is uploaded twice.
	uploadMu sync.Mutex
	pipe     pipelineStore // the send pipeline's rows (pipeline_store.go)
	// deleteMu serialises DeleteSend so two clicks never delete (and spend quota) twice.
	deleteMu sync.Mutex
	// jobs writes MASSSENDJOBFINISH pushes in groups and remembers the recent ones (jobs.go).
	jobs jobLedger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	// loopCtx is the worker's context while it runs (nil before Start): the follower sync runs
	// on it in the background (follower_sync.go).
	loopCtx context.Context
	syncs   followerSyncs
	// lastWrite is when the last write request came (unix ns); indexesMissingSince when the
	// page's date indexes were first found missing (0: there); indexesPending that the worker
	// should look (page_indexes.go).
	lastWrite           atomic.Int64
	indexesMissingSince atomic.Int64
	indexesPending      atomic.Bool
	ustats              userStatsState    // the daily fetch of WeChat's user analytics (user_stats.go)
	stats               articleStatsState // the daily reading-statistics fetch (article_stats.go)
}

// NewService wires the store, the WeChat client and the rules. log may be nil.
func NewService(store *Store, wx WeChat, rules Rules, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		store: store,
		wx:    wx,
		rules: rules.withDefaults(),
		log:   log,
		wake:  make(chan struct{}, 1),
	}
	s.pipe = sqlPipeline{st: store, now: s.now}
	s.indexesPending.Store(true) // a sync the last run left may have left them to build
	return s
}

// Rules returns the effective rules (defaults filled in).
func (s *Service) Rules() Rules { return s.rules }

func (s *Service) now() time.Time { return s.rules.Now().UTC() }

// Start runs the background worker: queued sends, sends interrupted by a restart, retries and
// reconciliation. Calling Start twice is a no-op.
func (s *Service) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.loopCtx = ctx
	s.done = make(chan struct{})
	go s.loop(ctx, s.done)
}

// Stop stops the worker and waits for the current pass to end.
func (s *Service) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done, s.loopCtx = nil, nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	s.syncs.wg.Wait() // a background follower sync stops with the worker's context
}

func (s *Service) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(s.rules.PollInterval)
	defer t.Stop()
	lastCleanup, lastQuotaSync := time.Time{}, time.Time{}
	for {
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("send worker pass failed", "err", err)
		}
		if time.Since(lastQuotaSync) > quotaSyncInterval {
			lastQuotaSync = time.Now()
			// WeChat's own count per interface, where the account reports it (reads, not counted).
			if _, err := s.SyncQuota(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("quota/get failed; the local count stands", "err", redact(err.Error()))
			}
		}
		// An unfinished follower sync (a restart, a start from the page) runs beside the sends;
		// the daily incremental one starts once a Beijing day when the setting is on.
		s.followerSyncTick(ctx)
		s.userStatsTick(ctx)    // WeChat's user analytics for the overview, once published
		s.articleStatsTick(ctx) // WeChat's reading statistics, once a day (article_stats.go)
		if time.Since(lastCleanup) > time.Hour {
			lastCleanup = time.Now()
			if n, err := s.store.Sessions().DeleteExpired(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("session cleanup failed", "err", err)
			} else if n > 0 {
				s.log.Info("expired sessions removed", "count", n)
			}
			if n, err := s.store.DeleteOrphanImages(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.log.Error("image cleanup failed", "err", err)
			} else if n > 0 {
				s.log.Info("unused images removed", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// quotaSyncInterval is how often the worker asks WeChat for its count of each interface's quota.
const quotaSyncInterval = 15 * time.Minute

// notify wakes the worker without blocking.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
