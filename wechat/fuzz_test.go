package wechat

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"
)

func FuzzOpen(f *testing.F) {
	f.Add("aes", vecASig, vecAMsgSig, vecATimestamp, vecANonce, vecAEncrypt,
		[]byte("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA["+vecAEncrypt+"]]></Encrypt></xml>"))
	f.Add("aes", "", vecCMsgSig, vecCTimestamp, vecCNonce, vecCEncrypt, []byte(`{"ToUserName":"x","Encrypt":"`+vecCEncrypt+`"}`))
	f.Add("", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "", "1714037059", "486452656", vecBEncrypt1, []byte(sample2022))
	f.Add("raw", "", "", "", "", vecDEncrypt, []byte(sampleJSON2024))
	f.Add("aes", "", "", "1", "2", "", []byte("<xml><Encrypt>"))
	codec := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: demoKey}
	f.Fuzz(func(t *testing.T, encType, sig, msgSig, ts, nonce, encrypt string, body []byte) {
		q := url.Values{"encrypt_type": {encType}, "signature": {sig}, "msg_signature": {msgSig}, "timestamp": {ts}, "nonce": {nonce}}
		if out, err := codec.Open(q, body); err == nil && q.Get("encrypt_type") == "aes" && len(out) > len(body) {
			t.Fatalf("plaintext longer than the ciphertext")
		}
		// A correctly signed request with fuzzed ciphertext reaches the decryption code.
		signed := url.Values{"encrypt_type": {"aes"}, "timestamp": {ts}, "nonce": {nonce},
			"msg_signature": {Signature(codec.Token, ts, nonce, encrypt)}}
		env := `{"ToUserName":"gh","Encrypt":` + jsonQuote(encrypt) + `}`
		if out, err := codec.Open(signed, []byte(env)); err == nil {
			if _, _, err := decryptMsg(mustKey(t, demoKey), encrypt, codec.AppID); err != nil {
				t.Fatalf("Open accepted what decryptMsg rejects: %q", out)
			}
		}
		c2 := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: string(body)}
		_, _ = c2.Open(signed, []byte(env)) // arbitrary configured keys must not panic either
	})
}

func jsonQuote(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, []byte(`\u00`)...)
			b = append(b, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&15])
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{sample2014, sampleCopyright, sample2022, sampleJSON2024, sampleJSON2025, vecEPlain, vecAPlain, vecCPlain} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ev, err := ParseEvent(in)
		if err != nil {
			return
		}
		// Whatever we accept we can write back as XML that parses again to the same event: what
		// XML() writes is a fixed point after one round (strings lose only what XML cannot carry),
		// and a mass-send result keeps its job id, type and every count.
		x1 := ev.XML()
		ev2, err := ParseEvent(x1)
		if err != nil {
			t.Fatalf("XML() of a parsed event does not parse: %v\n%s", err, x1)
		}
		x2 := ev2.XML()
		ev3, err := ParseEvent(x2)
		if err != nil {
			t.Fatalf("second round does not parse: %v\n%s", err, x2)
		}
		if x3 := ev3.XML(); !bytes.Equal(x2, x3) {
			t.Fatalf("XML() is not a fixed point:\n%s\n%s", x2, x3)
		}
		if ev.CreateTime != ev2.CreateTime || (ev.Event == EventMassSendJobFinish) != (ev2.Event == EventMassSendJobFinish) {
			t.Fatalf("round trip changed the event: %+v\n%+v", ev, ev2)
		}
		if ev.Event == EventMassSendJobFinish {
			a, b := ev, ev2
			if a.MsgID != b.MsgID || a.TotalCount != b.TotalCount || a.FilterCount != b.FilterCount ||
				a.SentCount != b.SentCount || a.ErrorCount != b.ErrorCount ||
				a.CopyrightCheckResult.CheckState != b.CopyrightCheckResult.CheckState ||
				len(a.CopyrightCheckResult.ResultList) != len(b.CopyrightCheckResult.ResultList) ||
				len(a.ArticleURLResult.ResultList) != len(b.ArticleURLResult.ResultList) {
				t.Fatalf("round trip changed the result:\n%+v\n%+v", a, b)
			}
			// The status reads the same (XML turns a CR into LF, so its text may differ by that).
			if k1, _ := StatusKey(a.Status); k1 != mustKeyOf(b.Status) {
				t.Fatalf("status %q read as %s, then %q as %s", a.Status, k1, b.Status, mustKeyOf(b.Status))
			}
			k2, args2 := StatusKey(b.Status)
			if k3, args3 := StatusKey(ev3.Status); k2 != k3 || fmt.Sprint(args2) != fmt.Sprint(args3) {
				t.Fatalf("status %q then %q", b.Status, ev3.Status)
			}
		}
	})
}

func mustKeyOf(status string) string {
	k, _ := StatusKey(status)
	return k
}
