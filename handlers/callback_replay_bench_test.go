package handlers

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"qunfa/wechat"
)

// BenchmarkReplayGuard is the replay check's own cost per push (claim and settle, with a table
// already holding the pairs of a 5-minute storm of 1,000 pushes a second, and pruning as the
// clock moves), beside what an SDK-style handler spends on one push in the same run (sdk: the
// request, signature check, parse and "success"). The log gives the ratio.
//
//	go test -run '^$' -bench BenchmarkReplayGuard -benchtime 2000x ./handlers/
func BenchmarkReplayGuard(b *testing.B) {
	ta := newTestApp(b)
	sdk := httptest.NewServer(sdkCallback(func() wechat.Codec { return ta.codec }))
	b.Cleanup(sdk.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	g := newReplayGuard(5 * time.Minute)
	clock := time.Unix(1_700_000_000, 0)
	const storm = 300_000 // 1,000 a second for the 5-minute window
	for i := range storm {
		ts := clock.Add(time.Duration(i-storm) * time.Millisecond)
		g.claim(ts, ts.Unix(), "pre"+strconv.Itoa(i), []byte("x"))
		g.settle(ts.Unix(), "pre"+strconv.Itoa(i), true)
	}
	seq := 0
	interleaved(b, 7, []string{"sdk", "guard"}, nil, func(b *testing.B, name string) {
		pushes := make([]sealedPush, b.N)
		for i := range pushes {
			pushes[i] = ta.sealPush(b, jobPush(ta, int64(9_000_000+i), 97), false)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if name == "sdk" {
				postPush(b, client, sdk.URL, pushes[i])
				continue
			}
			seq++
			clock = clock.Add(time.Millisecond) // 1,000 a second: the oldest pairs are pruned as it goes
			nonce := "n" + strconv.Itoa(seq)
			if g.claim(clock, clock.Unix(), nonce, pushes[i].body) != replayNew {
				b.Fatal("a fresh pair was not new")
			}
			g.settle(clock.Unix(), nonce, true)
		}
	})
	b.Logf("pairs remembered at the end: %d", g.size())
}
