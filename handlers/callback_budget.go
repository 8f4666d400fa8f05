package handlers

import (
	"sync"
	"time"
)

// unparsedBudget caps what signed pushes that could not be parsed may store: so many bodies and
// so many bytes per window. WeChat sends such a push only when it invents an event, rarely; a
// stream of them is junk under a replayed or leaked signature. Past the budget a push is only
// counted and logged, without its body.
type unparsedBudget struct {
	window   time.Duration
	maxCount int
	maxBytes int

	mu      sync.Mutex
	start   time.Time
	count   int
	bytes   int
	refused int
}

// Default budget: 100 bodies and 1 MiB per five minutes.
const (
	unparsedMaxCount = 100
	unparsedMaxBytes = 1 << 20
)

func newUnparsedBudget(window time.Duration, maxCount, maxBytes int) *unparsedBudget {
	return &unparsedBudget{window: window, maxCount: maxCount, maxBytes: maxBytes}
}

// take reports whether a body of n bytes may be stored now; when not, refused is how many were
// turned away in this window so far (this one included).
func (b *unparsedBudget) take(now time.Time, n int) (ok bool, refused int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= b.window || now.Before(b.start) {
		b.start, b.count, b.bytes, b.refused = now, 0, 0, 0
	}
	if b.count+1 > b.maxCount || b.bytes+n > b.maxBytes {
		b.refused++
		return false, b.refused
	}
	b.count++
	b.bytes += n
	return true, 0
}
