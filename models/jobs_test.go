package models

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// groupPipe counts transactions and can hold the first one until the other pushes have queued,
// or refuse the push of one msg_id.
type groupPipe struct {
	pipelineStore
	txs        atomic.Int32
	holdOnce   sync.Once
	hold       func()
	badMsgID   int64
	panicMsgID int64
	// beforeTx, when set, runs before transaction number n (1-based).
	beforeTx func(n int32)
}

func (p *groupPipe) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	n := p.txs.Add(1)
	if p.beforeTx != nil {
		p.beforeTx(n)
	}
	if p.hold != nil {
		p.holdOnce.Do(p.hold)
	}
	return p.pipelineStore.Tx(ctx, fn)
}

func (p *groupPipe) RecordJobEvent(ctx context.Context, row callbackEventRow) (bool, error) {
	if row.MsgID == p.badMsgID {
		return false, errors.New("disk full")
	}
	if row.MsgID == p.panicMsgID {
		panic("a bug")
	}
	return p.pipelineStore.RecordJobEvent(ctx, row)
}

// pushConcurrently records one push per msg_id (ids listed twice are pushed twice) at once, the
// first one held in its transaction until all the others wait; it returns each push's result.
func pushConcurrently(t *testing.T, f *fixture, p *groupPipe, ids []int64) ([]bool, []error) {
	t.Helper()
	p.hold = func() { waitPending(f, len(ids)-1) }
	dups, errs := make([]bool, len(ids)), make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			dups[i], errs[i] = f.svc.RecordJobFinished(context.Background(), JobFinished{MsgID: id, Status: "send success", Total: 10, Sent: 9, Error: 1})
		})
	}
	wg.Wait()
	return dups, errs
}

// TestPushesArrivingTogetherAreWrittenTogether: pushes that queue while one is being written go
// into one transaction, each still recorded once with its own answer.
func TestPushesArrivingTogetherAreWrittenTogether(t *testing.T) {
	f := newFixture(t)
	p := &groupPipe{pipelineStore: f.svc.pipe}
	f.svc.pipe = p
	ids := []int64{101, 102, 103, 104, 105, 106, 107, 108, 103}
	dups, errs := pushConcurrently(t, f, p, ids)
	if n := p.txs.Load(); n != 2 {
		t.Fatalf("%d transactions for %d pushes, want 2 (the first, then the rest together)", n, len(ids))
	}
	firsts := map[int64]int{}
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("push %d: %v", id, errs[i])
		}
		if !dups[i] {
			firsts[id]++
		}
	}
	for _, id := range ids {
		if firsts[id] != 1 {
			t.Errorf("msg_id %d recorded as new %d times, want once", id, firsts[id])
		}
	}
	if n, _ := f.store.CountEvents(context.Background(), EventMassSendJobFinish); n != 8 {
		t.Errorf("%d events stored, want 8", n)
	}
}

// TestOneBadPushDoesNotFailTheOthers: a group whose transaction fails is written again one push
// at a time; only the bad push fails.
func TestOneBadPushDoesNotFailTheOthers(t *testing.T) {
	f := newFixture(t)
	p := &groupPipe{pipelineStore: f.svc.pipe, badMsgID: 203}
	f.svc.pipe = p
	ids := []int64{201, 202, 203, 204, 205}
	_, errs := pushConcurrently(t, f, p, ids)
	for i, id := range ids {
		if (errs[i] != nil) != (id == 203) {
			t.Errorf("push %d: err %v", id, errs[i])
		}
	}
	if n, _ := f.store.CountEvents(context.Background(), EventMassSendJobFinish); n != 4 {
		t.Errorf("%d events stored, want the 4 good ones", n)
	}
}

