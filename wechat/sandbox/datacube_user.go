package sandbox

import (
	"net/http"
	"sort"
	"time"
)

// User analytics (protocol §12): datacube/getusersummary and getusercumulate, computed from the
// population itself, so they agree with user/get's total and user/info's subscribe_time:
//
//   - new_user on day D: followers whose subscribe time falls on D (the initial population's
//     spread over the years before the sandbox started, then growth and Subscribe), by source
//     (the subscribe scene's user_source); cancel_user: Unsubscribe's leavers that day (source 0);
//   - cumulate_user: followers subscribed by the end of D, less those who had left by then.
//
// The rules: body {"begin_date","end_date"} as 2006-01-02 (else 61500), end not before begin
// and at most 7 days (else 61501); a day is published after 08:00 Beijing the next day, and a
// day not published yet is left out of the list ({"list":[]} when none is).

// userSpanDays is the longest span of a user-analytics call.
const userSpanDays = 7

// sourceOf maps a subscribe scene to getusersummary's user_source (§12): 0 other, 1 search,
// 17 business card, 30 QR code, 100 WeChat ads.
var sourceOf = map[string]int{
	"ADD_SCENE_SEARCH": 1, "ADD_SCENE_QR_CODE": 30, "ADD_SCENE_PROFILE_CARD": 17,
	"ADD_SCENE_WECHAT_ADVERTISEMENT": 100,
}

// leave is one follower's unsubscription.
type leave struct {
	k  int
	at int64
}

// userDays parses and checks a datacube date body and returns the published days of it.
func (s *Server) userDays(r *http.Request) ([]time.Time, *apiError) {
	var req struct {
		BeginDate string `json:"begin_date"`
		EndDate   string `json:"end_date"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	begin, err1 := time.ParseInLocation(time.DateOnly, req.BeginDate, beijing)
	end, err2 := time.ParseInLocation(time.DateOnly, req.EndDate, beijing)
	if err1 != nil || err2 != nil {
		return nil, fail(61500)
	}
	if end.Before(begin) || end.Sub(begin) >= userSpanDays*24*time.Hour {
		return nil, fail(61501)
	}
	now := s.now()
	var days []time.Time
	for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
		if !now.Before(d.AddDate(0, 0, 1).Add(8 * time.Hour)) {
			days = append(days, d)
		}
	}
	return days, nil
}

type userSummaryItem struct {
	RefDate    string `json:"ref_date"`
	UserSource int    `json:"user_source"`
	NewUser    int    `json:"new_user"`
	CancelUser int    `json:"cancel_user"`
}

type userCumulateItem struct {
	RefDate      string `json:"ref_date"`
	UserSource   int    `json:"user_source"` // undocumented, always 0 in real answers (§12)
	CumulateUser int    `json:"cumulate_user"`
}

// getUserSummary serves POST /datacube/getusersummary: per day a source-0 row (with the day's
// cancellations, zeros on a quiet day) and a row for each other source with new followers.
func (s *Server) getUserSummary(r *http.Request) (any, *apiError) {
	s.grow()
	days, e := s.userDays(r)
	if e != nil {
		return nil, e
	}
	list := []userSummaryItem{}
	for _, d := range days {
		t0, t1 := d.Unix(), d.AddDate(0, 0, 1).Unix()
		bySource := s.pop.newBySource(t0, t1)
		ref := d.Format(time.DateOnly)
		list = append(list, userSummaryItem{RefDate: ref, UserSource: 0, NewUser: bySource[0], CancelUser: s.pop.leftBetween(t0, t1)})
		for _, src := range []int{1, 17, 30, 100} {
			if n := bySource[src]; n > 0 {
				list = append(list, userSummaryItem{RefDate: ref, UserSource: src, NewUser: n})
			}
		}
	}
	return map[string]any{"list": list}, nil
}

// getUserCumulate serves POST /datacube/getusercumulate: the followers at the end of each day.
func (s *Server) getUserCumulate(r *http.Request) (any, *apiError) {
	s.grow()
	days, e := s.userDays(r)
	if e != nil {
		return nil, e
	}
	list := []userCumulateItem{}
	for _, d := range days {
		t1 := d.AddDate(0, 0, 1).Unix()
		list = append(list, userCumulateItem{RefDate: d.Format(time.DateOnly), CumulateUser: s.pop.subscribedBefore(t1) - s.pop.leftBetween(0, t1)})
	}
	return map[string]any{"list": list}, nil
}

// initialAround returns the initial followers whose subscribe time may fall in [t0, t1): the
// k-th subscribed in [base(k), base(k)+step) with base(k) = demoEpoch + k·span/initial.
func (p *population) initialAround(t0, t1 int64) (lo, hi int) {
	n, span := int64(p.initial), p.since-demoEpoch
	if n == 0 || span <= 0 {
		return 0, 0
	}
	step := span/n + 1
	lo64 := (t0 - step - demoEpoch) * n / span
	hi64 := (t1-demoEpoch)*n/span + 2
	return int(min(max(lo64, 0), n)), int(min(max(hi64, 0), n))
}

// newBySource counts the followers who subscribed in [t0, t1), by user_source.
func (p *population) newBySource(t0, t1 int64) map[int]int {
	out := map[int]int{}
	lo, hi := p.initialAround(t0, t1)
	for k := lo; k < hi; k++ {
		if t := p.subscribeTime(k); t >= t0 && t < t1 {
			out[sourceOf[scene(k)]]++
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	i := sort.Search(len(p.joined), func(i int) bool { return p.joined[i] >= t0 })
	for ; i < len(p.joined) && p.joined[i] < t1; i++ {
		out[sourceOf[scene(p.initial+i)]]++
	}
	return out
}

// subscribedBefore counts the followers ever subscribed before t (leavers included).
func (p *population) subscribedBefore(t int64) int {
	n := 0
	if p.initial > 0 {
		lo, hi := p.initialAround(t, t)
		n = lo // every one before lo subscribed before base(lo) ≤ t
		for k := lo; k < hi; k++ {
			if p.subscribeTime(k) < t {
				n++
			}
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return n + sort.Search(len(p.joined), func(i int) bool { return p.joined[i] >= t })
}

// leftBetween counts the unsubscriptions in [t0, t1).
func (p *population) leftBetween(t0, t1 int64) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := 0
	for _, l := range p.leaves {
		if l.at >= t0 && l.at < t1 {
			n++
		}
	}
	return n
}
