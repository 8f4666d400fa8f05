package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSendAllTargets(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	news := h.news(2)
	mpnews := func(filter map[string]any, id string) map[string]any {
		return map[string]any{"filter": filter, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}, "clientmsgid": id}
	}
	tests := []struct {
		name   string
		body   map[string]any
		code   int
		total  int
		isNews bool
	}{
		{"group id as string", mpnews(map[string]any{"is_to_all": false, "group_id": "103"}, "a"), 0, 5, true},
		{"group id as number", mpnews(map[string]any{"is_to_all": false, "group_id": 103}, "b"), 0, 5, true},
		{"tag id", mpnews(map[string]any{"is_to_all": false, "tag_id": 103}, "c"), 0, 5, true},
		{"everyone", mpnews(map[string]any{"is_to_all": true}, "d"), 0, 200, true},
		{"text to a group", textToGroup(103, "你好", "e"), 0, 5, false},
		{"unknown group", mpnews(map[string]any{"is_to_all": false, "group_id": 999}, "f"), -1, 0, false},
		{"group 0 is not a tag", mpnews(map[string]any{"is_to_all": false, "tag_id": 0}, "g"), -1, 0, false},
		{"no group", mpnews(map[string]any{"is_to_all": false}, "h"), 40050, 0, false},
		{"no filter", map[string]any{"msgtype": "text", "text": map[string]any{"content": "x"}}, 47001, 0, false},
		{"not a news id", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "zzz"}}, 40007, 0, false},
		{"no mpnews", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews"}, 44003, 0, false},
		{"voice not simulated", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "voice", "voice": map[string]any{"media_id": news}}, 40008, 0, false},
		{"clientmsgid too long", textToGroup(103, "x", strings.Repeat("k", 65)), 45067, 0, false},
	}
	var last int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post("/cgi-bin/message/mass/sendall", tt.body)
			wantCode(t, r, tt.code)
			if tt.code != 0 {
				return
			}
			id := num(r, "msg_id")
			if r["errmsg"] != "send job submission success" || id <= 1<<31 || id <= last {
				t.Errorf("body = %v: want the submission text and an increasing msg_id above 2^31", r)
			}
			last = id
			if _, has := r["msg_data_id"]; has != tt.isNews {
				t.Errorf("msg_data_id present = %v, want %v (mpnews only)", has, tt.isNews)
			}
			if j, _ := h.s.Job(id); j.TotalCount != tt.total {
				t.Errorf("TotalCount = %d, want %d", j.TotalCount, tt.total)
			}
		})
	}
}

func TestSendOpenIDListSize(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	ids := h.s.OpenIDs(AllFollowers)
	many := make([]string, 10001)
	for i := range many {
		many[i] = ids[i%len(ids)]
	}
	body := func(touser any, id string) map[string]any {
		return map[string]any{"touser": touser, "msgtype": "text", "text": map[string]any{"content": "hi"}, "clientmsgid": id}
	}
	tests := []struct {
		name string
		body any
		code int
	}{
		{"one openid", body(ids[:1], "a"), 40130},
		{"10001 openids", body(many, "b"), 40130},
		{"no list", map[string]any{"toUsers": ids[:2], "msgtype": "text", "text": map[string]any{"content": "hi"}}, 40130},
		{"not a follower", body([]string{ids[0], "oV5Crj_not_a_follower_000000"}, "c"), 40003},
		{"two openids", body(ids[:2], "d"), 0},
		{"10000 openids", body(many[:10000], "e"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, h.post("/cgi-bin/message/mass/send", tt.body), tt.code)
		})
	}
	if got := h.s.Calls("/cgi-bin/message/mass/send"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

func TestClientMsgIDExist(t *testing.T) {
	h := newHarness(t, Config{})
	first := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "job-1"))
	wantCode(t, first, 0)
	left := h.s.QuotaLeft()
	again := h.post("/cgi-bin/message/mass/sendall", textToGroup(102, "other", "job-1"))
	wantCode(t, again, 45065)
	if num(again, "msg_id") != num(first, "msg_id") {
		t.Errorf("45065 msg_id = %v, want the existing %v", again["msg_id"], first["msg_id"])
	}
	if h.s.QuotaLeft() != left {
		t.Errorf("a 45065 used quota")
	}
	// Without a clientmsgid the same content to the same audience is a duplicate too.
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "same", "")), 0)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "same", "")), 45065)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(102, "same", "")), 0)
	// After 24 h the key is free again.
	h.clock.Add(24 * time.Hour)
	h.token = h.fetchToken()
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "job-1")), 0)
}

