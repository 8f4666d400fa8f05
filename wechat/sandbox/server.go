package sandbox

import (
	"context"
	"net/http"
	"strings"
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
	stable      string // the current stable_token
	forceDay    string // Beijing day of forceCount
	forceCount  int    // stable_token force_refresh calls that day
	lastForce   time.Time
	media       map[string]*mediaItem
	images      map[string]bool // URLs answered by media/uploadimg
	previews    []Preview
	previewDay  string
	previewWX   int // previews by towxname on previewDay
	speed       int // mass/speed: 0 (fastest) to 4
	jobs        map[int64]*job
	clientIDs   map[string]clientMsg // clientmsgid (or derived key) → job, for 45065
	monthly     map[string][]uint8   // Beijing month → messages delivered, by follower index
	quotaDay    string
	quotaUsed   int
	nextMsgID   int64
	nextDataID  int64
	failNext    map[string][]int
	latency     map[string]time.Duration // SetLatency; "" = every path
	hangNext    map[string]int           // HangNext: calls left to hang before processing
	hangAfter   map[string]int           // HangNextAfterAccept
	reviewNext  []int                    // FailReviewNext: err(N) of the next jobs
	duplicates  int                      // DuplicateNextCallback
	loseNext    map[string][]int
	failStatus  map[string][]int // FailNextStatus
	dropAfter   map[string]int   // DropNextAfterAccept
	holds       map[string]*hold // Hold, by path
	requests    map[string]int   // every call that reached a route, whatever its answer
	calls       map[string]int
	closed      bool
	pushCtx     context.Context
	stopPushing context.CancelFunc
	wg          sync.WaitGroup // finish timers and pushes in flight
	pushClient  *http.Client

	growMu    sync.Mutex // Config.Growth's bookkeeping (grow)
	growStart time.Time
	grown     int // followers growth has added so far

	followQ    []followPush // subscribe/unsubscribe events waiting to be pushed (s.mu)
	followBusy bool         // a worker is pushing followQ
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
		pop:         newPopulation(cfg.Followers, cfg.Now()),
		growStart:   cfg.Now(),
		callbackURL: cfg.CallbackURL,
		tokens:      map[string]*tokenState{},
		media:       map[string]*mediaItem{},
		images:      map[string]bool{},
		jobs:        map[int64]*job{},
		clientIDs:   map[string]clientMsg{},
		monthly:     map[string][]uint8{},
		nextMsgID:   firstMsgID,
		nextDataID:  firstMsgDataID,
		failNext:    map[string][]int{},
		loseNext:    map[string][]int{},
		failStatus:  map[string][]int{},
		dropAfter:   map[string]int{},
		holds:       map[string]*hold{},
		requests:    map[string]int{},
		calls:       map[string]int{},
		pushCtx:     ctx,
		stopPushing: cancel,
		pushClient:  &http.Client{Timeout: cfg.PushTimeout},
		latency:     map[string]time.Duration{},
		hangNext:    map[string]int{},
		hangAfter:   map[string]int{},
	}
	s.routes = map[string]route{
		"/cgi-bin/token":                  {method: http.MethodGet, serve: (*Server).token},
		"/cgi-bin/stable_token":           {method: http.MethodPost, serve: (*Server).stableToken},
		"/cgi-bin/media/upload":           {method: http.MethodPost, auth: true, counted: true, serve: (*Server).uploadMedia},
		"/cgi-bin/media/uploadnews":       {method: http.MethodPost, auth: true, counted: true, serve: (*Server).uploadNews},
		"/cgi-bin/media/uploadimg":        {method: http.MethodPost, auth: true, serve: (*Server).uploadImg},
		"/cgi-bin/draft/add":              {method: http.MethodPost, auth: true, counted: true, serve: (*Server).addDraft},
		"/cgi-bin/material/add_material":  {method: http.MethodPost, auth: true, serve: (*Server).addMaterial},
		"/cgi-bin/message/mass/preview":   {method: http.MethodPost, auth: true, serve: (*Server).preview},
		"/cgi-bin/message/mass/speed/get": {method: http.MethodPost, auth: true, serve: (*Server).speedGet},
		"/cgi-bin/message/mass/speed/set": {method: http.MethodPost, auth: true, serve: (*Server).speedSet},
		"/cgi-bin/user/info/batchget":     {method: http.MethodPost, auth: true, serve: (*Server).userInfoBatchGet},
		"/cgi-bin/user/tag/get":           {method: http.MethodPost, auth: true, serve: (*Server).userTagGet},
		"/cgi-bin/tags/getidlist":         {method: http.MethodPost, auth: true, serve: (*Server).tagsGetIDList},
		"/cgi-bin/message/mass/sendall":   {method: http.MethodPost, auth: true, counted: true, serve: (*Server).sendAll},
		"/cgi-bin/message/mass/send":      {method: http.MethodPost, auth: true, counted: true, serve: (*Server).send},
		"/cgi-bin/message/mass/delete":    {method: http.MethodPost, auth: true, counted: true, serve: (*Server).deleteMass},
		"/cgi-bin/message/mass/get":       {method: http.MethodPost, auth: true, serve: (*Server).getMass},
		"/cgi-bin/groups/get":             {method: http.MethodGet, auth: true, serve: (*Server).groupsGet},
		"/cgi-bin/tags/get":               {method: http.MethodGet, auth: true, serve: (*Server).tagsGet},
		"/cgi-bin/user/get":               {method: http.MethodGet, auth: true, serve: (*Server).userGet},
		"/cgi-bin/openapi/quota/get":      {method: http.MethodPost, auth: true, serve: (*Server).quotaGet},

		"/cgi-bin/tags/members/getblacklist": {method: http.MethodPost, auth: true, serve: (*Server).getBlacklist},
		"/datacube/getusersummary":           {method: http.MethodPost, auth: true, serve: (*Server).getUserSummary},
		"/datacube/getusercumulate":          {method: http.MethodPost, auth: true, serve: (*Server).getUserCumulate},
		"/datacube/getarticletotal":          {method: http.MethodPost, auth: true, serve: (*Server).articleTotal},   // datacube_articles.go
		"/datacube/getarticlesummary":        {method: http.MethodPost, auth: true, serve: (*Server).articleSummary}, // not advanced calls
	}
	if cfg.Growth > 0 {
		s.wg.Add(1)
		go s.growLoop()
	}
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// ServeHTTP runs the checks in WeChat's order: method, forced failure (test hook),
// access_token, daily quota, then the endpoint's own validation. Only an accepted
// advanced call uses quota: a rejected one (bad token, bad request, 45065, 45009) does not.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sandbox/") {
		s.control(w, r)
		return
	}
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.mu.Unlock()
	if d := s.latencyFor(r.URL.Path); d > 0 {
		if s.cfg.Sleep(r.Context(), d) != nil {
			return // the client gave up
		}
	}
	if s.takeHang(s.hangNext, r.URL.Path) {
		s.hang(r)
		return
	}
	var taken *hold
	defer func() { s.answered(w, taken) }()
	if !s.held(r, HoldBefore, &taken) {
		return // the client went away while the call was held: WeChat never saw it
	}
	if status, failed := s.takeQueued(s.failStatus, r.URL.Path); failed {
		http.Error(w, http.StatusText(status), status)
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
	s.grow() // followers due by now join before the call sees them
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
	if s.takeHang(s.hangAfter, r.URL.Path) {
		s.hang(r) // accepted, but the answer never comes
		return
	}
	if code, lost := s.takeQueued(s.loseNext, r.URL.Path); lost {
		writeError(w, fail(code)) // accepted, but the caller never learns it
		return
	}
	if s.takeHang(s.dropAfter, r.URL.Path) {
		drop(w) // accepted, and the connection closes before the answer
		return
	}
	if !s.held(r, HoldAfter, &taken) {
		return // accepted, but the client went away before the answer
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

// SetLatency delays every call on path ("" = all paths) by d before it is handled (0 removes
// it); the delay ends early when the client gives up. Waits go through Config.Sleep.
func (s *Server) SetLatency(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, path)
		return
	}
	s.latency[path] = d
}

