package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// control posts (or gets) a /sandbox/ control and decodes its JSON answer.
func (h *harness) control(method, pathQuery string, out any) int {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+pathQuery, nil)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			h.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func (h *harness) holdState(api string) string {
	var st map[string]string
	h.control(http.MethodGet, "/sandbox/hold?api="+api, &st)
	return st["state"]
}

func waitState(t *testing.T, h *harness, api, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.holdState(api) != want {
		if time.Now().After(deadline) {
			t.Fatalf("hold on %s is %q, want %q", api, h.holdState(api), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sendAsync posts a sendall in the background and returns its decoded answer (nil on a
// transport error) on the channel.
func (h *harness) sendAsync(ctx context.Context, clientMsgID string) <-chan map[string]any {
	out := make(chan map[string]any, 1)
	raw, _ := json.Marshal(textToGroup(103, "hi", clientMsgID))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url("/cgi-bin/message/mass/sendall", nil), bytes.NewReader(raw))
	go func() {
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			out <- nil
			return
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		out <- m
	}()
	return out
}

// A call held before is not processed until released; one held after is processed (the job
// exists) while its answer waits; a client that gives up while held gets nothing and, before,
// WeChat did nothing.
func TestHoldBeforeAndAfter(t *testing.T) {
	h := newHarness(t, Config{})
	const api = "message/mass/sendall"
	if code := h.control(http.MethodPost, "/sandbox/hold?api="+api+"&phase=before", nil); code != http.StatusOK {
		t.Fatalf("hold: HTTP %d", code)
	}
	got := h.sendAsync(context.Background(), "held-1")
	waitState(t, h, api, HoldHeld)
	if n := len(h.s.Jobs()); n != 0 {
		t.Fatalf("%d jobs while held before", n)
	}
	h.control(http.MethodPost, "/sandbox/release?api="+api, nil)
	if r := <-got; r == nil || r["msg_id"] == nil {
		t.Fatalf("released call answered %v", r)
	}
	waitState(t, h, api, HoldAnswered)
	if jobs := h.s.Jobs(); len(jobs) != 1 || jobs[0].ClientMsgID != "held-1" {
		t.Fatalf("jobs %+v", jobs)
	}

	// After: the job exists before the answer leaves.
	h.control(http.MethodPost, "/sandbox/hold?api="+api+"&phase=after", nil)
	got = h.sendAsync(context.Background(), "held-2")
	waitState(t, h, api, HoldHeld)
	var jobs []map[string]any
	h.control(http.MethodGet, "/sandbox/jobs", &jobs)
	if len(jobs) != 2 || jobs[1]["clientmsgid"] != "held-2" {
		t.Fatalf("jobs while the answer is held: %v", jobs)
	}
	select {
	case r := <-got:
		t.Fatalf("held answer arrived: %v", r)
	case <-time.After(50 * time.Millisecond):
	}
	h.s.Release(api)
	if r := <-got; r == nil || r["msg_id"] == nil {
		t.Fatalf("released answer %v", r)
	}

	// A client that goes away while held before: nothing done.
	h.s.Hold(api, HoldBefore)
	ctx, cancel := context.WithCancel(context.Background())
	got = h.sendAsync(ctx, "held-3")
	waitState(t, h, api, HoldHeld)
	cancel()
	<-got
	waitState(t, h, api, HoldDropped)
	h.s.Release(api) // too late: nothing happens
	if n := len(h.s.Jobs()); n != 2 {
		t.Fatalf("%d jobs after a dropped held call, want 2", n)
	}
	if code := h.control(http.MethodPost, "/sandbox/hold?api="+api+"&phase=later", nil); code != http.StatusBadRequest {
		t.Fatalf("bad phase: HTTP %d", code)
	}
}

// FailNextStatus answers a bare HTTP status and does nothing; DropNextAfterAccept does the call
// and closes the connection without an answer.
func TestStatusAndDroppedAnswer(t *testing.T) {
	h := newHarness(t, Config{})
	const path = "/cgi-bin/message/mass/sendall"
	h.control(http.MethodPost, "/sandbox/fail?api=message/mass/sendall&status=502&n=2", nil)
	for range 2 {
		if r := <-h.sendAsync(context.Background(), "s"); r != nil {
			t.Fatalf("a 502 decoded as %v", r)
		}
	}
	if len(h.s.Jobs()) != 0 {
		t.Fatal("a 502 created a job")
	}
	h.s.DropNextAfterAccept(path)
	if r := <-h.sendAsync(context.Background(), "d"); r != nil {
		t.Fatalf("dropped answer arrived: %v", r)
	}
	if jobs := h.s.Jobs(); len(jobs) != 1 || jobs[0].ClientMsgID != "d" {
		t.Fatalf("jobs after a dropped answer: %+v", jobs)
	}
	wantCode(t, h.post(path, textToGroup(103, "hi", "d")), 45065)
}
