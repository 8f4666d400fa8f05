package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"qunfa/handlers"
	"qunfa/models"
	"qunfa/static"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// Fault injection in one process: the real pipeline (models.Service with the production rules),
// the real WeChat client and gateway, the sandbox over loopback HTTP, and the dashboard's
// callback endpoint receiving the sandbox's MASSSENDJOBFINISH. Only the worker's clock is
// injected, so "minutes" of retry waits pass at once. Each test ends by counting the jobs the
// sandbox accepted per clientmsgid (one per batch: one WeChat send per operator intent) and by
// checking the send's state and figures against the sandbox's.

const (
	pathSendAll    = "/cgi-bin/message/mass/sendall"
	pathUploadNews = "/cgi-bin/media/uploadnews"
	pathUploadThmb = "/cgi-bin/media/upload"
)

// stepClock is the worker's clock: real time plus what the test added.
type stepClock struct {
	mu  sync.Mutex
	add time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.add)
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add += d
}

type faultRig struct {
	t      *testing.T
	sim    *sandbox.Server
	simLn  net.Listener
	simSrv *http.Server
	addr   string // the sandbox's address, kept across an outage
	store  *models.Store
	svc    *models.Service
	clock  *stepClock
	path   string
}

// newFaultRig wires the pipeline to a sandbox; timeout bounds each WeChat call.
func newFaultRig(t *testing.T, timeout time.Duration) *faultRig {
	t.Helper()
	r := &faultRig{t: t, clock: &stepClock{}}
	logger := slog.New(slog.DiscardHandler)
	r.path = t.TempDir() + "/qunfa.db"
	st, err := models.Open(r.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r.store = st
	ctx := context.Background()
	if err := st.UseDefaultProfile(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFirstOperator(ctx, "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	client := wechat.NewClient(wechat.Config{
		BaseURL: "http://" + r.listenSandbox(""), AppID: sandboxAccount.AppID, AppSecret: sandboxAccount.Secret,
		TokenStore: st.AccessTokens(sandboxAccount.AppID), RequestTimeout: timeout,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, Logger: logger,
	})
	// Production pacing (retries 10 s apart, doubling; 5 attempts), on the injected clock.
	r.svc = models.NewService(st, gateway{client}, models.Rules{DailyQuota: 1000, Now: r.clock.Now}, logger)
	app := httptest.NewServer(handlers.New(handlers.Deps{
		Service: r.svc, Static: static.FS, Logger: logger, Now: time.Now,
		Codec: func() wechat.Codec {
			return wechat.Codec{Token: sandboxAccount.Token, AppID: sandboxAccount.AppID}
		},
	}))
	t.Cleanup(app.Close)
	r.sim = sandbox.New(sandbox.Config{
		AppID: sandboxAccount.AppID, AppSecret: sandboxAccount.Secret, Token: sandboxAccount.Token,
		CallbackURL: app.URL + "/wechat/callback", DailyQuota: 1000, Followers: 300,
		FinishDelay: time.Hour, // jobs finish when the test says (FinishPending)
		Logger:      logger,
	})
	t.Cleanup(r.sim.Close)
	r.serveSandbox()
	return r
}

// listenSandbox opens the sandbox's port (addr "" picks one) and returns its address.
func (r *faultRig) listenSandbox(addr string) string {
	r.t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var err error
	for i := 0; i < 50; i++ { // the port of a closed listener may take a moment to be free
		if r.simLn, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = r.simLn.Addr().String()
	return r.addr
}

func (r *faultRig) serveSandbox() {
	srv := &http.Server{Handler: r.sim}
	r.simSrv = srv
	go srv.Serve(r.simLn)
	r.t.Cleanup(func() { _ = srv.Close() })
}

// down closes the sandbox's port: WeChat cannot be reached (connection refused).
func (r *faultRig) down() { _ = r.simSrv.Close() }

// up opens the same port again.
func (r *faultRig) up() {
	r.listenSandbox(r.addr)
	r.serveSandbox()
}

// start commits one operator intent: a send of a one-article draft to everyone.
func (r *faultRig) start(key string) uint {
	r.t.Helper()
	ctx := context.Background()
	th, err := r.svc.SaveThumb(ctx, "cover.jpg", jpegCover(r.t))
	if err != nil {
		r.t.Fatal(err)
	}
	d, err := r.svc.SaveDraft(ctx, 0, models.DraftInput{Articles: []models.ArticleInput{
		{Title: "故障演练 " + key, Content: "<p>正文</p>", ThumbID: th.ID}}}, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	s, err := r.svc.StartSend(ctx, models.SendInput{DraftID: d.ID, Target: models.TargetAll, Key: key}, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	return s.ID
}

// jpegCover is a small valid JPEG for a draft's cover.
func jpegCover(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := range 32 {
		img.Set(x, x, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pass runs one worker pass, then moves the worker's clock on by step.
func (r *faultRig) pass(step time.Duration) {
	r.t.Helper()
	if err := r.svc.RunOnce(context.Background()); err != nil {
		r.t.Fatalf("worker pass: %v", err)
	}
	r.clock.Advance(step)
}

// passUntil runs passes a minute apart until the send leaves the worker's hands.
func (r *faultRig) passUntil(id uint, max int) models.Send {
	r.t.Helper()
	for range max {
		r.pass(time.Minute)
		if s := r.send(id); s.State != models.StateQueued && s.State != models.StateUploading && s.State != models.StateSubmitting {
			return s
		}
	}
	return r.send(id)
}

func (r *faultRig) send(id uint) models.Send {
	r.t.Helper()
	s, err := r.svc.Send(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// oneSendEach asserts the sandbox accepted exactly one job per batch of each send, under the
// batch's clientmsgid and with the msg_id the send recorded, and no other job; then lets the
// jobs finish and asserts each send finished with the sandbox's figures.
func (r *faultRig) oneSendEach(ids ...uint) {
	r.t.Helper()
	assertOneSendEach(r.t, r.sim, r.svc, func() { r.sim.FinishPending() }, ids...)
}

func assertOneSendEach(t *testing.T, sim *sandbox.Server, svc *models.Service, finish func(), ids ...uint) {
	t.Helper()
	ctx := context.Background()
	byClient := map[string][]sandbox.Job{}
	jobs := sim.Jobs()
	for _, j := range jobs {
		byClient[j.ClientMsgID] = append(byClient[j.ClientMsgID], j)
	}
	batches := 0
	for _, id := range ids {
		s, err := svc.Send(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.State != models.StateSubmitted && s.State != models.StateFinished {
			t.Fatalf("send %d is %s (%d %q), want submitted", id, s.State, s.Errcode, s.Errmsg)
		}
		for _, b := range s.Batches {
			batches++
			got := byClient[b.ClientMsgID]
			if len(got) != 1 {
				t.Fatalf("send %d batch %d (%s): %d jobs at WeChat, want exactly 1", id, b.Index, b.ClientMsgID, len(got))
			}
			if b.MsgID == 0 || b.MsgID != got[0].MsgID {
				t.Fatalf("send %d batch %d: msg_id %d recorded, WeChat's job is %d", id, b.Index, b.MsgID, got[0].MsgID)
			}
		}
	}
	if len(jobs) != batches {
		t.Fatalf("WeChat accepted %d jobs for %d batches: %+v", len(jobs), batches, jobs)
	}
	finish()
	deadline := time.Now().Add(10 * time.Second)
	for _, id := range ids {
		for {
			s, err := svc.Send(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.State == models.StateFinished {
				j, _ := sim.Job(s.Batches[0].MsgID)
				if len(s.Batches) != 1 || s.Total != j.TotalCount || s.Sent != j.SentCount || s.Error != j.ErrorCount || s.Status != j.Status || s.Total == 0 {
					t.Fatalf("send %d finished with total %d sent %d errors %d status %q; WeChat's job: %+v", id, s.Total, s.Sent, s.Error, s.Status, j)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("send %d still %s after its job finished", id, s.State)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// A response lost after WeChat took the call — an errcode in place of the answer, a connection
// closed, an answer that never comes before the timeout — is called again with the same
// clientmsgid; WeChat answers 45065 with the msg_id it already gave, and nothing goes out twice.
func TestFaultLostResponse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lose  func(*sandbox.Server)
		calls int // mass calls WeChat sees: the lost ones and the one answered 45065
	}{
		{"errcode after accept", func(s *sandbox.Server) { s.FailNextAfterAccept(pathSendAll, -1) }, 2},
		{"connection closed after accept", func(s *sandbox.Server) { s.DropNextAfterAccept(pathSendAll) }, 2},
		{"timeout after accept", func(s *sandbox.Server) { s.HangNextAfterAccept(pathSendAll) }, 2},
		{"the answer lost, then WeChat silent", func(s *sandbox.Server) {
			s.DropNextAfterAccept(pathSendAll)
			for range 3 { // the calls after it time out, unprocessed: the 45065 comes on a later pass
				s.HangNext(pathSendAll)
			}
		}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFaultRig(t, 300*time.Millisecond)
			tc.lose(r.sim)
			id := r.start("lost")
			r.passUntil(id, 5)
			if n := r.sim.Requests(pathSendAll); n != tc.calls {
				t.Fatalf("%d mass calls reached WeChat, want %d", n, tc.calls)
			}
			r.oneSendEach(id)
		})
	}
}

// Bursts of errcode -1 (system busy) and of HTTP 5xx, at the uploads and at the send, outlast
// the client's own retries and are retried by the worker later: one send, finished.
func TestFaultBurstsOfBusyAnd5xx(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(*sandbox.Server)
		want   map[string]int // calls that reach WeChat per path: the failed ones and the good one
	}{
		{"-1 at the send", func(s *sandbox.Server) {
			for range 6 {
				s.FailNext(pathSendAll, -1)
			}
		}, map[string]int{pathSendAll: 7}},
		{"5xx at the send", func(s *sandbox.Server) {
			for _, st := range []int{502, 503, 500, 504, 502, 503} {
				s.FailNextStatus(pathSendAll, st)
			}
		}, map[string]int{pathSendAll: 7}},
		{"-1 and 5xx at the uploads", func(s *sandbox.Server) {
			for range 5 {
				s.FailNext(pathUploadNews, -1)
			}
			s.FailNext(pathUploadThmb, -1)
			s.FailNextStatus(pathUploadThmb, 502) // after a 5xx the upload may have acted: the worker's retry
		}, map[string]int{pathUploadNews: 6, pathUploadThmb: 3, pathSendAll: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFaultRig(t, time.Second)
			tc.inject(r.sim)
			id := r.start("busy")
			s := r.passUntil(id, 6)
			if s.State != models.StateSubmitted {
				t.Fatalf("send %s (%d %q)", s.State, s.Errcode, s.Errmsg)
			}
			for path, n := range tc.want {
				if got := r.sim.Requests(path); got != n {
					t.Errorf("%s: %d calls reached WeChat, want %d", path, got, n)
				}
			}
			r.oneSendEach(id)
		})
	}
}

// Calls WeChat never answers in time (it did nothing: the sandbox holds them unprocessed past
// the client's timeout) are tried again; the send goes out once.
func TestFaultTimeouts(t *testing.T) {
	r := newFaultRig(t, 200*time.Millisecond)
	r.sim.HangNext(pathUploadNews)
	for range 5 {
		r.sim.HangNext(pathSendAll)
	}
	id := r.start("slow")
	if s := r.passUntil(id, 6); s.State != models.StateSubmitted {
		t.Fatalf("send %s (%d %q)", s.State, s.Errcode, s.Errmsg)
	}
	if a, b := r.sim.Requests(pathUploadNews), r.sim.Requests(pathSendAll); a != 2 || b != 6 {
		t.Fatalf("uploadnews reached %d times, sendall %d; want 2 and 6 (each timeout tried again)", a, b)
	}
	r.oneSendEach(id)
}

// The access token expires in the middle of a send — between the uploads and the mass call
// (42001), and as 40001 at an upload — and is fetched again; the send goes on, once.
func TestFaultTokenExpiryMidSend(t *testing.T) {
	r := newFaultRig(t, time.Second)
	r.sim.FailNext(pathUploadNews, 40001)
	if err := r.sim.Hold("message/mass/sendall", sandbox.HoldBefore); err != nil {
		t.Fatal(err)
	}
	id := r.start("token")
	done := make(chan error, 1)
	go func() { done <- r.svc.RunOnce(context.Background()) }()
	waitHold(t, r.sim, "message/mass/sendall", sandbox.HoldHeld)
	r.sim.ExpireTokens() // the uploads were made with it; the held send will be refused 42001
	r.sim.Release("message/mass/sendall")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := r.send(id); s.State != models.StateSubmitted {
		t.Fatalf("send %s (%d %q) after the token expired mid-send", s.State, s.Errcode, s.Errmsg)
	}
	if n := r.sim.Requests("/cgi-bin/token"); n != 3 {
		t.Fatalf("%d token fetches, want 3 (the first, after 40001, after 42001)", n)
	}
	r.oneSendEach(id)
}

func waitHold(t *testing.T, sim *sandbox.Server, api, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sim.HoldState(api) != want {
		if time.Now().After(deadline) {
			t.Fatalf("hold on %s is %q, want %q", api, sim.HoldState(api), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WeChat cannot be reached for minutes (its port closed: connection refused), from the start
// of a send and again in the middle of its mass call. The send waits and goes out once when
// WeChat is back, instead of being failed after the five attempts of a short outage.
func TestFaultWeChatUnreachableForMinutes(t *testing.T) {
	r := newFaultRig(t, time.Second)
	id := r.start("outage")
	ctx := context.Background()
	r.down()
	// A connection kept alive from before the outage counts once (it might have reached WeChat),
	// and the next pass records a call for it; from then on nothing more is counted.
	r.pass(time.Minute)
	r.pass(time.Minute)
	left, err := r.svc.QuotaLeft(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 { // 20 more minutes of the worker's clock, a pass a minute
		r.pass(time.Minute)
	}
	if s := r.send(id); s.State == models.StateFailed {
		t.Fatalf("send failed during a 20-minute outage: %d %q", s.Errcode, s.Errmsg)
	}
	if now, err := r.svc.QuotaLeft(ctx); err != nil || now != left {
		t.Fatalf("quota left %d after 20 minutes of outage, %d before (%v): calls that reached nothing were counted", now, left, err)
	}
	if len(r.sim.Jobs()) != 0 {
		t.Fatal("a job reached WeChat while it was down")
	}
	r.up()
	// Down again while the mass call is in flight: the connection drops, then nothing answers.
	if err := r.sim.Hold("message/mass/sendall", sandbox.HoldBefore); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.svc.RunOnce(context.Background()) }()
	waitHold(t, r.sim, "message/mass/sendall", sandbox.HoldHeld)
	r.down()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range 15 {
		r.pass(time.Minute)
	}
	if s := r.send(id); s.State != models.StateSubmitting {
		t.Fatalf("send %s (%d %q) during the second outage, want submitting", s.State, s.Errcode, s.Errmsg)
	}
	r.up()
	if s := r.passUntil(id, 10); s.State != models.StateSubmitted {
		t.Fatalf("send %s (%d %q) once WeChat was back", s.State, s.Errcode, s.Errmsg)
	}
	r.oneSendEach(id)
}
