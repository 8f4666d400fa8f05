package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"qunfa/wechat"
)

var sendMsgID = regexp.MustCompile(`data-testid="send-msgid">(\d+)<`)

// seedDispute posts, signed with token, a MASSSENDJOBFINISH for the msg_id on sendPage whose
// figures disagree with the recorded ones, so that the send's page shows its dispute warning
// (TestLayout walks it).
func seedDispute(t *testing.T, base, token, sendPage string) {
	t.Helper()
	m := sendMsgID.FindStringSubmatch(sendPage)
	if m == nil {
		t.Fatal("seed: no msg_id on the send's page")
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oLayoutDispute", CreateTime: time.Now().Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: id, Status: "err(30003)",
		TotalCount: 1_000_000, FilterCount: 999_999, SentCount: 12, ErrorCount: 999_987}
	q, body, err := wechat.Codec{Token: token}.Seal(ev.XML(), strconv.FormatInt(time.Now().Unix(), 10), "8271640", false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(base+"/wechat/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("seed: disputing push answered %d", res.StatusCode)
	}
}
