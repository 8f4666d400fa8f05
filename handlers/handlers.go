// Package handlers is the HTTP surface of Qunfa: one route table, middleware
// (sessions, CSRF, language, logging) and one thin action per file that turns
// a form into a models call and a models result into a view.
package handlers

import (
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// Deps is everything the web layer needs from the rest of the program.
type Deps struct {
	Service *models.Service
	Codec   func() wechat.Codec // current callback codec; a func so settings can change it
	Static  fs.FS               // static files, served under /static/
	Logger  *slog.Logger
	Now     func() time.Time
	Account AccountControl // the running account, for the settings page (nil: as in sandbox mode)

	// SessionIdle ends a logged-in session unused this long (0: defaultSessionIdle).
	SessionIdle time.Duration
	// TrustedProxies are the CIDRs whose X-Forwarded-For names the client (none: the header is
	// ignored and the client is the connection's peer).
	TrustedProxies []string
	// Throttle tunes login throttling (nil: the defaults, login_throttle.go).
	Throttle *ThrottleConfig
	// Reads gives the A/B tests their read figures (nil: the service's statistics, abtest.go).
	Reads models.ReadSource
}

// app carries the dependencies into every action.
type app struct {
	svc      *models.Service
	codec    func() wechat.Codec
	static   fs.FS
	log      *slog.Logger
	now      func() time.Time
	sessions *scs.SessionManager
	account  AccountControl
	idle     time.Duration
	csrfKey  []byte          // signs the anonymous CSRF cookie (csrf_anon.go)
	throttle *loginThrottle  // login_throttle.go
	replay   *replayGuard    // callback (timestamp, nonce) pairs seen (callback_replay.go)
	unparsed *unparsedBudget // what unparsable pushes may store (callback_budget.go)
	reads    models.ReadSource
}

const (
	sessionLifetime = 12 * time.Hour
	// Form posts (a draft of 10 long articles) stay well under this.
	maxFormBytes = 8 << 20
	// WeChat's event pushes are small XML documents.
	maxCallbackBytes = 1 << 20
)

// New builds the web application: gin engine with the route table, wrapped
// in request logging, cross-origin protection and session loading.
func New(d Deps) http.Handler {
	a := &app{
		svc:     d.Service,
		codec:   d.Codec,
		static:  d.Static,
		log:     d.Logger,
		now:     d.Now,
		account: d.Account,
	}
	a.replay = newReplayGuard(protocol.CallbackMaxSkew)
	if d.Service.SharedCallbacks() {
		a.replay.shared = d.Service // callbacks may land on any instance (PostgreSQL)
	}
	a.unparsed = newUnparsedBudget(protocol.CallbackMaxSkew, unparsedMaxCount, unparsedMaxBytes)
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.reads = d.Reads; a.reads == nil {
		a.reads = d.Service.StatsReads()
	}
	a.idle = d.SessionIdle
	if a.idle <= 0 {
		a.idle = defaultSessionIdle
	}
	a.csrfKey = a.formSigningKey()
	a.throttle = newLoginThrottle(d.Throttle, a.now)
	a.sessions = newSessionManager(sessionStore{d.Service.Sessions().WithClock(a.now), scs.GobCodec{}, a.idle})

	engine := gin.New()
	// Without trusted proxies X-Forwarded-For is ignored: the client is the connection's peer.
	if err := engine.SetTrustedProxies(d.TrustedProxies); err != nil {
		panic(err) // main validated them (config.go)
	}
	engine.RedirectTrailingSlash = false
	engine.Use(gin.CustomRecovery(a.recovered), a.noteWrites, a.language, a.csrf)
	for _, r := range routes {
		handlers := []gin.HandlerFunc{}
		if !r.Public() {
			handlers = append(handlers, a.requireLogin, a.requireRole(r.Access))
		}
		h := r.handle
		handlers = append(handlers, func(c *gin.Context) {
			if err := h(a, c); err != nil {
				a.fail(c, err)
			}
		})
		engine.Handle(r.Method, r.Path, handlers...)
	}
	engine.NoRoute(func(c *gin.Context) { a.notFound(c) })

	var h http.Handler = engine
	h = a.loadSession(h)
	h = a.crossOrigin(h)
	h = secureCookies(h)
	h = securityHeaders(h)
	h = a.logRequests(h)
	return h
}

// init picks gin's mode once for the process (release: no debug route dump), unless GIN_MODE
// says otherwise; New never changes it, so building a second app leaves the first as it was.
func init() {
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
}

// newSessionManager keeps sessions in store. Cookies get the Secure flag from secureCookies
// when the browser came over HTTPS.
func newSessionManager(store scs.Store) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = sessionLifetime
	sm.Cookie.Name = "qunfa_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	return sm
}
