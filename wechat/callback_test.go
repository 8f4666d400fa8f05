package wechat

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignatureOfficialExamples(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"§4.1 URL verification", []string{"AAAAA", "1714036504", "1514711492"}, "f464b24fc39322e44b38aa78f5edd27bd1441696"},
		{"§4.2 plaintext POST", []string{"AAAAA", "1714037059", "486452656"}, "899cf89e464efb63f54ddac96b0a0a235f53aa78"},
		{"vector A signature", []string{vecAToken, vecATimestamp, vecANonce}, vecASig},
		{"vector A msg_signature", []string{vecAToken, vecATimestamp, vecANonce, vecAEncrypt}, vecAMsgSig},
		{"vector C msg_signature", []string{vecCToken, vecCTimestamp, vecCNonce, vecCEncrypt}, vecCMsgSig},
	}
	for _, tt := range tests {
		if got := Signature(tt.in...); got != tt.want {
			t.Errorf("%s: Signature = %s, want %s", tt.name, got, tt.want)
		}
	}
	// Signature must not reorder the caller's slice.
	parts := []string{"b", "a"}
	Signature(parts...)
	if parts[0] != "b" {
		t.Error("Signature sorted the caller's slice")
	}
}

func TestVerifyURL(t *testing.T) {
	c := Codec{Token: "AAAAA"}
	q := url.Values{"signature": {"f464b24fc39322e44b38aa78f5edd27bd1441696"}, "timestamp": {"1714036504"},
		"nonce": {"1514711492"}, "echostr": {"4375120948345356249"}}
	if echo, ok := c.VerifyURL(q); !ok || echo != "4375120948345356249" {
		t.Fatalf("VerifyURL = %q, %v", echo, ok)
	}
	// echostr is returned verbatim, whatever it contains.
	q.Set("echostr", " a+b/<x>&= ")
	if echo, ok := c.VerifyURL(q); !ok || echo != " a+b/<x>&= " {
		t.Fatalf("VerifyURL = %q, %v", echo, ok)
	}
	for name, mutate := range map[string]func(url.Values){
		"bad signature":   func(q url.Values) { q.Set("signature", "0464b24fc39322e44b38aa78f5edd27bd1441696") },
		"no signature":    func(q url.Values) { q.Del("signature") },
		"other timestamp": func(q url.Values) { q.Set("timestamp", "1714036505") },
		"other nonce":     func(q url.Values) { q.Set("nonce", "1") },
	} {
		bad := url.Values{}
		for k, v := range q {
			bad[k] = append([]string(nil), v...)
		}
		mutate(bad)
		if echo, ok := c.VerifyURL(bad); ok || echo != "" {
			t.Errorf("%s: VerifyURL = %q, %v", name, echo, ok)
		}
	}
	if _, ok := (Codec{}).VerifyURL(url.Values{"signature": {Signature("", "1", "2")}, "timestamp": {"1"}, "nonce": {"2"}}); ok {
		t.Error("an empty token must never verify")
	}
}

