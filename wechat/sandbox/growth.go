package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"qunfa/wechat/protocol"
)

// maxSubscribeBatch bounds one Subscribe through the HTTP control.
const maxSubscribeBatch = 100000

// grow adds the followers Config.Growth has brought since the sandbox started, by Config.Now:
// the i-th (from 0) subscribes at start + (i+1) minutes / Growth. It runs before every audience
// call and on a timer, so an injected clock and real time both see the population grow.
func (s *Server) grow() {
	if s.cfg.Growth <= 0 {
		return
	}
	now := s.now()
	s.growMu.Lock()
	due := int(now.Sub(s.growStart) * time.Duration(s.cfg.Growth) / time.Minute)
	if due <= s.grown {
		s.growMu.Unlock()
		return
	}
	at := make([]int64, 0, due-s.grown)
	for i := s.grown; i < due; i++ {
		at = append(at, s.growStart.Add(time.Duration(i+1)*time.Minute/time.Duration(s.cfg.Growth)).Unix())
	}
	s.grown = due
	ks := s.pop.add(at)
	s.growMu.Unlock()
	s.announce(protocol.EventSubscribe, ks, now)
}

// growLoop grows the population in real time until Close, for demos where nobody calls.
func (s *Server) growLoop() {
	defer s.wg.Done()
	tick := min(max(time.Minute/time.Duration(s.cfg.Growth), 250*time.Millisecond), 10*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.pushCtx.Done():
			return
		case <-t.C:
			s.grow()
		}
	}
}

// Subscribe adds n new followers now (at the end of user/get's order, in groups drawn like the
// others') and pushes a subscribe event for each to the callback URL. It returns their OpenIDs.
func (s *Server) Subscribe(n int) []string {
	if n <= 0 {
		return nil
	}
	s.grow() // growth due so far comes first, in order
	now := s.now()
	at := make([]int64, n)
	for i := range at {
		at[i] = now.Unix()
	}
	ks := s.pop.add(at)
	s.announce(protocol.EventSubscribe, ks, now)
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = openIDOf(k)
	}
	return ids
}

// ErrNotFollower is Unsubscribe's error for an OpenID that is not a current follower.
var ErrNotFollower = errors.New("not a current follower")

// Unsubscribe makes current followers leave now and pushes an unsubscribe event for each. Any
// OpenID that is not a current follower fails the whole call (ErrNotFollower) and nobody leaves.
// user/get skips them from then on, but their OpenIDs stay valid cursors; batchget answers
// subscribe 0 for them; a list send still accepts them and counts them as errors.
func (s *Server) Unsubscribe(openIDs ...string) error {
	s.grow()
	ks := make([]int, 0, len(openIDs))
	seen := map[int]bool{}
	for _, id := range openIDs {
		k, ok := s.pop.follower(id)
		if !ok {
			return fmt.Errorf("sandbox: %q: %w", id, ErrNotFollower)
		}
		if !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	now := s.now()
	s.pop.remove(ks, now.Unix())
	s.announce(protocol.EventUnsubscribe, ks, now)
	return nil
}

// Followers reports how many followers there are now (user/get's total).
func (s *Server) Followers() int {
	s.grow()
	return s.pop.total()
}

// announce queues one subscribe/unsubscribe event per follower for the callback URL. One worker
// makes the first attempts in order through the same path as MASSSENDJOBFINISH (sealing, JSON
// format), so a receiver sees a follower's subscribe before its unsubscribe; retries run aside.
func (s *Server) announce(event string, ks []int, now time.Time) {
	if len(ks) == 0 {
		return
	}
	s.cfg.Logger.Info("sandbox: followers "+event+"d", "count", len(ks))
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.callbackURL
	if target == "" || s.closed {
		return
	}
	for _, k := range ks {
		s.followQ = append(s.followQ, followPush{target, s.followEvent(event, openIDOf(k), now), now})
	}
	if !s.followBusy {
		s.followBusy = true
		s.wg.Add(1)
		go s.drainFollowQ()
	}
}

type followPush struct {
	target string
	body   []byte
	at     time.Time
}

// drainFollowQ pushes queued follower events until the queue is empty or the sandbox closes.
func (s *Server) drainFollowQ() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.followQ) == 0 || s.closed {
			s.followQ, s.followBusy = nil, false
			s.mu.Unlock()
			return
		}
		p := s.followQ[0]
		s.followQ = s.followQ[1:]
		s.mu.Unlock()
		sealed, ok := s.seal(p.target, p.body, p.at)
		if !ok || s.deliver(sealed, 0, 0) {
			continue
		}
		// Not acknowledged: retry on the side, so one unanswered event does not hold up the
		// followers queued after it (first attempts stay in order).
		s.mu.Lock()
		if !s.closed {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.deliver(sealed, 1, pushRetries)
			}()
		}
		s.mu.Unlock()
	}
}

// followEvent is the plaintext of a subscribe/unsubscribe push (§13): a plain follow, so
// EventKey is present and empty, as real pushes carry it.
func (s *Server) followEvent(event, openID string, now time.Time) []byte {
	if s.cfg.PushJSON {
		b, _ := json.Marshal(map[string]string{"ToUserName": s.pop.original, "FromUserName": openID,
			"CreateTime": strconv.FormatInt(now.Unix(), 10), "MsgType": "event", "Event": event, "EventKey": ""})
		return b
	}
	return []byte("<xml><ToUserName><![CDATA[" + s.pop.original + "]]></ToUserName><FromUserName><![CDATA[" + openID +
		"]]></FromUserName><CreateTime>" + strconv.FormatInt(now.Unix(), 10) + "</CreateTime><MsgType><![CDATA[event]]></MsgType>" +
		"<Event><![CDATA[" + event + "]]></Event><EventKey><![CDATA[]]></EventKey></xml>")
}

// control serves the sandbox's own test and demo controls (no access_token, not under /cgi-bin):
//
//	POST /sandbox/subscribe?n=N            → {"openids":[…]}  (n 1–100000, default 1)
//	POST /sandbox/unsubscribe?openid=…     → {"openids":[…]}  (openid repeatable)
//	GET  /sandbox/followers                → {"total":N}
//
// and the fault controls of faults.go (hold, release, fail, jobs). A bad request answers HTTP 400 {"error":"…"}.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	bad := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	want := http.MethodPost
	if r.URL.Path == "/sandbox/followers" || r.URL.Path == "/sandbox/jobs" {
		want = http.MethodGet
	}
	if r.URL.Path == "/sandbox/hold" && r.Method == http.MethodGet {
		want = http.MethodGet
	}
	if r.Method != want {
		bad(http.StatusMethodNotAllowed, "use "+want)
		return
	}
	if s.faultControl(w, r, bad) {
		return
	}
	q := r.URL.Query()
	switch r.URL.Path {
	case "/sandbox/subscribe":
		n := 1
		if v := q.Get("n"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxSubscribeBatch {
				bad(http.StatusBadRequest, "n must be a whole number from 1 to "+strconv.Itoa(maxSubscribeBatch))
				return
			}
		}
		writeJSON(w, map[string][]string{"openids": s.Subscribe(n)})
	case "/sandbox/unsubscribe":
		ids := q["openid"]
		if len(ids) == 0 {
			bad(http.StatusBadRequest, "openid is required")
			return
		}
		if err := s.Unsubscribe(ids...); err != nil {
			bad(http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, map[string][]string{"openids": ids})
	case "/sandbox/followers":
		writeJSON(w, map[string]int{"total": s.Followers()})
	default:
		http.NotFound(w, r)
	}
}
