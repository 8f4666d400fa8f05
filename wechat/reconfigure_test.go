package wechat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qunfa/wechat"
)

// twoAccounts is a WeChat that knows two accounts: a token belongs to the AppID whose secret
// fetched it, and groups/get answers with a group named after that AppID.
type twoAccounts struct {
	secrets map[string]string
	mu      sync.Mutex
	owner   map[string]string // token → appid
	n       atomic.Int64
	fetches map[string]int // appid → token fetches
}

func newTwoAccounts(t *testing.T, secrets map[string]string) (*twoAccounts, *httptest.Server) {
	a := &twoAccounts{secrets: secrets, owner: map[string]string{}, fetches: map[string]int{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *twoAccounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/cgi-bin/token":
		want, ok := a.secrets[q.Get("appid")]
		switch {
		case !ok:
			fmt.Fprint(w, `{"errcode":40013,"errmsg":"invalid appid rid: 1"}`)
		case q.Get("secret") != want:
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential rid: 2"}`)
		default:
			tok := fmt.Sprintf("token-%d", a.n.Add(1))
			a.mu.Lock()
			a.owner[tok] = q.Get("appid")
			a.fetches[q.Get("appid")]++
			a.mu.Unlock()
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":7200}`, tok)
		}
	case "/cgi-bin/groups/get":
		a.mu.Lock()
		appID, ok := a.owner[q.Get("access_token")]
		a.mu.Unlock()
		if !ok {
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential rid: 3"}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"groups": []map[string]any{{"id": 1, "name": appID, "count": 1}}})
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (a *twoAccounts) fetchCount(appID string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fetches[appID]
}

func accountOf(t *testing.T, c *wechat.Client) string {
	t.Helper()
	g, err := c.Groups(context.Background())
	if err != nil {
		t.Fatalf("groups: %v", err)
	}
	return g[0].Name
}

func TestReconfigureSwitchesAccount(t *testing.T) {
	const (
		appA, secretA = "wxaaaaaaaaaaaaaaaa", "secretAsecretAsecretAsecretA0000"
		appB, secretB = "wxbbbbbbbbbbbbbbbb", "secretBsecretBsecretBsecretB0000"
	)
	api, srv := newTwoAccounts(t, map[string]string{appA: secretA, appB: secretB})
	storeA := &wechat.MemoryTokenStore{}
	c := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: appA, AppSecret: secretA, TokenStore: storeA, MaxRetries: -1})
	if got := accountOf(t, c); got != appA {
		t.Fatalf("before: calls made as %s, want %s", got, appA)
	}

	storeB := &wechat.MemoryTokenStore{}
	if err := c.Reconfigure(context.Background(), wechat.Account{AppID: appB, AppSecret: secretB, TokenStore: storeB}); err != nil {
		t.Fatal(err)
	}
	if c.AppID() != appB {
		t.Fatalf("AppID() = %s after Reconfigure", c.AppID())
	}
	if got := accountOf(t, c); got != appB {
		t.Fatalf("after: calls made as %s, want %s (cached token not dropped?)", got, appB)
	}
	if tok, _, _ := storeB.Load(context.Background()); tok == "" {
		t.Fatal("the new account's token was not saved in its own store")
	}
	tokA, _, _ := storeA.Load(context.Background())
	if api.fetchCount(appA) != 1 || tokA == "" {
		t.Fatalf("the old account's store was touched: fetches %d, token %q", api.fetchCount(appA), tokA)
	}

	// A wrong secret now fails, although a token of the old secret was cached.
	if err := c.Reconfigure(context.Background(), wechat.Account{AppID: appB, AppSecret: "wrong"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Groups(context.Background())
	if e, ok := wechat.AsError(err); !ok || e.Code != 40001 {
		t.Fatalf("with a wrong secret: %v, want errcode 40001", err)
	}
	if strings.Contains(fmt.Sprint(err), "wrong") {
		t.Fatalf("the secret leaked into the error: %v", err)
	}
}

// Reconfigure while many calls run: no data race (go test -race), and every call after it
// is made as the new account.
func TestReconfigureConcurrentWithCalls(t *testing.T) {
	const (
		appA, secretA = "wxaaaaaaaaaaaaaaaa", "secretAsecretAsecretAsecretA0000"
		appB, secretB = "wxbbbbbbbbbbbbbbbb", "secretBsecretBsecretBsecretB0000"
	)
	_, srv := newTwoAccounts(t, map[string]string{appA: secretA, appB: secretB})
	c := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: appA, AppSecret: secretA, MaxRetries: -1,
		RetryBaseDelay: time.Microsecond})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := c.Groups(context.Background()); err != nil {
					t.Errorf("call during reconfigure: %v", err)
					return
				}
				_ = c.AppID()
			}
		}()
	}
	if err := c.Reconfigure(context.Background(), wechat.Account{AppID: appB, AppSecret: secretB}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := accountOf(t, c); got != appB {
		t.Fatalf("after: calls made as %s, want %s", got, appB)
	}
}

func TestReconfigureGivesUpWithItsContext(t *testing.T) {
	// A token fetch that hangs holds the token lock; Reconfigure waits for it only as long as
	// its context allows.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprint(w, `{"access_token":"t","expires_in":7200}`)
	}))
	defer srv.Close()
	defer close(release)
	c := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: "wxaaaaaaaaaaaaaaaa", AppSecret: "s", MaxRetries: -1})
	started := make(chan struct{})
	go func() {
		close(started)
		c.AccessToken(context.Background())
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the fetch holds the lock: a second AccessToken with a cancelled context
	// returning proves the lock is taken (it would otherwise fetch itself).
	for {
		probe, stop := context.WithCancel(context.Background())
		stop()
		if _, err := c.AccessToken(probe); err != nil && strings.Contains(err.Error(), "waiting for access_token") {
			break
		}
	}
	cancel()
	if err := c.Reconfigure(ctx, wechat.Account{AppID: "wxbbbbbbbbbbbbbbbb", AppSecret: "s"}); err == nil {
		t.Fatal("Reconfigure returned nil although its context ended while a fetch held the lock")
	}
}