// TestRecordedOutcomeIsRemembered: a push WeChat repeats is answered from memory; the database
// is asked only for a msg_id not remembered (another instance's, or before a restart).
func TestRecordedOutcomeIsRemembered(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ev := JobFinished{MsgID: 301, Status: "send success", Total: 5, Filter: 5, Sent: 5, ArticleURLs: []string{"https://mp.weixin.qq.com/s/x"}}
	if _, err := f.svc.RecordJobFinished(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := f.store.gdb.Exec("DELETE FROM callback_events").Error; err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.svc.JobFinishedRecorded(ctx, 301)
	if err != nil || !ok || !got.SameOutcome(ev) {
		t.Fatalf("JobFinishedRecorded(301) = %+v, %v, %v; want the remembered report", got, ok, err)
	}
	// A fresh service (a restart) reads it from the database, and remembers it then.
	if _, err := f.svc.RecordJobFinished(ctx, ev); err != nil { // stored again after the DELETE
		t.Fatal(err)
	}
	fresh := f.newService(f.store)
	if got, ok, err := fresh.JobFinishedRecorded(ctx, 301); err != nil || !ok || !got.SameOutcome(ev) {
		t.Fatalf("after a restart: %+v, %v, %v", got, ok, err)
	}
	if _, ok := fresh.jobs.recalled(301); !ok {
		t.Error("a report read from the database is not remembered")
	}
}

// TestWriterAnswersBeforeTheNextGroup: the push that wrote a group answers before the pushes
// queued meanwhile are written (the first of them writes them), so a stream of pushes never keeps
// one waiting past WeChat's 5 s.
func TestWriterAnswersBeforeTheNextGroup(t *testing.T) {
	f := newFixture(t)
	firstAnswered := make(chan struct{})
	p := &groupPipe{pipelineStore: f.svc.pipe}
	p.beforeTx = func(n int32) {
		if n == 2 {
			<-firstAnswered // the second group waits until the first push has its answer
		}
	}
	f.svc.pipe = p
	ids := []int64{401, 402, 403, 404}
	p.hold = func() { waitPending(f, len(ids)-1) }
	errs := make(chan error, len(ids))
	go func() {
		_, err := f.svc.RecordJobFinished(context.Background(), JobFinished{MsgID: ids[0], Status: "send success"})
		close(firstAnswered)
		errs <- err
	}()
	for { // the first push is writing (held in its transaction) before the others queue
		f.svc.jobs.mu.Lock()
		writing := f.svc.jobs.writing
		f.svc.jobs.mu.Unlock()
		if writing {
			break
		}
		runtime.Gosched()
	}
	for _, id := range ids[1:] {
		go func() {
			_, err := f.svc.RecordJobFinished(context.Background(), JobFinished{MsgID: id, Status: "send success"})
			errs <- err
		}()
	}
	timeout := time.After(10 * time.Second)
	for range ids {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("pushes still waiting after 10 s: the first push's writer kept writing the others' group")
		}
	}
}

// TestPanicWhileWritingLeavesTheLedgerUsable: a push whose write panics gets an error, and the
// pushes after it are still written (nobody waits forever for a writer that is gone).
func TestPanicWhileWritingLeavesTheLedgerUsable(t *testing.T) {
	f := newFixture(t)
	p := &groupPipe{pipelineStore: f.svc.pipe, panicMsgID: 501}
	f.svc.pipe = p
	if _, err := f.svc.RecordJobFinished(context.Background(), JobFinished{MsgID: 501, Status: "send success"}); err == nil {
		t.Fatal("a push whose write panicked was answered without an error")
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.RecordJobFinished(context.Background(), JobFinished{MsgID: 502, Status: "send success"})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the next push waits forever after a panic")
	}
}

// waitPending waits until n pushes are queued behind the one being written.
func waitPending(f *fixture, n int) {
	for {
		f.svc.jobs.mu.Lock()
		queued := len(f.svc.jobs.pending)
		f.svc.jobs.mu.Unlock()
		if queued == n {
			return
		}
		runtime.Gosched()
	}
}
