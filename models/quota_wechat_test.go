package models

import (
	"context"
	"errors"
	"qunfa/wechat/protocol"
	"strings"
	"testing"
	"time"
)

func TestEffectiveLeftNeverMoreThanEitherSide(t *testing.T) {
	remote := []QuotaInfo{
		{Endpoint: EndpointSendAll, DailyLimit: 100, Used: 97, Remain: 3},
		{Endpoint: EndpointUploadNews, DailyLimit: 10, Used: 2, Remain: 8},
		{Endpoint: EndpointDelete, DailyLimit: 10, Used: 1, Remain: 9, Spent: true},
	}
	cases := []struct {
		name      string
		local     int
		remote    []QuotaInfo
		endpoints []string
		want      int
	}{
		{"no answer from WeChat: local stands", 6, nil, CountedEndpoints, 6},
		{"WeChat leaves less than local", 6, remote, []string{EndpointSendAll}, 3},
		{"local leaves less than WeChat", 2, remote, []string{EndpointUploadNews}, 2},
		{"the tightest endpoint of a send", 6, remote, []string{EndpointUploadNews, EndpointSendAll}, 3},
		{"an endpoint WeChat did not report does not limit", 6, remote, []string{EndpointSend}, 6},
		{"spent by a 45009 whatever remain said", 6, remote, []string{EndpointDelete}, 0},
		{"every counted endpoint", 6, remote, CountedEndpoints, 0},
		{"negative local is none", -2, nil, CountedEndpoints, 0},
		{"negative remain is none", 6, []QuotaInfo{{Endpoint: EndpointSend, Remain: -1}}, []string{EndpointSend}, 0},
	}
	for _, c := range cases {
		if got := effectiveLeft(c.local, c.remote, c.endpoints...); got != c.want {
			t.Errorf("%s: effectiveLeft = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestCGIPath(t *testing.T) {
	for ep, want := range map[string]string{
		EndpointUploadThumb: "/cgi-bin/media/upload",
		EndpointSendAll:     "/cgi-bin/message/mass/sendall",
		EndpointAddDraft:    "/cgi-bin/draft/add",
	} {
		if got := CGIPath(ep); got != want {
			t.Errorf("CGIPath(%q) = %q, want %q", ep, got, want)
		}
	}
}

// localCall records a call in Qunfa's own meter (quota_calls) today.
func localCall(t *testing.T, f *fixture, endpoint string) {
	t.Helper()
	if err := f.store.gdb.Exec(`INSERT INTO quota_calls (day, endpoint, reserved, at) VALUES (?, ?, 0, ?)`,
		protocol.BeijingDay(f.clock.Now()), endpoint, f.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
}

// TestSyncQuotaPerInterface: the endpoints WeChat answers for are stored for the Beijing day and
// shown reconciled with the local count; the others are skipped; the next day starts empty.
func TestSyncQuotaPerInterface(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.wx.quotas = map[string]QuotaInfo{
		EndpointSendAll:    {DailyLimit: 100, Used: 4, Remain: 96},
		EndpointUploadNews: {DailyLimit: 10, Used: 1, Remain: 9},
	}
	localCall(t, f, EndpointUploadNews)
	localCall(t, f, EndpointUploadNews) // Qunfa counted 2 where WeChat says 1: used 2, remain 8
	n, err := f.svc.SyncQuota(ctx)
	if err != nil || n != 2 {
		t.Fatalf("SyncQuota = %d, %v; want 2 answered", n, err)
	}
	if got := f.wx.count(endpointQuotaGet); got != len(CountedEndpoints) {
		t.Fatalf("quota/get asked %d times, want once per counted endpoint (%d)", got, len(CountedEndpoints))
	}
	rows, err := f.svc.QuotaByInterface(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Endpoint != EndpointUploadNews || rows[1].Endpoint != EndpointSendAll {
		t.Fatalf("rows = %+v, want uploadnews then sendall", rows)
	}
	if r := rows[0]; r.DailyLimit != 10 || r.Used != 2 || r.Remain != 8 || r.LocalUsed != 2 || r.Spent {
		t.Errorf("uploadnews = %+v, want limit 10 used 2 remain 8 (the larger count)", r)
	}
	if r := rows[1]; r.DailyLimit != 100 || r.Used != 4 || r.Remain != 96 || r.LocalUsed != 0 || !r.CheckedAt.Equal(f.clock.Now()) {
		t.Errorf("sendall = %+v, want WeChat's 100/4/96 checked now", r)
	}
	if left, err := f.svc.QuotaLeftCombined(ctx, 7, EndpointUploadNews, EndpointSendAll); err != nil || left != 7 {
		t.Errorf("QuotaLeftCombined(7) = %d, %v; want 7", left, err)
	}
	f.wx.quotas[EndpointSendAll] = QuotaInfo{DailyLimit: 100, Used: 98, Remain: 2}
	if _, err := f.svc.SyncQuota(ctx); err != nil {
		t.Fatal(err)
	}
	if left, err := f.svc.QuotaLeftCombined(ctx, 7); err != nil || left != 2 {
		t.Errorf("QuotaLeftCombined(7) after WeChat counted 98 = %d, %v; want 2", left, err)
	}

	f.clock.Advance(14 * time.Hour) // past Beijing midnight
	if rows, err := f.svc.QuotaByInterface(ctx); err != nil || len(rows) != 0 {
		t.Fatalf("the next day shows %+v, %v; want nothing until asked", rows, err)
	}
	if left, _ := f.svc.QuotaLeftCombined(ctx, 10); left != 10 {
		t.Errorf("the next day QuotaLeftCombined(10) = %d, want 10", left)
	}
}

// TestSyncQuotaUnansweredAndFailing: an account that answers for nothing stores nothing and is
// no error; a failure names the endpoint and stores nothing.
func TestSyncQuotaUnansweredAndFailing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if n, err := f.svc.SyncQuota(ctx); n != 0 || err != nil {
		t.Fatalf("SyncQuota on an account without quota/get = %d, %v; want 0, nil", n, err)
	}
	if rows, _ := f.svc.QuotaByInterface(ctx); len(rows) != 0 {
		t.Fatalf("rows = %+v, want none", rows)
	}
	f.wx.quotaErr = &fakeAPIError{code: -1}
	n, err := f.svc.SyncQuota(ctx)
	if n != 0 || err == nil || !strings.Contains(err.Error(), "sync quota "+EndpointSendAll) {
		t.Fatalf("SyncQuota on a busy WeChat = %d, %v; want an error naming each endpoint", n, err)
	}
	var ae APIError
	if !errors.As(err, &ae) || ae.Errcode() != -1 {
		t.Errorf("the errcode is lost in %v", err)
	}
}

// TestMarkBudgetSpent: a 45009 leaves nothing of that interface for the rest of the day, even
// when quota/get later says otherwise; on an account that never answered it still counts.
func TestMarkBudgetSpent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.MarkBudgetSpent(ctx, EndpointSend); err != nil {
		t.Fatal(err)
	}
	rows, err := f.svc.QuotaByInterface(ctx)
	if err != nil || len(rows) != 1 || !rows[0].Spent || rows[0].Remain != 0 || rows[0].DailyLimit != 0 {
		t.Fatalf("after a 45009 without quota/get: %+v, %v; want one spent row, limit unknown", rows, err)
	}
	if left, _ := f.svc.QuotaLeftCombined(ctx, 8, EndpointSend); left != 0 {
		t.Errorf("QuotaLeftCombined for send = %d, want 0", left)
	}
	if left, _ := f.svc.QuotaLeftCombined(ctx, 8, EndpointSendAll); left != 8 {
		t.Errorf("QuotaLeftCombined for sendall = %d, want 8 (only send is spent)", left)
	}

	f.wx.quotas = map[string]QuotaInfo{EndpointSend: {DailyLimit: 100, Used: 60, Remain: 40}}
	if _, err := f.svc.SyncQuota(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ = f.svc.QuotaByInterface(ctx)
	if len(rows) != 1 || !rows[0].Spent || rows[0].Remain != 0 || rows[0].Used != 100 || rows[0].DailyLimit != 100 {
		t.Fatalf("after quota/get said 40 left: %+v; want still spent (used 100 of 100, 0 left)", rows)
	}
	if err := f.svc.MarkBudgetSpent(ctx, EndpointSend); err != nil { // a second 45009
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour)
	if left, _ := f.svc.QuotaLeftCombined(ctx, 8, EndpointSend); left != 8 {
		t.Errorf("the next day QuotaLeftCombined = %d, want 8", left)
	}
}
