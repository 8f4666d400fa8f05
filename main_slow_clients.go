package main

import (
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// readLimits bounds how long a client may take to send a request, so that trickling connections
// cannot hold the server's descriptors for as long as they like. A legitimate upload on a slow
// link still gets through: the body's deadline grows with its declared size, at minRate. With the
// defaults the largest form (an 8 MiB draft) may take 30 s + 8 MiB / 32 KiB/s ≈ 4.8 min, a 1 MB
// image 1 min, a callback push or a login 30 s; and no 20 s may pass without a byte.
// Tests shorten them.
var readLimits = struct {
	header   time.Duration // request line and headers (http.Server.ReadHeaderTimeout)
	idle     time.Duration // keep-alive wait for the next request (http.Server.IdleTimeout)
	grace    time.Duration // a body's deadline before its size is counted
	minRate  int64         // bytes per second a body is allowed to average, at the slowest
	maxBody  int64         // the size assumed when none is declared (chunked): the largest form
	stall    time.Duration // longest wait for the next bytes of a body
	maxConns int           // connections served at once; more wait in the kernel's queue
}{
	header:   10 * time.Second,
	idle:     2 * time.Minute,
	grace:    30 * time.Second,
	minRate:  32 << 10,
	maxBody:  8 << 20,
	stall:    20 * time.Second,
	maxConns: 1024,
}

// limitConnections caps the connections served at once (netutil.LimitListener): beyond the cap,
// new ones wait to be accepted instead of each taking a descriptor and a goroutine.
func limitConnections(ln net.Listener) net.Listener {
	if readLimits.maxConns <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, readLimits.maxConns)
}

// bodyDeadlines gives each request body a read deadline (http.ResponseController): grace plus
// its declared length at minRate, and no longer than stall between two reads. A body cut off
// makes the handler's read fail (a 413 or 400 page, or the connection closed); the handler's
// work on what it has read is unaffected.
func bodyDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		size := r.ContentLength
		if size < 0 || size > readLimits.maxBody {
			size = readLimits.maxBody
		}
		total := readLimits.grace
		if readLimits.minRate > 0 {
			total += time.Duration(size) * time.Second / time.Duration(readLimits.minRate)
		}
		rc := http.NewResponseController(w)
		d := &deadlineBody{ReadCloser: r.Body, rc: rc, end: time.Now().Add(total), stall: readLimits.stall}
		d.extend()
		r.Body = d
		next.ServeHTTP(w, r)
	})
}

// deadlineBody moves the connection's read deadline before each read: stall from now, never past end.
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	end   time.Time
	stall time.Duration
}

func (d *deadlineBody) extend() {
	t := d.end
	if d.stall > 0 {
		if s := time.Now().Add(d.stall); s.Before(t) {
			t = s
		}
	}
	_ = d.rc.SetReadDeadline(t) // not supported (a test's recorder): no deadline, as before
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	d.extend()
	n, err := d.ReadCloser.Read(p)
	if err == io.EOF {
		// The whole body is in: the server now reads in the background to notice a client that
		// hangs up, and a deadline passing there would cancel the request's context.
		_ = d.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
