package handlers

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// Login throttling (issue 8 §2), in two parts:
//
//   - per account (models/login_throttle.go): repeated failures lock the username for a while,
//     in the database, so the lock survives a restart;
//   - per client address (here, in memory): each failed login takes a token from the address's
//     bucket (AddrBurst tokens, one back every AddrRefill); an address with none left is
//     refused until one is back, without its password being checked. The map of buckets is
//     bounded (MaxAddrs): many usernames do not grow it at all, and many addresses only up to
//     the bound. IPv6 addresses count per /64, which one client usually holds whole.
//
// Every refusal is logged as one line fail2ban can match (README, "Login throttling"):
//
//	level=WARN msg="login failed" addr=203.0.113.7 username=admin reason=bad_credentials
//
// The client address is gin's ClientIP: X-Forwarded-For only from a trusted proxy
// (QUNFA_TRUSTED_PROXIES), else the connection's peer.

// ThrottleConfig tunes the per-address limit; zero fields take the defaults.
type ThrottleConfig struct {
	AddrBurst  int           // failed logins an address may make in a row (default 10)
	AddrRefill time.Duration // one more every this long (default 6 s: 10 a minute)
	MaxAddrs   int           // addresses remembered at most (default 10,000)
}

type loginThrottle struct {
	cfg   ThrottleConfig
	now   func() time.Time
	mu    sync.Mutex
	addrs map[string]addrBucket
}

type addrBucket struct {
	tokens float64
	at     time.Time
}

func newLoginThrottle(cfg *ThrottleConfig, now func() time.Time) *loginThrottle {
	t := &loginThrottle{now: now, addrs: map[string]addrBucket{}}
	if cfg != nil {
		t.cfg = *cfg
	}
	if t.cfg.AddrBurst <= 0 {
		t.cfg.AddrBurst = 10
	}
	if t.cfg.AddrRefill <= 0 {
		t.cfg.AddrRefill = 6 * time.Second
	}
	if t.cfg.MaxAddrs <= 0 {
		t.cfg.MaxAddrs = 10_000
	}
	return t
}

// addrKey is the unit an address is limited by: the IPv4 address, or the IPv6 /64.
func addrKey(ip string) string {
	p := net.ParseIP(ip)
	if p == nil || p.To4() != nil {
		return ip
	}
	return p.Mask(net.CIDRMask(64, 128)).String()
}

// level is the bucket of key refilled to now (callers hold mu).
func (t *loginThrottle) level(key string, now time.Time) addrBucket {
	b, ok := t.addrs[key]
	if !ok {
		return addrBucket{tokens: float64(t.cfg.AddrBurst), at: now}
	}
	b.tokens = math.Min(float64(t.cfg.AddrBurst), b.tokens+float64(now.Sub(b.at))/float64(t.cfg.AddrRefill))
	b.at = now
	return b
}

// wait is how long the address must wait before its next attempt (0: it may try now).
func (t *loginThrottle) wait(ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.level(addrKey(ip), t.now())
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(t.cfg.AddrRefill))
}

// failed takes a token from the address's bucket.
func (t *loginThrottle) failed(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key, now := addrKey(ip), t.now()
	b := t.level(key, now)
	b.tokens = math.Max(0, b.tokens-1)
	if _, ok := t.addrs[key]; !ok && len(t.addrs) >= t.cfg.MaxAddrs {
		t.evict(now)
	}
	t.addrs[key] = b
}

// evict makes room: buckets refilled to full are as good as absent; if none is, drop some
// (map order is random), so the map never outgrows MaxAddrs.
func (t *loginThrottle) evict(now time.Time) {
	for k := range t.addrs {
		if t.level(k, now).tokens >= float64(t.cfg.AddrBurst) {
			delete(t.addrs, k)
		}
	}
	for k := range t.addrs {
		if len(t.addrs) < t.cfg.MaxAddrs*9/10 {
			break
		}
		delete(t.addrs, k)
	}
}

// size is how many addresses are remembered (tests).
func (t *loginThrottle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.addrs)
}

// loginThrottled refuses the attempt, and says why, when the address must wait or the username
// is locked; it reports whether it did.
func (a *app) loginThrottled(c *gin.Context, f loginForm) (bool, error) {
	ip := c.ClientIP()
	if wait := a.throttle.wait(ip); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		a.logLoginFailure(ip, f.Username, "address_throttled")
		a.renderLoginRefused(c, f, secs, "err.login_throttled", secs)
		return true, nil
	}
	until, err := a.svc.LoginLockedUntil(c.Request.Context(), f.Username, a.now())
	if err != nil {
		return false, err
	}
	if !until.IsZero() {
		a.throttle.failed(ip) // guessing at a locked account still costs the address
		a.logLoginFailure(ip, f.Username, "account_locked")
		a.renderLocked(c, f, until)
		return true, nil
	}
	return false, nil
}

// loginFailed counts a wrong username or password against the address and the username and
// logs it; when that failure locks the username it says so and reports true.
func (a *app) loginFailed(c *gin.Context, f loginForm) (bool, error) {
	ip := c.ClientIP()
	a.throttle.failed(ip)
	a.logLoginFailure(ip, f.Username, "bad_credentials")
	until, err := a.svc.RecordLoginFailure(c.Request.Context(), f.Username, a.now())
	if err != nil {
		return false, err
	}
	if until.IsZero() {
		return false, nil
	}
	a.renderLocked(c, f, until)
	return true, nil
}

// loginSucceeded forgets the username's failures.
func (a *app) loginSucceeded(c *gin.Context, f loginForm) error {
	return a.svc.ClearLoginFailures(c.Request.Context(), f.Username)
}

// logLoginFailure is the one line per refused login that fail2ban matches on addr (first, so
// a username cannot put another addr= before it; slog quotes a value with spaces or '=').
// Never the password.
func (a *app) logLoginFailure(ip, username, reason string) {
	if len(username) > 64 {
		username = username[:64]
	}
	a.log.Warn("login failed", "addr", ip, "username", username, "reason", reason)
}

func (a *app) renderLocked(c *gin.Context, f loginForm, until time.Time) {
	secs := int(math.Ceil(until.Sub(a.now()).Seconds()))
	a.renderLoginRefused(c, f, secs, "err.login_locked", until.In(models.Beijing).Format("2006-01-02 15:04"))
}

// renderLoginRefused answers 429 with the login form, the reason, and Retry-After.
func (a *app) renderLoginRefused(c *gin.Context, f loginForm, retryAfter int, key string, args ...any) {
	c.Header("Retry-After", strconv.Itoa(max(retryAfter, 1)))
	a.render(c, http.StatusTooManyRequests, views.Login(views.LoginPage{
		Layout:    a.layout(c, "login.title"),
		Username:  f.Username,
		Next:      safeNext(f.Next, ""),
		Error:     key,
		ErrorArgs: args,
	}))
}
