package models

import (
	"context"
	"sync"
)

// jobLedger is the callback path's memory: pushes waiting to be written, written together in one
// transaction (group commit), and the outcomes recorded lately, so that WeChat's repeats of a push
// are answered without the database.
//
// Group commit without a goroutine of its own: the push that finds no write under way writes
// every push queued meanwhile, then those queued during that write, and so on; the others wait
// for their result. A group whose transaction fails is written again one push per transaction, so
// one bad push never costs the others theirs.
type jobLedger struct {
	mu      sync.Mutex
	pending []*jobWrite
	writing bool

	recentMu sync.Mutex
	recent   map[int64]JobFinished // msg_id → the report recorded for it (never changes)
	order    []int64               // recent's keys, oldest first
}

// recentJobs bounds the memory of recorded outcomes (a few KB each at most).
const recentJobs = 4096

// jobWrite is one push waiting to be written.
type jobWrite struct {
	ev        JobFinished
	duplicate bool
	err       error
	done      chan struct{}
}

// record writes ev, with any other pushes waiting, and returns its own result.
func (l *jobLedger) record(s *Service, ctx context.Context, ev JobFinished) *jobWrite {
	w := &jobWrite{ev: ev, done: make(chan struct{})}
	l.mu.Lock()
	l.pending = append(l.pending, w)
	if l.writing {
		l.mu.Unlock()
		<-w.done
		return w
	}
	l.writing = true
	for len(l.pending) > 0 {
		group := l.pending
		l.pending = nil
		l.mu.Unlock()
		// The group's writes belong to every push in it: one client hanging up cancels none.
		l.write(s, context.WithoutCancel(ctx), group)
		l.mu.Lock()
	}
	l.writing = false
	l.mu.Unlock()
	return w
}

// write commits a group in one transaction, or, should that fail, each push in its own.
func (l *jobLedger) write(s *Service, ctx context.Context, group []*jobWrite) {
	defer func() {
		for _, w := range group {
			if w.err == nil && !w.duplicate {
				l.remember(w.ev)
			}
			close(w.done)
		}
	}()
	if len(group) > 1 {
		err := s.pipe.Tx(ctx, func(ctx context.Context) error {
			for _, w := range group {
				var err error
				if w.duplicate, err = s.recordJob(ctx, w.ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return
		}
		s.log.Warn("a group of MASSSENDJOBFINISH pushes failed together; writing them one by one", "pushes", len(group), "err", err)
	}
	for _, w := range group {
		w.duplicate = false
		w.err = s.pipe.Tx(ctx, func(ctx context.Context) error {
			var err error
			w.duplicate, err = s.recordJob(ctx, w.ev)
			return err
		})
	}
}

// remember keeps the outcome recorded for a msg_id. A duplicate's own figures are not the
// recorded ones, so only the first report is kept (readers compare with it).
func (l *jobLedger) remember(ev JobFinished) {
	l.recentMu.Lock()
	defer l.recentMu.Unlock()
	if l.recent == nil {
		l.recent = make(map[int64]JobFinished, recentJobs)
	}
	if _, ok := l.recent[ev.MsgID]; ok {
		return
	}
	if len(l.order) >= recentJobs {
		delete(l.recent, l.order[0])
		l.order = l.order[1:]
	}
	ev.Raw = nil
	l.recent[ev.MsgID] = ev
	l.order = append(l.order, ev.MsgID)
}

// recalled returns the outcome recorded lately for msgID, if it is remembered.
func (l *jobLedger) recalled(msgID int64) (JobFinished, bool) {
	l.recentMu.Lock()
	defer l.recentMu.Unlock()
	ev, ok := l.recent[msgID]
	return ev, ok
}
