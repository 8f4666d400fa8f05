package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// TestGatewayQuotaAgainstSandbox: models asks the sandbox, through the gateway, for every
// counted interface and sees the seed's shared budget; an account that answers 76021 or 76022
// is "unanswered", not a failure.
func TestGatewayQuotaAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0009", AppSecret: "sec", Token: "tok",
		FinishDelay: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	c := wechat.NewClient(wechat.Config{BaseURL: api.URL, AppID: "wxfeedfacecafe0009", AppSecret: "sec"})
	gw := gateway{c}
	if _, err := gw.UploadThumb(ctx, "a.jpg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 512)...)); err != nil {
		t.Fatal(err)
	}

	svc := models.NewService(openStore(t), gw, models.Rules{}, nil)
	n, err := svc.SyncQuota(ctx)
	if err != nil || n != len(models.CountedEndpoints) {
		t.Fatalf("SyncQuota = %d, %v; want every counted endpoint answered", n, err)
	}
	rows, err := svc.QuotaByInterface(ctx)
	if err != nil || len(rows) != len(models.CountedEndpoints) {
		t.Fatalf("QuotaByInterface = %+v, %v", rows, err)
	}
	for _, r := range rows {
		if r.DailyLimit != 10 || r.Used != 1 || r.Remain != 9 {
			t.Errorf("%s = %d/%d/%d, want the shared budget 10/1/9", r.Endpoint, r.DailyLimit, r.Used, r.Remain)
		}
	}
	if left := sim.QuotaLeft(); left != 9 {
		t.Errorf("the sandbox has %d left, want 9: quota/get must not be counted", left)
	}

	for _, code := range []int{protocol.CodeQuotaPathNotFound, protocol.CodeQuotaNoPermission} {
		sim.FailNext("/cgi-bin/openapi/quota/get", code)
		if _, err := gw.Quota(ctx, models.EndpointSendAll); !errors.Is(err, models.ErrQuotaUnanswered) {
			t.Errorf("errcode %d: %v, want models.ErrQuotaUnanswered", code, err)
		}
	}
	sim.FailNext("/cgi-bin/openapi/quota/get", protocol.CodeAPIUnauthorized)
	if _, err := gw.Quota(ctx, models.EndpointSendAll); err == nil || errors.Is(err, models.ErrQuotaUnanswered) {
		t.Errorf("48001 gave %v; want a failure, not 'unanswered'", err)
	}
}
