package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// shortReadLimits makes the server's read deadlines short for one test (restored after the app it
// starts has stopped: Cleanup runs last-in first-out).
func shortReadLimits(t *testing.T, set func()) {
	saved := readLimits
	t.Cleanup(func() { readLimits = saved })
	set()
}

// dialApp opens a raw connection to the app at base.
func dialApp(t *testing.T, base string) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// cutWithin reads c until the server closes it and returns how long that took from start; the
// test fails if the server keeps it open past limit.
func cutWithin(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %s", limit)
	}
	return time.Since(start)
}

// Trickling clients are cut: one that stops sending its body (stall), one that keeps sending a
// byte now and then (the body's whole deadline), one that trickles its headers, an idle
// keep-alive. A body sent at a normal pace is read whole.
func TestSlowClientsAreCut(t *testing.T) {
	shortReadLimits(t, func() {
		readLimits.header = 400 * time.Millisecond
		readLimits.idle = 400 * time.Millisecond
		readLimits.grace = 800 * time.Millisecond
		readLimits.minRate = 1 << 20 // 1 MiB/s: a 1,000-byte body adds ~1 ms
		readLimits.stall = 400 * time.Millisecond
	})
	base := startApp(t, nil)
	post := "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"

	t.Run("stalled body", func(t *testing.T) {
		c := dialApp(t, base)
		start := time.Now()
		fmt.Fprint(c, post+"username=a")
		if d := cutWithin(t, c, start, 10*time.Second); d < readLimits.stall {
			t.Fatalf("cut after %s, before the %s stall deadline", d, readLimits.stall)
		}
	})
	t.Run("trickled body", func(t *testing.T) {
		c := dialApp(t, base)
		start := time.Now()
		fmt.Fprint(c, post)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a byte every 100 ms: never stalls, never finishes
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					if _, err := c.Write([]byte("a")); err != nil {
						return
					}
				}
			}
		}()
		if d := cutWithin(t, c, start, 10*time.Second); d < readLimits.grace {
			t.Fatalf("cut after %s, before the body's %s deadline", d, readLimits.grace)
		}
	})
	t.Run("trickled headers", func(t *testing.T) {
		c := dialApp(t, base)
		start := time.Now()
		fmt.Fprint(c, "GET /login HTTP/1.1\r\nHost: x\r\n")
		go func() {
			for range 100 {
				time.Sleep(50 * time.Millisecond)
				if _, err := c.Write([]byte("X")); err != nil {
					return
				}
			}
		}()
		if d := cutWithin(t, c, start, 10*time.Second); d < readLimits.header {
			t.Fatalf("cut after %s, before the %s header deadline", d, readLimits.header)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dialApp(t, base)
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if err != nil || !strings.Contains(string(buf[:n]), "200 OK") {
			t.Fatalf("healthz: %q %v", buf[:n], err)
		}
		cutWithin(t, c, time.Now(), 10*time.Second)
	})
	t.Run("prompt body read whole", func(t *testing.T) {
		c := dialApp(t, base)
		body := "username=a&password=" + strings.Repeat("b", 980)
		fmt.Fprint(c, post[:len(post)-len("1000\r\n\r\n")]+fmt.Sprint(len(body))+"\r\nConnection: close\r\n\r\n")
		for i := 0; i < len(body); i += 100 { // in ten pieces, well within the deadlines
			c.Write([]byte(body[i:min(i+100, len(body))]))
			time.Sleep(20 * time.Millisecond)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply, err := io.ReadAll(c)
		// No CSRF token: the form was read whole and refused for that (403), not cut (400/408).
		if err != nil || !strings.HasPrefix(string(reply), "HTTP/1.1 403") {
			t.Fatalf("prompt body: %.120q %v", reply, err)
		}
	})
}

// Connections beyond the cap wait to be accepted: with two held, a third is answered only once
// the server has cut one of them.
func TestConnectionCap(t *testing.T) {
	shortReadLimits(t, func() {
		readLimits.maxConns = 2
		readLimits.header = time.Second
	})
	base := startApp(t, nil)
	time.Sleep(200 * time.Millisecond) // let start-up's own requests, if any, finish
	held := []net.Conn{dialApp(t, base), dialApp(t, base)}
	start := time.Now()
	for _, c := range held {
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // headers never finished
	}
	third := dialApp(t, base)
	fmt.Fprint(third, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, err := io.ReadAll(third)
	if err != nil || !strings.Contains(string(reply), "200 OK") {
		t.Fatalf("third connection: %q %v", reply, err)
	}
	if d := time.Since(start); d < readLimits.header*8/10 {
		t.Fatalf("the third connection was served after %s, while two were held (cap 2, header deadline %s)", d, readLimits.header)
	}
}