// TestMonthlyCap: a follower receives at most MonthlyCap mass messages per Beijing month;
// further ones are not delivered, count as errors, and the counts keep FilterCount = Sent + Error ≤ Total.
func TestMonthlyCap(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	testGroup := h.s.OpenIDs(GroupTest)
	refuser, other := "", ""
	blacklisted := map[string]bool{}
	for _, id := range h.s.OpenIDs(GroupBlacklist) {
		blacklisted[id] = true
	}
	for _, id := range h.s.OpenIDs(AllFollowers)[testGroupSize:] {
		if blacklisted[id] {
			continue
		}
		if h.s.Refuses(id) && refuser == "" {
			refuser = id
		} else if !h.s.Refuses(id) && other == "" {
			other = id
		}
	}
	if refuser == "" || other == "" {
		t.Fatal("demo population has no refuser or no plain follower")
	}
	send := func(id string, ids ...string) Job {
		t.Helper()
		r := h.post("/cgi-bin/message/mass/send", map[string]any{"touser": ids, "msgtype": "text", "text": map[string]any{"content": "hi"}, "clientmsgid": id})
		wantCode(t, r, 0)
		j, _ := h.s.Job(num(r, "msg_id"))
		if j.FilterCount != j.SentCount+j.ErrorCount || j.FilterCount > j.TotalCount {
			t.Fatalf("counts %+v break FilterCount = Sent + Error ≤ Total", j)
		}
		return j
	}
	for i := range 4 {
		j := send(fmt.Sprint("m", i), testGroup[0], refuser)
		if j.TotalCount != 2 || j.SentCount != 1 || j.ErrorCount != 1 {
			t.Fatalf("message %d: %+v, want Total 2, Sent 1, Error 1", i+1, j)
		}
	}
	// The 5th this month: testGroup[0] is over the cap (an error), other still receives it.
	j := send("m5", testGroup[0], other, refuser)
	if j.TotalCount != 3 || j.FilterCount != 3 || j.SentCount != 1 || j.ErrorCount != 2 {
		t.Fatalf("5th message: %+v, want Total 3, Filter 3, Sent 1, Error 2", j)
	}
	if got := h.s.Received(testGroup[0], h.clock.Now()); got != 4 {
		t.Errorf("Received = %d, want 4", got)
	}
	// Only over-cap followers: nothing delivered → send fail.
	j = send("m6", testGroup[0], testGroup[0])
	if j.SentCount != 0 || j.ErrorCount != j.TotalCount || j.Status != "send fail" {
		t.Errorf("all over the cap: %+v, want Sent 0, all errors, send fail", j)
	}

	// Month rollover in Beijing time: 31 March 23:59 Beijing is still March; at 16:00 UTC on
	// 31 March it is already 1 April in Beijing and the cap starts again.
	h.clock.Set(time.Date(2014, 3, 31, 15, 59, 0, 0, time.UTC))
	h.token = h.fetchToken()
	if j := send("m7", testGroup[0], testGroup[1]); j.SentCount != 1 {
		t.Errorf("23:59 Beijing on 31 March: Sent %d, want 1 (still March)", j.SentCount)
	}
	h.clock.Set(time.Date(2014, 3, 31, 16, 0, 0, 0, time.UTC))
	if j := send("m8", testGroup[0], testGroup[1]); j.SentCount != 2 {
		t.Errorf("00:00 Beijing on 1 April: Sent %d, want 2 (new month)", j.SentCount)
	}
}

func TestGetAndDeleteMass(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	news := h.news(3)
	r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"group_id": "103"}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}, "clientmsgid": "n"})
	wantCode(t, r, 0)
	id := num(r, "msg_id")
	text := num(h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "t")), "msg_id")
	status := func(msgID any) string {
		t.Helper()
		r := h.post("/cgi-bin/message/mass/get", map[string]any{"msg_id": msgID})
		wantCode(t, r, 0)
		if num(r, "msg_id") != id && num(r, "msg_id") != text || len(r) != 2 {
			t.Fatalf("get body = %v", r)
		}
		return r["msg_status"].(string)
	}
	del := func(msgID any, idx int) map[string]any {
		return h.post("/cgi-bin/message/mass/delete", map[string]any{"msg_id": msgID, "article_idx": idx})
	}
	if s := status(id); s != "SENDING" {
		t.Errorf("before finish: %s, want SENDING", s)
	}
	wantCode(t, del(id, 0), 40059) // not finished yet
	h.s.FinishPending()
	if s := status(fmt.Sprint(id)); s != "SEND_SUCCESS" {
		t.Errorf("after finish (msg_id as string): %s, want SEND_SUCCESS", s)
	}
	wantCode(t, del(id, 4), 40060)
	wantCode(t, del(text, 0), 40059) // text cannot be recalled
	wantCode(t, del(12345, 0), 40059)
	wantCode(t, h.post("/cgi-bin/message/mass/get", map[string]any{"msg_id": 12345}), 40059)
	r = del(id, 2)
	wantCode(t, r, 0)
	if r["errmsg"] != "ok" || len(r) != 2 {
		t.Errorf("delete body = %v", r)
	}
	if s := status(id); s != "SEND_SUCCESS" {
		t.Errorf("after deleting one article: %s, want SEND_SUCCESS", s)
	}
	wantCode(t, del(fmt.Sprint(id), 0), 0)
	if s := status(id); s != "DELETE" {
		t.Errorf("after delete: %s, want DELETE", s)
	}
	wantCode(t, del(id, 0), 40059)
	if got := h.s.Calls("/cgi-bin/message/mass/delete"); got != 2 {
		t.Errorf("Calls(delete) = %d, want 2", got)
	}
}

func TestSendFailCannotBeDeleted(t *testing.T) {
	h := newHarness(t, Config{DailyQuota: 100})
	news := h.news(1)
	// Nobody in 黑名单 receives it: nothing is delivered.
	r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"group_id": 1}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}})
	wantCode(t, r, 0)
	h.s.FinishPending()
	got := h.post("/cgi-bin/message/mass/get", map[string]any{"msg_id": r["msg_id"].(json.Number)})
	if got["msg_status"] != "SEND_FAIL" {
		t.Errorf("status = %v, want SEND_FAIL", got)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/delete", map[string]any{"msg_id": r["msg_id"].(json.Number)}), 40059)
}
