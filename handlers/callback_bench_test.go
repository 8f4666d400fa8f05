package handlers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"qunfa/wechat"
)

// sdkCallback is the baseline: what a WeChat SDK's callback server does for a push and nothing
// more — check signature (msg_signature in secure mode), decrypt, unmarshal the event, answer
// "success". It stores nothing and logs nothing.
func sdkCallback(codec func() wechat.Codec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCallbackBytes))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		plain, err := codec().Open(r.URL.Query(), body)
		if err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if _, err := wechat.ParseEvent(plain); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("success"))
	})
}

// sealedPush is one push ready to post: query and body as WeChat sends them.
type sealedPush struct {
	query string
	body  []byte
}

func (ta *testApp) sealPush(b testing.TB, ev wechat.Event, secure bool) sealedPush {
	q, body, err := ta.codec.Seal(ev.XML(), strconv.FormatInt(ta.now.Unix(), 10), freshNonce(), secure)
	if err != nil {
		b.Fatal(err)
	}
	return sealedPush{query: q.Encode(), body: body}
}

// freshNonce is a nonce never used before in this process: WeChat draws one per push, and a
// (timestamp, nonce) pair carries one body only (callback_replay.go).
func freshNonce() string { return strconv.FormatInt(nonceSeq.Add(1), 10) }

var nonceSeq atomic.Int64

func postPush(b testing.TB, c *http.Client, base string, p sealedPush) {
	res, err := c.Post(base+callbackPath+"?"+p.query, "text/xml", bytes.NewReader(p.body))
	if err != nil {
		b.Fatal(err)
	}
	reply, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(reply) != "success" {
		b.Fatalf("reply %d %q", res.StatusCode, reply)
	}
}

// BenchmarkCallbackJobFinished measures a MASSSENDJOBFINISH push end to end through the real
// router and store (signature and AES checks, parse, the once-per-msg_id record, "success"),
// side by side with sdkCallback, which stores nothing: new msg_ids (the insert) and a msg_id
// already recorded (answered from a read), plaintext and secure. Pushes are sealed before the
// clock runs; the sub-benchmarks are interleaved over rounds and the log gives median ratios.
// WeChat gives up after 5 s.
//
//	go test -run '^$' -bench BenchmarkCallbackJobFinished -benchtime 2000x ./handlers/
func BenchmarkCallbackJobFinished(b *testing.B) {
	const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	ta := newTestApp(b)
	ta.codec.EncodingAESKey = aesKey
	sdk := httptest.NewServer(sdkCallback(func() wechat.Codec { return ta.codec }))
	b.Cleanup(sdk.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	nextMsgID := int64(3147494522)
	push := func(msgID int64) wechat.Event {
		return wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
			MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgID, Status: "send success",
			TotalCount: 100, FilterCount: 98, SentCount: 97, ErrorCount: 1}
	}
	// The repeated msg_id is recorded once before anything is timed.
	const repeatedID = 42
	postPush(b, client, ta.srv.URL, ta.sealPush(b, push(repeatedID), false))

	var names []string
	for _, mode := range []string{"plaintext", "secure"} {
		for _, kind := range []string{"new", "repeat"} {
			for _, server := range []string{"sdk", "qunfa"} {
				names = append(names, fmt.Sprintf("%s/%s/%s", mode, kind, server))
			}
		}
	}
	interleaved(b, 7, names, func(name string) string { return path.Dir(name) + "/sdk" }, func(b *testing.B, name string) {
		var mode, kind, server string
		fmt.Sscanf(replaceSlashes(name), "%s %s %s", &mode, &kind, &server)
		base := ta.srv.URL
		if server == "sdk" {
			base = sdk.URL
		}
		pushes := make([]sealedPush, b.N)
		for i := range pushes {
			id := int64(repeatedID)
			if kind == "new" {
				nextMsgID++
				id = nextMsgID
			}
			pushes[i] = ta.sealPush(b, push(id), mode == "secure")
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			postPush(b, client, base, pushes[i])
		}
	})
}

// BenchmarkCallbackJobFinishedConcurrent is the same comparison with pushes arriving at once, as
// when WeChat reports many jobs together: 8 connections post new msg_ids side by side, to the
// SDK-style handler and to the real router (whose concurrent pushes share one commit).
//
//	go test -run '^$' -bench BenchmarkCallbackJobFinishedConcurrent -benchtime 2000x ./handlers/
func BenchmarkCallbackJobFinishedConcurrent(b *testing.B) {
	const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	const clients = 8
	ta := newTestApp(b)
	ta.codec.EncodingAESKey = aesKey
	sdk := httptest.NewServer(sdkCallback(func() wechat.Codec { return ta.codec }))
	b.Cleanup(sdk.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	nextMsgID := int64(5147494522)
	var names []string
	for _, mode := range []string{"plaintext", "secure"} {
		for _, server := range []string{"sdk", "qunfa"} {
			names = append(names, mode+"/new/"+server)
		}
	}
	interleaved(b, 7, names, func(name string) string { return path.Dir(name) + "/sdk" }, func(b *testing.B, name string) {
		base := ta.srv.URL
		if path.Base(name) == "sdk" {
			base = sdk.URL
		}
		pushes := make([]sealedPush, b.N)
		for i := range pushes {
			nextMsgID++
			pushes[i] = ta.sealPush(b, wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001",
				CreateTime: ta.now.Unix(), MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: nextMsgID,
				Status: "send success", TotalCount: 100, FilterCount: 98, SentCount: 97, ErrorCount: 1},
				strings.HasPrefix(name, "secure"))
		}
		b.ResetTimer()
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				for i := c; i < b.N; i += clients {
					postPush(b, client, base, pushes[i])
				}
			})
		}
		wg.Wait()
	})
}

func replaceSlashes(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("/"), []byte(" ")))
}
