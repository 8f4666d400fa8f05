package wechat

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
)

// FuzzCodecRoundTrip: whatever the plaintext, Seal then Open gives it back byte for byte (with the
// current key, and with it as the previous key after a change); another appid or key is refused;
// and a changed ciphertext, timestamp, nonce or msg_signature is refused by the signature check.
// A ciphertext changed and re-signed with the token (an attacker holding the token but not the
// key: CBC carries no MAC) may decrypt, but never to the original message.
func FuzzCodecRoundTrip(f *testing.F) {
	for _, s := range []struct{ plain, random, ts, nonce string }{
		{vecAPlain, vecARandom, vecATimestamp, vecANonce},
		{vecBPlain1, vecBRandom, "1407743423", "1320562132"},
		{vecBPlain2, vecBRandom, "1407743423", "1320562132"},
		{vecCPlain, vecCRandom, vecCTimestamp, vecCNonce},
		{vecDPlain, vecDRandom, "1458889120", "1"},
		{vecEPlain, vecERandom, vecETimestamp, vecENonce},
		{sampleJSON2024, vecERandom, vecETimestamp, vecENonce},
		{"", vecERandom, "", ""},
		{"]]><xml>", "short", "0", "]]>"},
	} {
		f.Add([]byte(s.plain), []byte(s.random), s.ts, s.nonce, uint(0), byte(1))
		f.Add([]byte(s.plain), []byte(s.random), s.ts, s.nonce, uint(40), byte(0x80))
	}
	codec := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: demoKey}
	f.Fuzz(func(t *testing.T, plain, random []byte, ts, nonce string, pos uint, flip byte) {
		random = append(random, make([]byte, randomLen)...)[:randomLen]
		q, body, err := codec.seal(plain, ts, nonce, true, bytes.NewReader(random))
		if err != nil {
			t.Fatalf("seal: %v", err)
		}
		got, err := codec.Open(q, body)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		rotated := Codec{Token: codec.Token, AppID: codec.AppID, EncodingAESKey: vecDKey, PreviousEncodingAESKey: demoKey}
		if got, err := rotated.Open(q, body); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("previous key: Open = %q, %v", got, err)
		}
		otherApp := codec
		otherApp.AppID = vecBAppID
		if _, err := otherApp.Open(q, body); !errors.Is(err, ErrAppID) {
			t.Fatalf("another appid: err = %v, want ErrAppID", err)
		}
		otherKey := codec
		otherKey.EncodingAESKey = vecDKey
		if _, err := otherKey.Open(q, body); !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrAppID) {
			t.Fatalf("another key: err = %v", err)
		}

		env, err := parseEnvelope(body)
		if err != nil {
			t.Fatalf("envelope of a sealed body: %v", err)
		}
		ct, err := base64.StdEncoding.DecodeString(env.Encrypt)
		if err != nil || len(ct)%32 != 0 {
			t.Fatalf("ciphertext: %d bytes, %v", len(ct), err)
		}
		if _, rnd, err := decryptMsg(mustKey(t, demoKey), env.Encrypt, codec.AppID); err != nil || !bytes.Equal(rnd, random) {
			t.Fatalf("random prefix = %x, %v, want %x", rnd, err, random)
		}
		if flip == 0 {
			flip = 1
		}
		ct[pos%uint(len(ct))] ^= flip
		tampered := base64.StdEncoding.EncodeToString(ct)
		tBody := []byte(`{"ToUserName":"gh","Encrypt":"` + tampered + `"}`)
		if _, err := codec.Open(q, tBody); !errors.Is(err, ErrSignature) {
			t.Fatalf("tampered ciphertext with the original signature: err = %v", err)
		}
		resigned := cloneValues(q)
		resigned.Set("msg_signature", Signature(codec.Token, ts, nonce, tampered))
		if got, err := codec.Open(resigned, tBody); err == nil && bytes.Equal(got, plain) {
			t.Fatalf("a changed ciphertext decrypted to the original message")
		}
		for _, k := range []string{"timestamp", "nonce", "msg_signature"} {
			bad := cloneValues(q)
			v := bad.Get(k)
			bad.Set(k, v+"0")
			if k == "msg_signature" && len(v) > 0 {
				bad.Set(k, string(v[0]^1)+v[1:])
			}
			if _, err := codec.Open(bad, body); !errors.Is(err, ErrSignature) {
				t.Fatalf("changed %s: err = %v", k, err)
			}
		}
	})
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
