package models

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qunfa/wechat"
)

// Several instances on one PostgreSQL database (QUNFA_TEST_POSTGRES; skipped without it): two
// Stores and two Services stand for two processes behind a load balancer.

// slowWeChat makes each upload take a while, so two workers carrying one send would overlap.
type slowWeChat struct{ *fakeWeChat }

func (s slowWeChat) UploadNews(ctx context.Context, arts []NewsArticle) (string, error) {
	time.Sleep(40 * time.Millisecond)
	return s.fakeWeChat.UploadNews(ctx, arts)
}

// twoInstances opens two stores on one fresh database, with one service each sharing the fake
// WeChat and the clock; the fixture is instance A.
func twoInstances(t *testing.T) (f *fixture, b *Service, stB *Store) {
	t.Helper()
	url := newPostgresDB(t)
	f = &fixture{path: url, wx: newFakeWeChat(), clock: &testClock{t: time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)}}
	open := func() *Store {
		st, err := Open(url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	f.store, stB = open(), open()
	newSvc := func(st *Store) *Service {
		return NewService(st, slowWeChat{f.wx}, Rules{DailyQuota: 100, Now: f.clock.Now, RetryBackoff: time.Second,
			MaxAttempts: 3, ReconcileAfter: 10 * time.Minute}, nil)
	}
	f.svc = newSvc(f.store)
	return f, newSvc(stB), stB
}

func TestTwoInstancesSubmitEachSendOnce(t *testing.T) {
	f, b, _ := twoInstances(t)
	oneSubmissionPerSend(t, f, b)
}

// Two services on one SQLite store (one process): the claims in memory keep each send to one.
func TestTwoWorkersOnOneSQLiteStoreSubmitEachSendOnce(t *testing.T) {
	skipOnPostgres(t, "the SQLite store's claims in memory")
	f := newFixture(t)
	slow := func(st *Store) *Service {
		return NewService(st, slowWeChat{f.wx}, Rules{DailyQuota: 100, Now: f.clock.Now, RetryBackoff: time.Second,
			MaxAttempts: 3, ReconcileAfter: 10 * time.Minute}, nil)
	}
	f.svc = slow(f.store)
	oneSubmissionPerSend(t, f, slow(f.store))
}

// oneSubmissionPerSend starts sends and a schedule on either service, runs both workers and
// schedulers at once, and checks each send reached WeChat once; then a callback on b finishes
// a send of f's.
func oneSubmissionPerSend(t *testing.T, f *fixture, b *Service) {
	t.Helper()
	ctx := context.Background()
	instances := []*Service{f.svc, b}
	const sends = 6
	var ids []uint
	for i := 0; i < sends; i++ {
		d := f.draft(t, 1)
		s, err := instances[i%2].StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: fmt.Sprintf("k%d", i)}, 1)
		if err != nil {
			t.Fatalf("StartSend #%d: %v", i, err)
		}
		ids = append(ids, s.ID)
	}
	// A scheduled send due now: both schedulers see it.
	d := f.draft(t, 1)
	if _, err := b.CreateSchedule(ctx, ScheduleInput{Send: SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100},
		DueAt: f.clock.Now().Add(10 * time.Minute)}, 1); err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
	f.clock.Advance(11 * time.Minute)

	// Both workers and schedulers run at once, several passes each.
	var wg sync.WaitGroup
	for _, svc := range instances {
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for pass := 0; pass < 4; pass++ {
					if err := svc.RunOnce(ctx); err != nil {
						t.Errorf("RunOnce: %v", err)
					}
				}
			}()
		}
	}
	wg.Wait()

	// One mass call per send (each is one batch to a group), none repeated under a clientmsgid.
	if got := f.wx.count(EndpointSendAll); got != sends+1 {
		t.Errorf("sendall calls = %d, want %d (one per send, the scheduled one included)", got, sends+1)
	}
	if got := f.wx.accepted(); got != sends+1 {
		t.Errorf("jobs WeChat accepted = %d, want %d", got, sends+1)
	}
	var fromSchedule int64
	if err := f.store.gdb.Model(&sendRow{}).Where("idem_key LIKE ?", "schedule-%").Count(&fromSchedule).Error; err != nil || fromSchedule != 1 {
		t.Errorf("sends made from the schedule = %d, %v; want 1", fromSchedule, err)
	}
	// A's send, finished by a callback that landed on B, reads finished on A.
	s := mustSend(t, f.svc, ids[0])
	if s.State != StateSubmitted || len(s.Batches) != 1 || s.Batches[0].MsgID == 0 {
		t.Fatalf("send of A after both workers: %+v", s)
	}
	ev := JobFinished{MsgID: s.Batches[0].MsgID, Status: "send success", Total: 20, Filter: 18, Sent: 18, CreateTime: 1700000000, FromUser: "mphelper"}
	if dup, err := b.RecordJobFinished(ctx, ev); err != nil || dup {
		t.Fatalf("callback on B = %v, %v", dup, err)
	}
	if dup, err := f.svc.RecordJobFinished(ctx, ev); err != nil || !dup {
		t.Fatalf("WeChat's retry of it on A = %v, %v; want a duplicate", dup, err)
	}
	if s = mustSend(t, f.svc, ids[0]); s.State != StateFinished || s.Sent != 18 {
		t.Fatalf("send of A after B's callback: %+v", s)
	}
}

