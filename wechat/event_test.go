package wechat

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseEventSamples(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Event
	}{
		{"2014 doc sample", sample2014, Event{ToUserName: "gh_3e8adccde292", FromUserName: "oR5Gjjl_eiZoUpGozMo7dbBJ362A",
			CreateTime: 1394524295, MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: 1988, Status: "sendsuccess",
			TotalCount: 100, FilterCount: 80, SentCount: 75, ErrorCount: 5}},
		{"copyright failed", sampleCopyright, Event{ToUserName: "gh_4d00ed8d6399", FromUserName: "oV5CrjpxgaGXNHIQigzNlgLTnwic",
			CreateTime: 1481013459, MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: 1000001625, Status: "err(30003)",
			CopyrightCheckResult: CopyrightCheckResult{Count: 2, CheckState: 2, ResultList: []CopyrightItem{
				{ArticleIdx: 1, AuditState: 2, OriginalArticleURL: "Url_1", OriginalArticleType: 1, CanReprint: 1, NeedReplaceContent: 1, NeedShowReprintSource: 1},
				{ArticleIdx: 2, AuditState: 2, OriginalArticleURL: "Url_2", OriginalArticleType: 1, CanReprint: 1, NeedReplaceContent: 1, NeedShowReprintSource: 1},
			}}}},
		{"real 2022 success", sample2022, Event{ToUserName: "gh_1f567c6f4bbd", FromUserName: "ov7hP6b1X_yWfnX7Jy3IFQnwJzzM",
			CreateTime: 1650896441, MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: 1000000003, Status: "send success",
			TotalCount: 4, FilterCount: 4, SentCount: 4,
			ArticleURLResult: ArticleURLResult{Count: 1, ResultList: []ArticleURL{{1, "http://mp.weixin.qq.com/s/8yzT20EvmDg37Jso9nsIIw"}}}}},
		{"JSON 2024 string numbers", sampleJSON2024, Event{CreateTime: 1712059446, MsgType: "event", Event: "MASSSENDJOBFINISH",
			MsgID: 3147487831, Status: "err(20431)"}},
		{"JSON 2025 string containers", sampleJSON2025, Event{ToUserName: "gh_1", FromUserName: "o1", CreateTime: 1750000000,
			MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: 3147494522, Status: "send success",
			TotalCount: 10, FilterCount: 9, SentCount: 8, ErrorCount: 1}},
		{"JSON result list as array", `{"Event":"MASSSENDJOBFINISH","MsgID":"7","ArticleUrlResult":{"Count":"2","ResultList":[{"ArticleIdx":"1","ArticleUrl":"u1"},{"ArticleIdx":2,"ArticleUrl":"u2"}]},"CopyrightCheckResult":{"Count":1,"CheckState":"1","ResultList":{"item":{"ArticleIdx":"1","CanReprint":"1","OriginalArticleUrl":"o"}}}}`,
			Event{Event: "MASSSENDJOBFINISH", MsgID: 7,
				ArticleURLResult:     ArticleURLResult{Count: 2, ResultList: []ArticleURL{{1, "u1"}, {2, "u2"}}},
				CopyrightCheckResult: CopyrightCheckResult{Count: 1, CheckState: 1, ResultList: []CopyrightItem{{ArticleIdx: 1, CanReprint: 1, OriginalArticleURL: "o"}}}}},
		{"other event", `<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>`,
			Event{ToUserName: "gh", FromUserName: "o", CreateTime: 1, MsgType: "event", Event: "subscribe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvent([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseEvent =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseEventMalformed(t *testing.T) {
	for _, in := range []string{"", "   ", "<xml><MsgID>abc</MsgID></xml>", "<xml>", "not xml", `{"MsgID":"12x"}`,
		`{"TotalCount":"99999999999"}`, `[1,2]`, `{"MsgID":`} {
		if _, err := ParseEvent([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseEvent(%q) err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestEventXMLRoundTrip(t *testing.T) {
	ev, err := ParseEvent([]byte(vecEPlain))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ev.XML()); got != vecEPlain {
		t.Fatalf("XML() =\n%s\nwant\n%s", got, vecEPlain)
	}
	for _, sample := range []string{sampleCopyright, sample2022, sample2014} {
		ev, err := ParseEvent([]byte(sample))
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseEvent(ev.XML())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ev, again) {
			t.Errorf("round trip changed the event:\n%+v\n%+v", ev, again)
		}
	}
	// Hostile strings survive CDATA.
	ev = Event{ToUserName: "a]]>b<c>&", FromUserName: "x\x00y", Event: EventMassSendJobFinish, Status: "send success", MsgID: 1 << 40}
	again, err := ParseEvent(ev.XML())
	if err != nil {
		t.Fatal(err)
	}
	if again.ToUserName != "a]]>b<c>&" || again.FromUserName != "xy" || again.MsgID != 1<<40 {
		t.Errorf("got %+v", again)
	}
	if !strings.Contains(string(ev.XML()), "<MsgID>1099511627776</MsgID>") {
		t.Error("MsgID must be written with a capital D")
	}
}

// The statuses' catalogue keys; their words are checked in views/i18n (TestStatusWords).
func TestStatusKey(t *testing.T) {
	tests := []struct {
		status, key string
		args        []any
	}{
		{"send success", "status.send_success", nil},
		{"sendsuccess", "status.send_success", nil},
		{"SEND_SUCCESS", "status.send_success", nil},
		{"send fail", "status.send_fail", nil},
		{"SENDING", "status.sending", nil},
		{"DELETE", "status.deleted", nil},
		{" ", "status.none", nil},
		{"err(10001)", "status.err.10001", nil},
		{"err(20431)", "status.err.20431", nil},
		{"ERR( 40002 )", "status.err.40002", nil},
		{"err(12345)", "status.err_unknown", []any{12345}},
		{"weird", "status.unknown", []any{"weird"}},
	}
	for _, tt := range tests {
		key, args := StatusKey(tt.status)
		if key != tt.key || fmt.Sprint(args) != fmt.Sprint(tt.args) {
			t.Errorf("StatusKey(%q) = %q %v, want %q %v", tt.status, key, args, tt.key, tt.args)
		}
		if !slices.Contains(StatusKeys(), key) {
			t.Errorf("StatusKeys lacks %q", key)
		}
	}
}

// A JSON push carrying a character XML cannot (a NUL in the event's name) is malformed, as it
// could never come as XML: accepted, it was an ordinary event whose XML() said MASSSENDJOBFINISH
// (found by FuzzParseEvent's round trip).
func TestParseEventJSONRefusesWhatXMLCannotCarry(t *testing.T) {
	for _, in := range []string{
		`{"MsgType":"event","Event":"MASSSENDJOBFINISH\u0000","MsgID":"5","TotalCount":"3"}`,
		`{"MsgType":"event","Event":"MASSSENDJOBFINISH","MsgID":"5","Status":"send\u0001success"}`,
		`{"MsgType":"event","Event":"MASSSENDJOBFINISH","MsgID":"5","ArticleUrlResult":{"ResultList":[{"ArticleIdx":"1","ArticleUrl":"http://x/\ufffe"}]}}`,
	} {
		if _, err := ParseEvent([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", in, err)
		}
	}
	ev, err := ParseEvent([]byte(`{"MsgType":"event","Event":"MASSSENDJOBFINISH","MsgID":"5","Status":"send success\r\n"}`))
	if err != nil || ev.MsgID != 5 {
		t.Fatalf("a line break is fine: %+v %v", ev, err)
	}
}
