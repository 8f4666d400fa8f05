package models

import (
	"context"
	"fmt"
	"sync"
)

// jobLedger is the callback path's memory: pushes waiting to be written, written together in one
// transaction (group commit), and the outcomes recorded lately, so that WeChat's repeats of a push
// are answered without the database.
//
// Group commit without a goroutine of its own: the push that finds no write under way writes
// every push queued so far; the pushes queued during that write wait, and the first of them then
// writes them all; each push waits for its own result. A group whose transaction fails is written again one push per transaction, so
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
	done      chan struct{} // closed once written (or failed)
	lead      chan struct{} // closed when this waiting push is to write the queue itself
}

// record writes ev, with any other pushes waiting, and returns its own result. The push that
// writes a group answers as soon as its own group is written: the queue that built up meanwhile
// is handed to the first push in it, so no push waits behind more than one group of others.
func (l *jobLedger) record(s *Service, ctx context.Context, ev JobFinished) *jobWrite {
	w := &jobWrite{ev: ev, done: make(chan struct{}), lead: make(chan struct{})}
	l.mu.Lock()
	l.pending = append(l.pending, w)
	if l.writing {
		l.mu.Unlock()
		select {
		case <-w.done:
			return w
		case <-w.lead:
		}
		l.mu.Lock()
	}
	l.writing = true
	group := l.pending // w among them
	l.pending = nil
	l.mu.Unlock()
	// The group's writes belong to every push in it: one client hanging up cancels none.
	l.write(s, context.WithoutCancel(ctx), group)
	l.mu.Lock()
	if len(l.pending) > 0 {
		close(l.pending[0].lead) // still writing: the next group is that push's to write
	} else {
		l.writing = false
	}
	l.mu.Unlock()
	return w
}

// write commits a group in one transaction, or, should that fail, each push in its own. Every
// push of the group has its result when it returns, whatever happened (a panic included: the
// ledger must never be left waiting for a writer that is gone).
func (l *jobLedger) write(s *Service, ctx context.Context, group []*jobWrite) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("recording MASSSENDJOBFINISH pushes panicked", "pushes", len(group), "panic", p)
			for _, w := range group {
				w.duplicate, w.err = false, fmt.Errorf("models: recording the push failed: %v", p)
			}
		}
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