// A send claimed by one instance is left alone by the other until released.
func TestClaimSendIsExclusiveAcrossInstances(t *testing.T) {
	f, _, stB := twoInstances(t)
	ctx := context.Background()
	release, ok, err := f.store.claimSend(ctx, 7)
	if err != nil || !ok {
		t.Fatalf("claim on A = %v, %v", ok, err)
	}
	if _, ok, err := stB.claimSend(ctx, 7); err != nil || ok {
		t.Fatalf("claim of the same send on B = %v, %v; want refused", ok, err)
	}
	if r, ok, err := stB.claimSend(ctx, 8); err != nil || !ok {
		t.Fatalf("claim of another send on B = %v, %v", ok, err)
	} else {
		r()
	}
	release()
	if r, ok, err := stB.claimSend(ctx, 7); err != nil || !ok {
		t.Fatalf("claim on B once A released = %v, %v", ok, err)
	} else {
		r()
	}
}

func TestTwoInstancesShareOneTokenRefresh(t *testing.T) {
	f, _, stB := twoInstances(t)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cgi-bin/token" {
			http.NotFound(w, r)
			return
		}
		n := fetches.Add(1)
		time.Sleep(100 * time.Millisecond) // the other instance asks meanwhile
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":7200}`, n)
	}))
	defer srv.Close()
	clients := []*wechat.Client{
		wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: "wxapp", AppSecret: "s", TokenStore: f.store.AccessTokens("wxapp")}),
		wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: "wxapp", AppSecret: "s", TokenStore: stB.AccessTokens("wxapp")}),
	}
	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := clients[i%2].AccessToken(context.Background())
			if err != nil {
				t.Errorf("AccessToken: %v", err)
			}
			toks[i] = tok
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("token fetches = %d, want 1: an instance invalidated the other's token", n)
	}
	for i, tok := range toks {
		if tok != "tok-1" {
			t.Fatalf("caller %d got %q, want the one fetched token", i, tok)
		}
	}
}

// A (timestamp, nonce) pair seen by one instance is refused by the other with another body,
// answered as a retry with the same body once handled, and forgotten if its handling failed.
func TestCallbackNoncesSharedAcrossInstances(t *testing.T) {
	f, b, _ := twoInstances(t)
	ctx := context.Background()
	exp := f.clock.Now().Unix() + 300
	check := func(svc *Service, nonce, digest string, want NonceVerdict) {
		t.Helper()
		if v, err := svc.ClaimCallbackNonce(ctx, 1700000000, nonce, digest, exp); err != nil || v != want {
			t.Fatalf("claim %s/%s = %v, %v; want %v", nonce, digest, v, err, want)
		}
	}
	check(f.svc, "n1", "body1", NonceNew)
	check(b, "n1", "body2", NonceDifferent)
	check(b, "n1", "body1", NonceInFlight)
	if err := f.svc.SettleCallbackNonce(ctx, 1700000000, "n1", true); err != nil {
		t.Fatal(err)
	}
	check(b, "n1", "body1", NonceRetry)
	check(b, "n1", "body2", NonceDifferent)
	check(b, "n2", "body1", NonceNew)
	if err := b.SettleCallbackNonce(ctx, 1700000000, "n2", false); err != nil {
		t.Fatal(err)
	}
	check(f.svc, "n2", "body1", NonceNew) // handling failed on B: WeChat's retry is handled on A
	// Past their window the pairs are pruned.
	f.clock.Advance(time.Hour)
	check(f.svc, "n3", "x", NonceNew)
	var left int64
	if err := f.store.gdb.Table("callback_nonces").Where("nonce IN ?", []string{"n1", "n2"}).Count(&left).Error; err != nil || left != 0 {
		t.Fatalf("expired pairs left = %d, %v", left, err)
	}
}
