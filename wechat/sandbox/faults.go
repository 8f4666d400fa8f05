package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Faults for tests that kill or starve the client at a chosen step of a call: a held call, an
// HTTP status instead of WeChat's answer, a connection closed after the call was accepted.
// They are reachable from Go and, for `qunfa sandbox` in another process, over HTTP (control).

// Hold phases: before, the call waits unprocessed (WeChat has done nothing yet); after, it is
// accepted (job created, quota used) and its answer waits.
const (
	HoldBefore = "before"
	HoldAfter  = "after"
)

// Hold states, as HoldState reports them.
const (
	HoldArmed    = "armed"    // waiting for the next call on the path
	HoldHeld     = "held"     // a call is held now
	HoldReleased = "released" // released: the call goes on
	HoldAnswered = "answered" // released, and its answer was written
	HoldDropped  = "dropped"  // the client went away while held: nothing written (and, before, nothing done)
)

type hold struct {
	phase   string
	state   string
	release chan struct{}
}

// apiPath turns "message/mass/send" or "/cgi-bin/message/mass/send" into the route's path.
func apiPath(api string) string {
	api = strings.TrimPrefix(strings.TrimPrefix(api, "/"), "cgi-bin/")
	return "/cgi-bin/" + api
}

// Hold makes the next call on api (e.g. "message/mass/send") wait at phase until Release.
// Arming it again replaces a hold not yet taken.
func (s *Server) Hold(api, phase string) error {
	if phase != HoldBefore && phase != HoldAfter {
		return errors.New("phase must be before or after")
	}
	path := apiPath(api)
	if _, ok := s.routes[path]; !ok {
		return errors.New("unknown api " + api)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.holds[path]; h != nil && h.state == HoldHeld {
		return errors.New("a call on " + api + " is held: release it first")
	}
	s.holds[path] = &hold{phase: phase, state: HoldArmed, release: make(chan struct{})}
	return nil
}

// HoldState reports where the hold on api is ("" when none was armed).
func (s *Server) HoldState(api string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.holds[apiPath(api)]; h != nil {
		return h.state
	}
	return ""
}

// Release lets the held (or armed) call on api go on.
func (s *Server) Release(api string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.holds[apiPath(api)]
	switch {
	case h == nil:
	case h.state == HoldArmed:
		delete(s.holds, apiPath(api))
	case h.state == HoldHeld:
		h.state = HoldReleased
		close(h.release)
	}
}

// held waits while a hold at phase is armed for r's path, and reports whether the call may go
// on: false when the client went away meanwhile (the caller writes nothing). *taken is set to
// the hold it waited on, for answered.
func (s *Server) held(r *http.Request, phase string, taken **hold) bool {
	s.mu.Lock()
	h := s.holds[r.URL.Path]
	if h == nil || h.phase != phase || h.state != HoldArmed {
		s.mu.Unlock()
		return true
	}
	*taken = h
	h.state = HoldHeld
	s.mu.Unlock()
	// Read the body now: only then does the server watch the connection, so a client that
	// goes away while held cancels r's context.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.cfg.Logger.Info("sandbox: call held", "path", r.URL.Path, "phase", phase)
	select {
	case <-h.release:
	case <-r.Context().Done(): // the client went away (a killed process): dropped at once
	case <-s.pushCtx.Done(): // Close
	}
	gone := r.Context().Err() != nil
	if gone {
		s.mu.Lock()
		h.state = HoldDropped
		s.mu.Unlock()
	}
	return !gone
}

// answered sends the answer of the call a hold let go and records it (ServeHTTP defers it), so
// a test that sees "answered" knows the client has it.
func (s *Server) answered(w http.ResponseWriter, h *hold) {
	if h == nil {
		return
	}
	s.mu.Lock()
	released := h.state == HoldReleased
	s.mu.Unlock()
	if !released {
		return
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	s.mu.Lock()
	h.state = HoldAnswered
	s.mu.Unlock()
}

// FailNextStatus makes the next call on path answer HTTP status (e.g. 502, as a proxy in front
// of WeChat does) with no WeChat body, before anything is done. Several calls queue up in order.
func (s *Server) FailNextStatus(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus[path] = append(s.failStatus[path], status)
}

// DropNextAfterAccept makes the next call on path be accepted (job created, quota used) and its
// connection then closed with no answer: a response lost on the way back.
func (s *Server) DropNextAfterAccept(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter[path]++
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// Requests reports how many calls reached path, whatever was answered (Calls counts the accepted).
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Jobs returns every mass job accepted so far (sendall and send), by msg_id: what WeChat would
// deliver. A test counts them per clientmsgid to prove a send went out once.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]Job, 0, len(ids))
	for _, id := range ids {
		if j, ok := s.Job(id); ok {
			out = append(out, j)
		}
	}
	return out
}

// faultControl serves the fault controls (see control); it reports whether it handled the path.
//
//	POST /sandbox/hold?api=message/mass/send&phase=before|after → {"api","state":"armed"}
//	GET  /sandbox/hold?api=…                                     → {"api","state"} ("" when none)
//	POST /sandbox/release?api=…                                  → {"api","state"}
//	POST /sandbox/fail?api=…&errcode=N | &status=502 [&n=K]      → {"api","queued":K}
//	GET  /sandbox/jobs                                           → [{"msg_id","clientmsgid",…}]
func (s *Server) faultControl(w http.ResponseWriter, r *http.Request, bad func(int, string)) bool {
	q := r.URL.Query()
	api := q.Get("api")
	state := func() { writeJSON(w, map[string]string{"api": api, "state": s.HoldState(api)}) }
	switch r.URL.Path {
	case "/sandbox/hold":
		if r.Method == http.MethodGet {
			state()
			return true
		}
		if err := s.Hold(api, q.Get("phase")); err != nil {
			bad(http.StatusBadRequest, err.Error())
			return true
		}
		state()
	case "/sandbox/release":
		s.Release(api)
		state()
	case "/sandbox/fail":
		if _, ok := s.routes[apiPath(api)]; !ok {
			bad(http.StatusBadRequest, "unknown api "+api)
			return true
		}
		n := 1
		if v := q.Get("n"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 100 {
				bad(http.StatusBadRequest, "n must be a whole number from 1 to 100")
				return true
			}
		}
		code, status := q.Get("errcode"), q.Get("status")
		for range n {
			if st, err := strconv.Atoi(status); err == nil && st >= 400 && st <= 599 {
				s.FailNextStatus(apiPath(api), st)
			} else if c, err := strconv.Atoi(code); err == nil && status == "" {
				s.FailNext(apiPath(api), c)
			} else {
				bad(http.StatusBadRequest, "give errcode=N or status=400..599")
				return true
			}
		}
		writeJSON(w, map[string]any{"api": api, "queued": n})
	case "/sandbox/jobs":
		type jobJSON struct {
			MsgID       int64  `json:"msg_id"`
			ClientMsgID string `json:"clientmsgid"`
			Status      string `json:"status"`
			Finished    bool   `json:"finished"`
			Total       int    `json:"total_count"`
			Sent        int    `json:"sent_count"`
			Errors      int    `json:"error_count"`
		}
		out := []jobJSON{}
		for _, j := range s.Jobs() {
			out = append(out, jobJSON{j.MsgID, j.ClientMsgID, j.Status, j.Finished, j.TotalCount, j.SentCount, j.ErrorCount})
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(out)
	default:
		return false
	}
	return true
}