func (s *Server) latencyFor(path string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.latency[path]; ok {
		return d
	}
	return s.latency[""]
}

// HangNext makes the next call on path hang, unprocessed, until the client's deadline (it
// disconnects) or Close: a timeout in which WeChat did nothing.
func (s *Server) HangNext(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangNext[path]++
}

// HangNextAfterAccept makes the next call on path be accepted (job created, quota used) and
// then hang until the client gives up: a timeout after WeChat acted, the case clientmsgid is for.
func (s *Server) HangNextAfterAccept(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangAfter[path]++
}

func (s *Server) takeHang(m map[string]int, path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m[path] == 0 {
		return false
	}
	m[path]--
	return true
}

func (s *Server) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.pushCtx.Done(): // Close
	}
}

// FailReviewNext makes the next accepted mass job fail review: it finishes with Status
// "err(code)" (e.g. 10001 advertising, 30003 judged a reprint) and every count 0, as in
// WeChat's own sample; mass/get answers SEND_FAIL and nobody's monthly count changes.
// Several calls queue up in order.
func (s *Server) FailReviewNext(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reviewNext = append(s.reviewNext, code)
}

// DuplicateNextCallback makes the next acknowledged MASSSENDJOBFINISH be delivered once more,
// identical, as WeChat occasionally does.
func (s *Server) DuplicateNextCallback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicates++
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

// Groups returns the demo groups with their current member counts (the groups/get answer).
func (s *Server) Groups() []wechat.Group {
	s.grow()
	return s.pop.groups()
}

// OpenIDs returns the current members of a group in user/get order (AllFollowers / -1 → everyone).
func (s *Server) OpenIDs(groupID int64) []string {
	s.grow()
	idx := s.pop.members(groupID)
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = openIDOf(k)
	}
	return out
}

// Refuses reports whether a follower refuses mass messages (never delivered, counted as an error).
func (s *Server) Refuses(openID string) bool {
	k, known, _ := s.pop.lookup(openID)
	return known && refuses(k)
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