func clone(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestOpenPlaintext(t *testing.T) {
	c := Codec{Token: "AAAAA"}
	body := []byte(sample2022)
	q := url.Values{"signature": {"899cf89e464efb63f54ddac96b0a0a235f53aa78"}, "timestamp": {"1714037059"}, "nonce": {"486452656"}, "openid": {"o1"}}
	got, err := c.Open(q, body)
	if err != nil || string(got) != sample2022 {
		t.Fatalf("Open = %q, %v", got, err)
	}
	raw := clone(q)
	raw.Set("encrypt_type", "raw")
	if _, err := c.Open(raw, body); err != nil {
		t.Fatalf("encrypt_type=raw: %v", err)
	}
	tests := []struct {
		name string
		q    func() url.Values
		body string
		want error
	}{
		{"bad signature", func() url.Values { b := clone(q); b.Set("signature", strings.Repeat("0", 40)); return b }, sample2022, ErrSignature},
		{"missing signature", func() url.Values { b := clone(q); b.Del("signature"); return b }, sample2022, ErrSignature},
		{"replayed with other nonce", func() url.Values { b := clone(q); b.Set("nonce", "1"); return b }, sample2022, ErrSignature},
		{"empty body", func() url.Values { return clone(q) }, "  ", ErrMalformed},
		{"unknown encrypt_type", func() url.Values { b := clone(q); b.Set("encrypt_type", "des"); return b }, sample2022, ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := c.Open(tt.q(), []byte(tt.body)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := (Codec{}).Open(q, body); !errors.Is(err, ErrSignature) {
		t.Errorf("no token: err = %v", err)
	}
}

func vecAQuery() url.Values {
	return url.Values{"signature": {vecASig}, "timestamp": {vecATimestamp}, "nonce": {vecANonce},
		"openid": {"oyORnuP8q7ou2gfYjqLzSIWZf0rs"}, "encrypt_type": {"aes"}, "msg_signature": {vecAMsgSig}}
}

func TestOpenEncrypted(t *testing.T) {
	c := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: demoKey}
	secure := "<xml>\n  <ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n  <Encrypt><![CDATA[" + vecAEncrypt + "]]></Encrypt>\n</xml>"
	compat := strings.TrimSuffix(vecAPlain, "</xml>") + "<Encrypt><![CDATA[" + vecAEncrypt + "]]></Encrypt>\n</xml>"
	jsonBody := `{"ToUserName":"gh_10f6c3c3ac5a","Encrypt":"` + vecAEncrypt + `"}`
	for name, body := range map[string]string{"secure": secure, "compatible": compat, "json": jsonBody} {
		got, err := c.Open(vecAQuery(), []byte(body))
		if err != nil || string(got) != vecAPlain {
			t.Errorf("%s: Open = %q, %v", name, got, err)
		}
	}
	// Without the optional signature param the msg_signature alone suffices.
	q := vecAQuery()
	q.Del("signature")
	if _, err := c.Open(q, []byte(secure)); err != nil {
		t.Errorf("without signature: %v", err)
	}
	// Vector C through Open.
	cc := Codec{Token: vecCToken, AppID: vecCAppID, EncodingAESKey: demoKey}
	qc := url.Values{"timestamp": {vecCTimestamp}, "nonce": {vecCNonce}, "encrypt_type": {"aes"}, "msg_signature": {vecCMsgSig}}
	if got, err := cc.Open(qc, []byte("<xml><Encrypt><![CDATA["+vecCEncrypt+"]]></Encrypt></xml>")); err != nil || string(got) != vecCPlain {
		t.Errorf("vector C: Open = %q, %v", got, err)
	}

	tampered := strings.Replace(secure, vecAEncrypt[:8], "AAAAAAAA", 1)
	tests := []struct {
		name  string
		codec Codec
		q     func() url.Values
		body  string
		want  error
	}{
		{"bad msg_signature", c, func() url.Values { q := vecAQuery(); q.Set("msg_signature", vecASig); return q }, secure, ErrSignature},
		{"missing msg_signature", c, func() url.Values { q := vecAQuery(); q.Del("msg_signature"); return q }, secure, ErrSignature},
		{"bad signature", c, func() url.Values { q := vecAQuery(); q.Set("signature", vecAMsgSig); return q }, secure, ErrSignature},
		{"bad msg_signature compat", c, func() url.Values { q := vecAQuery(); q.Set("msg_signature", vecASig); return q }, compat, ErrSignature},
		{"tampered Encrypt", c, vecAQuery, tampered, ErrSignature},
		{"plaintext signature only", c, func() url.Values { q := vecAQuery(); q.Del("encrypt_type"); q.Set("signature", "x"); return q }, compat, ErrSignature},
		{"no Encrypt", c, vecAQuery, vecAPlain, ErrMalformed},
		{"not XML", c, vecAQuery, "<xml><Encrypt>", ErrMalformed},
		{"wrong token", Codec{Token: "other", AppID: vecAAppID, EncodingAESKey: demoKey}, vecAQuery, secure, ErrSignature},
		{"wrong appid", Codec{Token: vecAToken, AppID: "wxother", EncodingAESKey: demoKey}, vecAQuery, secure, ErrAppID},
		{"no key configured", Codec{Token: vecAToken, AppID: vecAAppID}, vecAQuery, secure, ErrDecrypt},
		{"bad key configured", Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: "short"}, vecAQuery, secure, ErrDecrypt},
	}
	for _, tt := range tests {
		if _, err := tt.codec.Open(tt.q(), []byte(tt.body)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	wrongKey := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: vecDKey}
	if _, err := wrongKey.Open(vecAQuery(), []byte(secure)); !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrAppID) {
		t.Errorf("wrong key: err = %v", err)
	}
}

func TestSealPlaintext(t *testing.T) {
	c := Codec{Token: "AAAAA"}
	q, body, err := c.Seal([]byte(sample2022), "1714037059", "486452656", false)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("signature") != "899cf89e464efb63f54ddac96b0a0a235f53aa78" || q.Get("encrypt_type") != "" || q.Get("msg_signature") != "" {
		t.Errorf("query = %v", q)
	}
	if q.Get("openid") != "ov7hP6b1X_yWfnX7Jy3IFQnwJzzM" {
		t.Errorf("openid = %q", q.Get("openid"))
	}
	if string(body) != sample2022 {
		t.Errorf("body changed")
	}
	if _, _, err := c.Seal([]byte(sample2022), "1", "2", true); !errors.Is(err, ErrDecrypt) {
		t.Errorf("secure without a key: err = %v", err)
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1714037059, 0)
	for ts, want := range map[string]error{"1714037059": nil, "1714036800": nil, "1714037300": nil,
		"1714036000": ErrStale, "1714039000": ErrStale, "": ErrMalformed, "x": ErrMalformed} {
		err := CheckTimestamp(url.Values{"timestamp": {ts}}, now, 5*time.Minute)
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("timestamp %q: err = %v, want %v", ts, err, want)
		}
	}
}

// After an EncodingAESKey change, pushes sealed with the previous key still
// open (WeChat's FAQ: keep the current and the previous key); a key that is
// neither is refused.
func TestOpenWithPreviousAESKey(t *testing.T) {
	const oldKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	const newKey = "AdiqDDDvUNCeE1ZW5XJmjf9fqNBJpGBs4vL4cHKmHBS"
	plain := []byte("<xml><Event><![CDATA[MASSSENDJOBFINISH]]></Event></xml>")
	sealer := Codec{Token: "tok", AppID: "wx2c2769f8efd9abc2", EncodingAESKey: oldKey}
	q, body, err := sealer.Seal(plain, "1700000000", "n1", true)
	if err != nil {
		t.Fatal(err)
	}
	current := Codec{Token: "tok", AppID: "wx2c2769f8efd9abc2", EncodingAESKey: newKey}
	if _, err := current.Open(q, body); err == nil {
		t.Fatal("the new key alone opened a push sealed with the old one")
	}
	current.PreviousEncodingAESKey = oldKey
	got, err := current.Open(q, body)
	if err != nil || string(got) != string(plain) {
		t.Fatalf("with the previous key: %q, %v", got, err)
	}
	other := current
	other.PreviousEncodingAESKey = newKey
	if _, err := other.Open(q, body); err == nil {
		t.Fatal("a key that is neither current nor previous opened the push")
	}
}
