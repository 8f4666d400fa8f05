package handlers

import (
	"net/http"
	"testing"

	"qunfa/wechat"
)

// BenchmarkCallbackJobFinished measures a MASSSENDJOBFINISH push end to end
// through the real router and store: signature (and AES in secure mode)
// check, parse, the once-per-msg_id insert, and the "success" reply. WeChat
// gives up after 5 s; this is how far inside that we answer.
//
//	go test -run '^$' -bench BenchmarkCallbackJobFinished -benchtime 2000x ./handlers/
func BenchmarkCallbackJobFinished(b *testing.B) {
	for _, mode := range []struct {
		name   string
		aesKey string
	}{{"plaintext", ""}, {"secure", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}} {
		for _, dup := range []bool{false, true} {
			name := mode.name + "/first"
			if dup {
				name = mode.name + "/repeat"
			}
			b.Run(name, func(b *testing.B) {
				ta := newTestApp(b)
				ta.codec.EncodingAESKey = mode.aesKey
				ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
					MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: 3147494522, Status: "send success",
					TotalCount: 100, FilterCount: 98, SentCount: 97, ErrorCount: 1}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if !dup {
						ev.MsgID++ // a new job each time: the insert path
					}
					if r := ta.callbackSecure(ev, mode.aesKey != ""); r.status != http.StatusOK || r.body != "success" {
						b.Fatalf("reply %d %q", r.status, r.body)
					}
				}
			})
		}
	}
}
