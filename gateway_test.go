package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// A mass call whose answer was lost (-1 after WeChat took the job) is retried by the client with
// its clientmsgid: two requests reached WeChat, and the daily meter counts both — through the
// gateway, which hands models' attempt counter to the client.
func TestRetriedCallUsesTwoQuota(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0004", AppSecret: "sec", Token: "tok", FinishDelay: time.Hour,
		Logger: slog.New(slog.DiscardHandler)})
	defer sim.Close()
	api := httptest.NewServer(sim)
	defer api.Close()
	ctx := context.Background()
	store := openStore(t)
	client := wechat.NewClient(wechat.Config{BaseURL: api.URL, AppID: "wxfeedfacecafe0004", AppSecret: "sec",
		RetryBaseDelay: time.Millisecond})
	svc := models.NewService(store, gateway{client}, models.Rules{}, slog.New(slog.DiscardHandler))

	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	th, err := svc.SaveThumb(ctx, "c.jpg", jpg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.SaveDraft(ctx, 0, models.DraftInput{Articles: []models.ArticleInput{{Title: "重试", Content: "<p>正文</p>", ThumbID: th.ID}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.StartSend(ctx, models.SendInput{DraftID: d.ID, Target: models.TargetAll, Key: "retry"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	sim.FailNextAfterAccept("/cgi-bin/message/mass/sendall", -1)
	if err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err = svc.Send(ctx, s.ID); err != nil || s.State != models.StateSubmitted {
		t.Fatalf("send: %+v %v", s, err)
	}
	// The retry was answered 45065 (the sandbox counts only the accepted call; WeChat has been
	// seen counting both, so the meter does).
	if n := sim.Calls("/cgi-bin/message/mass/sendall"); n != 1 {
		t.Fatalf("sendall accepted %d times, want 1", n)
	}
	// thumb + news + two sendall attempts
	if left, err := svc.QuotaLeft(ctx); err != nil || left != 10-4 {
		t.Fatalf("quota left = %d, %v; want 6: every attempt that reached WeChat counts", left, err)
	}
}
