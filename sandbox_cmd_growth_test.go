package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// `qunfa sandbox -growth N` adds N followers a minute; -followers and -growth are checked.
func TestSandboxCommandGrowth(t *testing.T) {
	for _, bad := range [][]string{{"-followers", "0"}, {"-followers", "2000001"}, {"-growth", "-1"}} {
		if err := runSandbox(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, bad...), io.Discard, io.Discard, nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, []string{"-addr", "127.0.0.1:0", "-followers", "20", "-growth", "600000"}, io.Discard, io.Discard, ready)
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("sandbox command: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	total := func() int {
		res, err := http.Get(base + "/sandbox/followers")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Total int }
		json.NewDecoder(res.Body).Decode(&body)
		return body.Total
	}
	for range 200 { // 10,000 a second: a hang guard, not a timing assertion
		if total() > 20 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d followers: the population does not grow", total())
}
