package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// The sandbox's user analytics agree with its followers as user/get and user/info/batchget
// describe them: new followers a day are those whose subscribe_time falls on it, the total at a
// day's end is those subscribed by then less those who left; a day is published after 08:00
// the next day (Beijing); a span is at most 7 days (61501), dates are 2006-01-02 (61500).
func TestUserAnalyticsAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	bj := func(d, h int) time.Time { return time.Date(2014, 3, d, h, 0, 0, 0, protocol.Beijing) }
	clock := &fixedClock{t: bj(10, 7)}
	c, sb := newSandboxClient(t, sandbox.Config{Followers: 3000, Now: clock.Now})

	// Every follower's subscribe day, from user/get and batchget.
	perDay := map[string]int{}
	var ids []string
	for next := ""; ; {
		l, err := c.Users(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.OpenIDs...)
		if next = l.NextOpenID; next == "" || len(l.OpenIDs) == 0 {
			break
		}
	}
	for i := 0; i < len(ids); i += 100 {
		infos, err := c.BatchUserInfo(ctx, ids[i:min(i+100, len(ids))], "")
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range infos {
			perDay[time.Unix(u.SubscribeTime, 0).In(protocol.Beijing).Format(time.DateOnly)]++
		}
	}
	before := func(day string) int {
		n := 0
		for d, k := range perDay {
			if d <= day {
				n += k
			}
		}
		return n
	}

	// At 07:00 on the 10th the 9th is not published yet.
	cum, err := c.GetUserCumulate(ctx, "2014-03-03", "2014-03-09")
	if err != nil || len(cum) != 6 || cum[5].RefDate != "2014-03-08" {
		t.Fatalf("cumulate before 08:00: %+v %v", cum, err)
	}
	clock.Set(bj(10, 10))
	cum, err = c.GetUserCumulate(ctx, "2014-03-03", "2014-03-09")
	if err != nil || len(cum) != 7 {
		t.Fatalf("cumulate after 08:00: %+v %v", cum, err)
	}
	sum, err := c.GetUserSummary(ctx, "2014-03-03", "2014-03-09")
	if err != nil {
		t.Fatal(err)
	}
	news := map[string]int{}
	for _, r := range sum {
		news[r.RefDate] += r.NewUser
		if r.CancelUser != 0 {
			t.Errorf("a cancellation on %s before anyone left: %+v", r.RefDate, r)
		}
	}
	total := 0
	for _, r := range cum {
		if news[r.RefDate] != perDay[r.RefDate] {
			t.Errorf("%s: new_user %d, batchget says %d subscribed that day", r.RefDate, news[r.RefDate], perDay[r.RefDate])
		}
		if r.CumulateUser != before(r.RefDate) {
			t.Errorf("%s: cumulate_user %d, batchget says %d by then", r.RefDate, r.CumulateUser, before(r.RefDate))
		}
		total += news[r.RefDate]
	}
	if total == 0 {
		t.Fatal("no new follower in a week of 3000 followers: the test proves nothing")
	}

	// The 10th: five subscribe and two leave; published on the 11th after 08:00.
	sb.Subscribe(5)
	if err := sb.Unsubscribe(ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	clock.Set(bj(11, 9))
	sum, err = c.GetUserSummary(ctx, "2014-03-10", "2014-03-10")
	if err != nil {
		t.Fatal(err)
	}
	n, gone := 0, 0
	for _, r := range sum {
		n, gone = n+r.NewUser, gone+r.CancelUser
	}
	if n != perDay["2014-03-10"]+5 || gone != 2 {
		t.Errorf("the 10th: %d new (want %d), %d cancelled (want 2): %+v", n, perDay["2014-03-10"]+5, gone, sum)
	}
	cum, err = c.GetUserCumulate(ctx, "2014-03-10", "2014-03-11")
	if err != nil || len(cum) != 1 || cum[0].CumulateUser != sb.Followers() {
		t.Errorf("cumulate of the 10th: %+v %v; user/get's total is %d", cum, err, sb.Followers())
	}

	// Spans and dates.
	_, err = c.GetUserSummary(ctx, "2014-03-01", "2014-03-08")
	wantErrcode(t, err, 61501)
	_, err = c.GetUserCumulate(ctx, "2014-03-05", "2014-03-04")
	wantErrcode(t, err, 61501)
	_, err = c.GetUserSummary(ctx, "2014-3-1", "2014-03-02")
	wantErrcode(t, err, 61500)
}
