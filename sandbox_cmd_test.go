package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qunfa/wechat"
)

// `qunfa sandbox` serves the simulator alone: a plain WeChat client can send
// through it, and its MASSSENDJOBFINISH reaches -callback signed (and, with
// -aeskey, encrypted) for the account's token.
func TestSandboxCommand(t *testing.T) {
	t.Run("xml", func(t *testing.T) { sandboxCommandJourney(t, nil) })
	t.Run("json", func(t *testing.T) { sandboxCommandJourney(t, []string{"-json"}) })
}

func sandboxCommandJourney(t *testing.T, extra []string) {
	const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	codec := wechat.Codec{Token: "tok-cmd", AppID: "wx00112233445566ff", EncodingAESKey: aesKey}
	events := make(chan wechat.Event, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		plain, err := codec.Open(r.URL.Query(), body)
		if err != nil {
			t.Errorf("callback does not verify: %v", err)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if isJSON := bytes.HasPrefix(bytes.TrimSpace(plain), []byte("{")); isJSON != (len(extra) > 0) {
			t.Errorf("push format: JSON=%v, want %v", isJSON, len(extra) > 0)
		}
		ev, err := wechat.ParseEvent(plain)
		if err != nil {
			t.Errorf("callback does not parse: %v", err)
		}
		io.WriteString(w, "success")
		events <- ev
	}))
	defer receiver.Close()

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		args := append([]string{"-addr", "127.0.0.1:0", "-callback", receiver.URL, "-appid", codec.AppID,
			"-secret", "s3", "-token", codec.Token, "-aeskey", aesKey, "-finish-delay", "50ms", "-followers", "200"}, extra...)
		done <- runSandbox(ctx, args, &out, io.Discard, ready)
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("sandbox command: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	if strings.Contains(out.String(), "s3") {
		t.Errorf("the banner shows the AppSecret: %s", out.String())
	}

	c := wechat.NewClient(wechat.Config{BaseURL: base, AppID: codec.AppID, AppSecret: "s3"})
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	thumb, err := c.UploadMedia(ctx, "thumb", "t.jpg", jpg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	news, err := c.UploadNews(ctx, []wechat.Article{{ThumbMediaID: thumb.MediaID, Title: "标题", Content: "<p>正文</p>"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true},
		Message: wechat.MassMessage{MsgType: "mpnews", MediaID: news.MediaID}, ClientMsgID: "cmd-test-1"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Event != "MASSSENDJOBFINISH" || ev.MsgID != res.MsgID || ev.TotalCount == 0 || ev.FilterCount != ev.SentCount+ev.ErrorCount {
			t.Fatalf("event = %+v (msg_id %d)", ev, res.MsgID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no MASSSENDJOBFINISH pushed to -callback")
	}
}

func TestSandboxCommandRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-callback", "ftp://x"}, {"-aeskey", "short"}, {"-aeskey", strings.Repeat("!", 43)}, {"-nonsense"}} {
		if err := runSandbox(context.Background(), args, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
