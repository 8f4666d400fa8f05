package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"qunfa/wechat"
)

// TestSandboxFinishDelayForTests: QUNFA_SANDBOX_FINISH_DELAY reaches the embedded sandbox, so a
// job finishes well before the sandbox's default 3 s; a value that is not a duration is refused.
func TestSandboxFinishDelayForTests(t *testing.T) {
	cfg, err := LoadConfig(nil, envOf(map[string]string{"QUNFA_SANDBOX_FINISH_DELAY": "20ms"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	wx, err := connectWeChat(cfg, "http://127.0.0.1:1", openStore(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer wx.Close()
	ctx := context.Background()
	r, err := wx.client.SendAll(ctx, wechat.SendAllRequest{
		Filter:  wechat.MassFilter{GroupID: 103},
		Message: wechat.MassMessage{MsgType: "text", Text: "hi"}, ClientMsgID: "delay-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(1500 * time.Millisecond) // half the default delay
	for {
		st, err := wx.client.GetMass(ctx, r.MsgID)
		if err != nil {
			t.Fatal(err)
		}
		if st != wechat.MassSending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was still SENDING after 1.5 s: the finish delay did not reach the sandbox")
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, bad := range []string{"soon", "-1s"} {
		if _, err := LoadConfig(nil, envOf(map[string]string{"QUNFA_SANDBOX_FINISH_DELAY": bad}), io.Discard); err == nil {
			t.Errorf("QUNFA_SANDBOX_FINISH_DELAY=%q accepted", bad)
		}
	}
}
