package sandbox

import (
	"context"
	"net/http"
	"sync"
	"time"

	"qunfa/wechat"
)

// Server simulates api.weixin.qq.com for one Official Account. It is an http.Handler to be
// mounted at the root (paths /cgi-bin/...). All state sits behind one mutex.
type Server struct {
	cfg Config
	pop *population

	routes map[string]route

	mu          sync.Mutex
	callbackURL string
	tokens      map[string]*tokenState
	media       map[string]*mediaItem
	jobs        map[int64]*job
	clientIDs   map[string]clientMsg   // clientmsgid (or derived key) → job, for 45065
	monthly     map[string]map[int]int // Beijing month → follower position → messages delivered
	quotaDay    string
	quotaUsed   int
	nextMsgID   int64
	nextDataID  int64
	failNext    map[string][]int
	loseNext    map[string][]int
	calls       map[string]int
	closed      bool
	pushCtx     context.Context
	stopPushing context.CancelFunc
	wg          sync.WaitGroup // finish timers and pushes in flight
	pushClient  *http.Client
}

// handler serves one endpoint; it returns the success body or an *apiError.
type handler func(s *Server, r *http.Request) (any, *apiError)

type route struct {
	method  string
	auth    bool // needs a valid access_token
	counted bool // an advanced call: uses the daily quota
	serve   handler
}

// New builds a sandbox with cfg's rules and its deterministic demo population.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:         cfg,
		pop:         newPopulation(cfg.Followers),
		callbackURL: cfg.CallbackURL,
		tokens:      map[string]*tokenState{},
		media:       map[string]*mediaItem{},
		jobs:        map[int64]*job{},
		clientIDs:   map[string]clientMsg{},
		monthly:     map[string]map[int]int{},
		nextMsgID:   firstMsgID,
		nextDataID:  firstMsgDataID,
		failNext:    map[string][]int{},
		loseNext:    map[string][]int{},
		calls:       map[string]int{},
		pushCtx:     ctx,
		stopPushing: cancel,
		pushClient:  &http.Client{Timeout: pushTimeout},
	}
	s.routes = map[string]route{
		"/cgi-bin/token":                {method: http.MethodGet, serve: (*Server).token},
		"/cgi-bin/media/upload":         {method: http.MethodPost, auth: true, counted: true, serve: (*Server).uploadMedia},
		"/cgi-bin/media/uploadnews":     {method: http.MethodPost, auth: true, counted: true, serve: (*Server).uploadNews},
		"/cgi-bin/message/mass/sendall": {method: http.MethodPost, auth: true, counted: true, serve: (*Server).sendAll},
		"/cgi-bin/message/mass/send":    {method: http.MethodPost, auth: true, counted: true, serve: (*Server).send},
		"/cgi-bin/message/mass/delete":  {method: http.MethodPost, auth: true, counted: true, serve: (*Server).deleteMass},
		"/cgi-bin/message/mass/get":     {method: http.MethodPost, auth: true, serve: (*Server).getMass},
		"/cgi-bin/groups/get":           {method: http.MethodGet, auth: true, serve: (*Server).groupsGet},
		"/cgi-bin/tags/get":             {method: http.MethodGet, auth: true, serve: (*Server).tagsGet},
		"/cgi-bin/user/get":             {method: http.MethodGet, auth: true, serve: (*Server).userGet},
	}
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// ServeHTTP runs the checks in WeChat's order: method, forced failure (test hook),
// access_token, daily quota, then the endpoint's own validation. Only an accepted
// advanced call uses quota: a rejected one (bad token, bad request, 45065, 45009) does not.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != rt.method {
		if rt.method == http.MethodPost {
			writeError(w, fail(43002))
		} else {
			writeError(w, fail(43001))
		}
		return
	}
	if code, forced := s.takeQueued(s.failNext, r.URL.Path); forced {
		writeError(w, s.forcedError(code))
		return
	}
	if rt.auth {
		if e := s.checkToken(r.URL.Query().Get("access_token")); e != nil {
			writeError(w, e)
			return
		}
	}
	var day string
	if rt.counted {
		// Reserved before validation so two concurrent calls cannot share the last unit.
		var e *apiError
		if day, e = s.reserveQuota(); e != nil {
			writeError(w, e)
			return
		}
	}
	body, e := rt.serve(s, r)
	if e != nil {
		if rt.counted {
			s.refundQuota(day)
		}
		writeError(w, e)
		return
	}
	s.mu.Lock()
	s.calls[r.URL.Path]++
	s.mu.Unlock()
	if code, lost := s.takeQueued(s.loseNext, r.URL.Path); lost {
		writeError(w, fail(code)) // accepted, but the caller never learns it
		return
	}
	writeJSON(w, body)
}

// SetCallbackURL changes where MASSSENDJOBFINISH is pushed ("" stops pushing).
func (s *Server) SetCallbackURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbackURL = u
}

// Close stops pending finish timers (those jobs stay SENDING), stops push retries,
// and waits for pushes in flight. The handler keeps answering API calls afterwards.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.stopPushing()
	for _, j := range s.jobs {
		if j.timer != nil && j.timer.Stop() {
			j.timer = nil
			s.wg.Done() // the timer's func will never run
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ExpireTokens makes every issued access_token answer 42001, as after its 7200 s.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.expired = true
	}
}

// FailNext makes the next call on path (e.g. "/cgi-bin/message/mass/sendall") answer errcode
// before any other check. Several calls queue up in order. A forced failure uses no quota.
func (s *Server) FailNext(path string, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[path] = append(s.failNext[path], errcode)
}

// FailNextAfterAccept makes the next call on path succeed (the job is created, quota used) but
// answer errcode instead, like a response lost to a timeout or a -1 after the fact: the case
// that clientmsgid and 45065 exist for.
func (s *Server) FailNextAfterAccept(path string, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext[path] = append(s.loseNext[path], errcode)
}

func (s *Server) takeQueued(queues map[string][]int, path string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := queues[path]
	if len(q) == 0 {
		return 0, false
	}
	queues[path] = q[1:]
	return q[0], true
}

// forcedError gives a forced 45065 the latest job's msg_id, as WeChat's body carries one.
func (s *Server) forcedError(code int) *apiError {
	e := fail(code)
	if code == 45065 {
		s.mu.Lock()
		e.msgID = s.nextMsgID - 1
		s.mu.Unlock()
	}
	return e
}

// Calls reports how many calls of that endpoint path were accepted (errcode 0) so far.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Groups returns the demo groups with their member counts (the groups/get answer).
func (s *Server) Groups() []wechat.Group { return s.pop.groups() }

// OpenIDs returns the members of a group in user/get order (AllFollowers / -1 → everyone).
func (s *Server) OpenIDs(groupID int64) []string {
	idx := s.pop.members(groupID)
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = s.pop.followers[k].openID
	}
	return out
}

// Refuses reports whether a follower refuses mass messages (never delivered, counted as an error).
func (s *Server) Refuses(openID string) bool {
	i, ok := s.pop.index[openID]
	return ok && s.pop.followers[i].refuses
}

// OriginalID is the account's gh_ original id (ToUserName of pushed events).
func (s *Server) OriginalID() string { return s.pop.original }

// QuotaLeft reports how many advanced calls are left today (Beijing day of Config.Now).
func (s *Server) QuotaLeft() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollQuotaDay()
	return s.cfg.DailyQuota - s.quotaUsed
}
