package wechat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingStore is a TokenStore that records its use and can fail.
type countingStore struct {
	MemoryTokenStore
	mu           sync.Mutex
	loads, saves int
	loadErr      error
}

func (s *countingStore) Load(ctx context.Context) (string, time.Time, error) {
	s.mu.Lock()
	s.loads++
	err := s.loadErr
	s.mu.Unlock()
	if err != nil {
		return "", time.Time{}, err
	}
	return s.MemoryTokenStore.Load(ctx)
}

func (s *countingStore) Save(ctx context.Context, tok string, exp time.Time) error {
	s.mu.Lock()
	s.saves++
	s.mu.Unlock()
	return s.MemoryTokenStore.Save(ctx, tok, exp)
}

func TestTokenStoreSurvivesRestart(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/groups/get", func(string, []byte) string { return groupsJSON })
	now := time.Unix(1700000000, 0)
	store := &countingStore{}
	newClient := func() *Client {
		return NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: testSecret, TokenStore: store,
			Now: func() time.Time { return now }, RetryBaseDelay: time.Microsecond})
	}
	ctx := context.Background()
	first, err := newClient().AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, exp, _ := store.MemoryTokenStore.Load(ctx)
	if stored != first || !exp.Equal(now.Add(6900*time.Second)) || store.saves != 1 {
		t.Fatalf("store holds %q until %v after %d saves; want the token until now+6900s", stored, exp, store.saves)
	}
	// A restarted process (or a second one) takes the stored token instead of fetching.
	second := newClient()
	if _, err := second.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	if f.tokenCalls.Load() != 1 || f.calls("/cgi-bin/groups/get")[0].Token != first {
		t.Fatalf("restart fetched a token (%d fetches)", f.tokenCalls.Load())
	}
	// Once the stored token reaches its expiry, a new one is fetched and saved.
	now = exp
	tok, err := second.AccessToken(ctx)
	if err != nil || tok == first || f.tokenCalls.Load() != 2 {
		t.Fatalf("after expiry: %q, %v (%d fetches)", tok, err, f.tokenCalls.Load())
	}
	if stored, _, _ := store.MemoryTokenStore.Load(ctx); stored != tok {
		t.Error("the new token was not saved")
	}
}

func TestTokenStoreNeverReturnsTheFailedToken(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/groups/get", func(tok string, _ []byte) string {
		if strings.HasPrefix(tok, "tok-1-") {
			return `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 1"}`
		}
		return groupsJSON
	})
	store := &countingStore{}
	c := NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: testSecret, TokenStore: store})
	if _, err := c.Groups(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.tokenCalls.Load() != 2 || store.saves != 2 {
		t.Fatalf("%d fetches, %d saves; want the rejected stored token skipped and a new one saved", f.tokenCalls.Load(), store.saves)
	}
	// Another process already replaced the failed token: take that one, fetch nothing.
	_ = store.MemoryTokenStore.Save(context.Background(), "tok-99-OTHER", time.Now().Add(time.Hour))
	c.tok.invalidate(c.tok.peek())
	if tok, _ := c.AccessToken(context.Background()); tok != "tok-99-OTHER" || f.tokenCalls.Load() != 2 {
		t.Fatalf("token %q after %d fetches; want the one another process stored", tok, f.tokenCalls.Load())
	}
}

func TestTokenStoreLoadErrorDoesNotFetch(t *testing.T) {
	f := newFake(t)
	store := &countingStore{loadErr: errors.New("database is locked")}
	c := NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: testSecret, TokenStore: store})
	_, err := c.AccessToken(context.Background())
	if err == nil || !strings.Contains(err.Error(), "database is locked") || f.tokenCalls.Load() != 0 {
		t.Fatalf("err = %v after %d fetches; a store failure must not fetch (it would invalidate other processes' token)", err, f.tokenCalls.Load())
	}
}

func TestBackoffIsBoundedAndJittered(t *testing.T) {
	base, ceiling := time.Second, 5*time.Second
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		if lo := backoff(n, base, ceiling, 0); lo != want/2 {
			t.Errorf("backoff(%d, rnd 0) = %v, want %v", n, lo, want/2)
		}
		if hi := backoff(n, base, ceiling, 0.999999); hi > want || hi < want*99/100 {
			t.Errorf("backoff(%d, rnd ~1) = %v, want just under %v", n, hi, want)
		}
	}
	if d := backoff(200, base, ceiling, 0.5); d > ceiling || d < ceiling/2 {
		t.Errorf("backoff(200) = %v, want within the ceiling", d)
	}
}
