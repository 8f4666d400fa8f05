package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// TestKillAtEachStepOfASend kills the real binary with SIGKILL at each step of a send and starts
// it again on the same database: the send ends finished, with exactly one job at WeChat under
// its clientmsgid and the msg_id WeChat gave it. The step is chosen without any hook in Qunfa:
// the sandbox (here in the test process, driven through its HTTP controls as `qunfa sandbox`
// would be) holds the call of that step, before or after acting on it; "before the msg_id is
// written" also holds the database's write lock, so the answer arrives and cannot be stored.
func TestKillAtEachStepOfASend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "qunfa")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name, api, phase string
		lockDB           bool
		// at the kill: what the database and WeChat hold
		sendState, batchState string
		jobs                  int
	}{
		{name: "after the intent", api: "material/add_material", phase: sandbox.HoldBefore,
			sendState: "uploading", batchState: "queued"},
		{name: "after the cover upload", api: "draft/add", phase: sandbox.HoldBefore,
			sendState: "uploading", batchState: "queued"},
		{name: "after the news upload, its media id not stored", api: "draft/add", phase: sandbox.HoldAfter,
			sendState: "uploading", batchState: "queued"},
		{name: "after the submit intent", api: "message/mass/sendall", phase: sandbox.HoldBefore,
			sendState: "submitting", batchState: "submitting"},
		{name: "after the submit, WeChat has it", api: "message/mass/sendall", phase: sandbox.HoldAfter,
			sendState: "submitting", batchState: "submitting", jobs: 1},
		{name: "answer received, before the msg_id is written", api: "message/mass/sendall", phase: sandbox.HoldBefore, lockDB: true,
			sendState: "submitting", batchState: "submitting", jobs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKillRig(t, bin)
			id := k.commitIntent()
			k.control("/sandbox/hold", url.Values{"api": {tc.api}, "phase": {tc.phase}})
			p := k.startQunfa()
			k.waitHold(tc.api, sandbox.HoldHeld)
			var lock *sql.Conn
			if tc.lockDB {
				lock = k.writeLock()
				k.control("/sandbox/release", url.Values{"api": {tc.api}})
				k.waitHold(tc.api, sandbox.HoldAnswered)
				time.Sleep(300 * time.Millisecond) // Qunfa reads the answer and waits for the lock (5 s)
			}
			if err := p.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = p.Wait()
			if lock != nil {
				if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
					t.Fatal(err)
				}
				_ = lock.Close()
			} else {
				k.waitHold(tc.api, sandbox.HoldDropped) // its connection closed with the process
			}

			sendState, batchState, msgID := k.row(id)
			if sendState != tc.sendState || batchState != tc.batchState || msgID != 0 || len(k.sim.Jobs()) != tc.jobs {
				t.Fatalf("at the kill: send %s, batch %s, msg_id %d, %d jobs at WeChat; want %s, %s, 0, %d",
					sendState, batchState, msgID, len(k.sim.Jobs()), tc.sendState, tc.batchState, tc.jobs)
			}

			p = k.startQunfa()
			k.waitFinished(id)
			_ = p.Process.Signal(syscall.SIGTERM)
			if err := p.Wait(); err != nil {
				t.Fatalf("qunfa after SIGTERM: %v", err)
			}
			st, err := models.Open(k.db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			assertOneSendEach(t, k.sim, models.NewService(st, nil, models.Rules{}, nil), func() {}, id)
		})
	}
}

type killRig struct {
	t      *testing.T
	bin    string
	dir    string
	db     string
	addr   string // Qunfa's listen address, fixed across restarts (the sandbox pushes there)
	sim    *sandbox.Server
	simURL string
}

func newKillRig(t *testing.T, bin string) *killRig {
	dir := t.TempDir()
	k := &killRig{t: t, bin: bin, dir: dir, db: filepath.Join(dir, "qunfa.db"), addr: freeAddr(t)}
	k.sim = sandbox.New(sandbox.Config{
		AppID: sandboxAccount.AppID, AppSecret: sandboxAccount.Secret, Token: sandboxAccount.Token,
		CallbackURL: "http://" + k.addr + "/wechat/callback", DailyQuota: 1000, Followers: 300,
		FinishDelay: 200 * time.Millisecond, PushRetryGap: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(k.sim)
	t.Cleanup(func() { srv.Close(); k.sim.Close() })
	k.simURL = srv.URL
	return k
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// commitIntent does what the send form does, in this process before Qunfa starts: the send,
// its batch and clientmsgid committed, queued for the worker.
func (k *killRig) commitIntent() uint {
	t := k.t
	st, err := models.Open(k.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.UseDefaultProfile(ctx, false); err != nil { // as Qunfa will, on a real account
		t.Fatal(err)
	}
	client := wechat.NewClient(wechat.Config{BaseURL: k.simURL, AppID: sandboxAccount.AppID,
		AppSecret: sandboxAccount.Secret, TokenStore: st.AccessTokens(sandboxAccount.AppID)})
	r := &faultRig{t: t, store: st, svc: models.NewService(st, gateway{client}, models.Rules{DailyQuota: 1000}, nil)}
	if _, err := st.CreateFirstOperator(ctx, "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return r.start("kill")
}

func (k *killRig) startQunfa() *exec.Cmd {
	t := k.t
	p := exec.Command(k.bin)
	p.Env = append(os.Environ(),
		"QUNFA_DB="+k.db, "QUNFA_ADDR="+k.addr, "QUNFA_WECHAT_API="+k.simURL, "QUNFA_SANDBOX=false",
		"QUNFA_APPID="+sandboxAccount.AppID, "QUNFA_APPSECRET="+sandboxAccount.Secret, "QUNFA_TOKEN="+sandboxAccount.Token,
		"QUNFA_DAILY_QUOTA=1000")
	var out bytes.Buffer
	p.Stdout, p.Stderr = &out, &out
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.ProcessState == nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		if t.Failed() {
			t.Logf("qunfa's output:\n%s", out.String())
		}
	})
	return p
}

func (k *killRig) control(path string, q url.Values) {
	k.t.Helper()
	resp, err := http.Post(k.simURL+path+"?"+q.Encode(), "", nil)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		k.t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, b)
	}
}

func (k *killRig) waitHold(api, want string) {
	k.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(k.simURL + "/sandbox/hold?api=" + url.QueryEscape(api))
		if err != nil {
			k.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(b, []byte(`"state":"`+want+`"`)) {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("hold on %s: %s, want %s", api, b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeLock takes the database's write lock from another connection, as a second writer would.
func (k *killRig) writeLock() *sql.Conn {
	k.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+k.db+"?_busy_timeout=5000")
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(func() { db.Close() })
	c, err := db.Conn(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	if _, err := c.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		k.t.Fatal(err)
	}
	return c
}

// row reads the send's and its batch's state and msg_id, read-only, while Qunfa may run.
func (k *killRig) row(id uint) (sendState, batchState string, msgID int64) {
	k.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+k.db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		k.t.Fatal(err)
	}
	defer db.Close()
	err = db.QueryRow(`SELECT s.state, b.state, b.msg_id FROM sends s JOIN send_batches b ON b.send_id = s.id WHERE s.id = ?`, id).
		Scan(&sendState, &batchState, &msgID)
	if err != nil {
		k.t.Fatal(err)
	}
	return
}

func (k *killRig) waitFinished(id uint) {
	k.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, b, _ := k.row(id)
		if s == "finished" || s == "failed" {
			if s != "finished" {
				k.t.Fatalf("send %s (batch %s) after the restart", s, b)
			}
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatal(fmt.Sprintf("send still %s (batch %s) a minute after the restart", s, b))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
