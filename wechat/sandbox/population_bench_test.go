package sandbox

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"testing"
	"time"
)

// legacyPopulation is the population as it was before issue 7 (a stored OpenID per follower and a
// map from OpenID to position), kept here only as the benchmarks' baseline.
type legacyFollower struct {
	openID  string
	groupID int64
	refuses bool
}

type legacyPopulation struct {
	followers []legacyFollower
	index     map[string]int
}

func newLegacyPopulation(n int) *legacyPopulation {
	rng := rand.New(rand.NewPCG(2014, 3))
	p := &legacyPopulation{index: make(map[string]int, n)}
	newID := func() string {
		for {
			b := []byte("oV5Crj")
			for len(b) < 28 {
				b = append(b, openIDAlphabet[rng.IntN(len(openIDAlphabet))])
			}
			if _, dup := p.index[string(b)]; !dup {
				return string(b)
			}
		}
	}
	p.followers = make([]legacyFollower, 0, n)
	for i := range n {
		f := legacyFollower{openID: newID()}
		if i < testGroupSize {
			f.groupID = GroupTest
		} else {
			x := rng.IntN(1000)
			for _, g := range demoGroups {
				if x < g.share {
					f.groupID = g.id
					break
				}
				x -= g.share
			}
			f.refuses = rng.IntN(1000) < refuseShare
		}
		p.index[f.openID] = len(p.followers)
		p.followers = append(p.followers, f)
	}
	return p
}

// heapAfter builds with build and returns the time it took and the live heap it added.
func heapAfter(build func() any) (time.Duration, uint64, any) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	v := build()
	d := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	return d, after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc), v
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPopulation1M builds a 1,000,000-follower sandbox and the pre-issue-7 population
// (baseline) in alternation, 3 rounds, and reports the medians: build time and live heap each,
// and their ratios. Run: go test -run '^$' -bench Population1M -benchtime=1x ./wechat/sandbox/
func BenchmarkPopulation1M(b *testing.B) {
	const n = 1_000_000
	var newT, oldT, newM, oldM []float64
	for b.Loop() {
		for range 3 {
			d, m, keep := heapAfter(func() any {
				return New(Config{Followers: n, Logger: slog.New(slog.DiscardHandler)})
			})
			keep.(*Server).Close()
			newT, newM = append(newT, d.Seconds()*1000), append(newM, float64(m)/(1<<20))
			d, m, keep = heapAfter(func() any { return newLegacyPopulation(n) })
			runtime.KeepAlive(keep)
			oldT, oldM = append(oldT, d.Seconds()*1000), append(oldM, float64(m)/(1<<20))
		}
	}
	b.ReportMetric(median(newT), "build-ms")
	b.ReportMetric(median(oldT), "baseline-build-ms")
	b.ReportMetric(median(newT)/median(oldT), "build-ratio")
	b.ReportMetric(median(newM), "heap-MiB")
	b.ReportMetric(median(oldM), "baseline-heap-MiB")
	b.ReportMetric(median(newM)/median(oldM), "heap-ratio")
}

// BenchmarkServe1M is a full sync against a 1,000,000-follower sandbox in process (no network):
// user/get 100 pages of 10,000 (user-get-s alone), then user/info/batchget 10,000 calls of 100. The baseline is the
// floor any server pays: JSON-encoding the same answers from slices built beforehand. Both run in
// alternation, 3 rounds; medians and the ratio are reported, with the heap the sandbox adds
// while it serves. Run: go test -run '^$' -bench Serve1M -benchtime=1x ./wechat/sandbox/
func BenchmarkServe1M(b *testing.B) {
	const n = 1_000_000
	s := New(Config{AppID: testAppID, AppSecret: testSecret, Followers: n, Logger: slog.New(slog.DiscardHandler)})
	defer s.Close()
	call := func(method, target string, body []byte) []byte {
		rec := httptest.NewRecorder()
		var req *http.Request
		if body != nil {
			req = httptest.NewRequest(method, target, bytes.NewReader(body))
		} else {
			req = httptest.NewRequest(method, target, nil)
		}
		s.ServeHTTP(rec, req)
		return rec.Body.Bytes()
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(call(http.MethodGet, "/cgi-bin/token?grant_type=client_credential&appid="+testAppID+"&secret="+testSecret, nil), &tok)
	q := "?access_token=" + tok.AccessToken

	var listT []float64 // the user/get phase alone
	sync := func() int {
		t0 := time.Now()
		var all []string
		next := ""
		for {
			var page struct {
				Count int `json:"count"`
				Data  struct {
					OpenID []string `json:"openid"`
				} `json:"data"`
				NextOpenID string `json:"next_openid"`
			}
			if err := json.Unmarshal(call(http.MethodGet, "/cgi-bin/user/get"+q+"&next_openid="+url.QueryEscape(next), nil), &page); err != nil {
				b.Fatal(err)
			}
			if page.Count == 0 {
				break
			}
			all = append(all, page.Data.OpenID...)
			next = page.NextOpenID
		}
		listT = append(listT, time.Since(t0).Seconds())
		got := 0
		type item struct {
			OpenID string `json:"openid"`
			Lang   string `json:"lang"`
		}
		list := make([]item, 100)
		for i := 0; i < len(all); i += 100 {
			for j := range list {
				list[j] = item{all[i+j], "zh_CN"}
			}
			body, _ := json.Marshal(map[string]any{"user_list": list})
			var out struct {
				List []json.RawMessage `json:"user_info_list"`
			}
			if err := json.Unmarshal(call(http.MethodPost, "/cgi-bin/user/info/batchget"+q, body), &out); err != nil {
				b.Fatal(err)
			}
			got += len(out.List)
		}
		return got
	}
	// The floor: the same bodies encoded from prepared values, and decoded as the client does.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = openIDOf(i)
	}
	infos := make([]userInfo, 100)
	for i := range infos {
		infos[i] = s.info(i)
	}
	floor := func() int {
		got := 0
		for p := 0; p < n; p += userPageSize {
			raw, _ := json.Marshal(userPage{Total: n, Count: userPageSize, Data: &openIDList{ids[p : p+userPageSize]}, NextOpenID: ids[p+userPageSize-1]})
			var page userPage
			json.Unmarshal(raw, &page)
		}
		for i := 0; i < n; i += 100 {
			body, _ := json.Marshal(map[string]any{"user_list": ids[i : i+100]})
			var in map[string]any
			json.Unmarshal(body, &in)
			raw, _ := json.Marshal(map[string]any{"user_info_list": infos})
			var out struct {
				List []json.RawMessage `json:"user_info_list"`
			}
			json.Unmarshal(raw, &out)
			got += len(out.List)
		}
		return got
	}
	var serveT, floorT []float64
	var peak uint64
	for b.Loop() {
		for range 3 {
			var ms runtime.MemStats
			runtime.GC()
			t0 := time.Now()
			if got := sync(); got != n {
				b.Fatalf("synced %d", got)
			}
			serveT = append(serveT, time.Since(t0).Seconds())
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapSys)
			t0 = time.Now()
			if got := floor(); got != n {
				b.Fatalf("floor %d", got)
			}
			floorT = append(floorT, time.Since(t0).Seconds())
		}
	}
	b.ReportMetric(median(listT), "user-get-s")
	b.ReportMetric(median(serveT), "sync-s")
	b.ReportMetric(median(floorT), "baseline-s")
	b.ReportMetric(median(serveT)/median(floorT), "ratio")
	b.ReportMetric(float64(peak)/(1<<20), "heap-sys-MiB")
}
