package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// On shutdown a request already being received is finished and answered, then
// the process stops and the database is closed cleanly (SQLite folds its WAL
// back and removes it).
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "qunfa.db")
	// Events instead of sleeps: a connection starts being read; the shutdown has begun.
	reading, shuttingDown := make(chan struct{}), make(chan struct{})
	var readingOnce sync.Once
	serverHooks.connState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			readingOnce.Do(func() { close(reading) })
		}
	}
	serverHooks.onShutdown = func() { close(shuttingDown) }
	t.Cleanup(func() { serverHooks.connState, serverHooks.onShutdown = nil, nil })
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, envOf(map[string]string{"QUNFA_DB": db, "QUNFA_ADDR": "127.0.0.1:0"}), io.Discard, io.Discard, ready)
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}

	// A callback whose body arrives slowly: half now, the rest after shutdown began.
	pr, pw := io.Pipe()
	// A fresh timestamp, so the handler reads the whole body before it checks the signature.
	req, _ := http.NewRequest(http.MethodPost, base+"/wechat/callback?nonce=n&signature=x&timestamp="+strconv.FormatInt(time.Now().Unix(), 10), pr)
	answered := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request cut off: %v", err)
			answered <- nil
			return
		}
		answered <- res
	}()
	pw.Write([]byte("<xml><ToUserName>"))
	waitFor(t, reading, "the server to start reading the request")
	cancel()
	waitFor(t, shuttingDown, "the shutdown to begin") // it now waits for the request
	pw.Write([]byte("gh</ToUserName></xml>"))
	pw.Close()

	if res := <-answered; res != nil {
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden { // unsigned: refused, but answered
			t.Errorf("in-flight request answered %d, want 403", res.StatusCode)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := os.Stat(db + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the database was not closed cleanly (WAL file left: %v)", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func waitFor(t *testing.T, event <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-event:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
