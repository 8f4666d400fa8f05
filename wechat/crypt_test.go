package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

func mustKey(t testing.TB, s string) []byte {
	t.Helper()
	k, err := AESKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAESKeyNonStrict(t *testing.T) {
	k := mustKey(t, demoKey)
	if got := hex.EncodeToString(k); got != "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051" {
		t.Fatalf("AESKey = %s", got)
	}
	for _, bad := range []string{"", "short", demoKey + "H", "!!!defghijklmnopqrstuvwxyz0123456789ABCDEFG"} {
		if _, err := AESKey(bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("AESKey(%q) err = %v, want ErrDecrypt", bad, err)
		}
	}
}

func TestDecryptVectors(t *testing.T) {
	tests := []struct {
		name, key, appID, encrypt, random, plain string
	}{
		{"A official demo", demoKey, vecAAppID, vecAEncrypt, vecARandom, vecAPlain},
		{"B1 official java", demoKey, vecBAppID, vecBEncrypt1, vecBRandom, vecBPlain1},
		{"B2 official java", demoKey, vecBAppID, vecBEncrypt2, vecBRandom, vecBPlain2},
		{"C easywechat", demoKey, vecCAppID, vecCEncrypt, vecCRandom, vecCPlain},
		{"D chanxuehong", vecDKey, vecDAppID, vecDEncrypt, vecDRandom, vecDPlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, random, err := decryptMsg(mustKey(t, tt.key), tt.encrypt, tt.appID)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg) != tt.plain {
				t.Errorf("msg = %q\nwant %q", msg, tt.plain)
			}
			if string(random) != tt.random {
				t.Errorf("random = %q, want %q", random, tt.random)
			}
		})
	}
}

func TestEncryptVectors(t *testing.T) {
	tests := []struct {
		name, key, appID, random, plain, want string
	}{
		{"B1", demoKey, vecBAppID, vecBRandom, vecBPlain1, vecBEncrypt1},
		{"B2", demoKey, vecBAppID, vecBRandom, vecBPlain2, vecBEncrypt2},
		{"C", demoKey, vecCAppID, vecCRandom, vecCPlain, vecCEncrypt},
		{"D", vecDKey, vecDAppID, vecDRandom, vecDPlain, vecDEncrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encryptMsg(mustKey(t, tt.key), []byte(tt.random), []byte(tt.plain), tt.appID)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("encrypt = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

func TestVectorESealOpen(t *testing.T) {
	c := Codec{Token: vecAToken, AppID: vecAAppID, EncodingAESKey: demoKey}
	q, body, err := c.seal([]byte(vecEPlain), vecETimestamp, vecENonce, true, bytes.NewReader([]byte(vecERandom)))
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Get("msg_signature"); got != vecEMsgSig {
		t.Errorf("msg_signature = %s, want %s", got, vecEMsgSig)
	}
	if got := q.Get("signature"); got != vecESig {
		t.Errorf("signature = %s, want %s", got, vecESig)
	}
	if q.Get("encrypt_type") != "aes" || q.Get("openid") != "oV5CrjpxgaGXNHIQigzNlgLTnwic" {
		t.Errorf("query = %v", q)
	}
	env, err := parseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	if ct, _ := base64.StdEncoding.DecodeString(env.Encrypt); len(ct) != 768 {
		t.Errorf("ciphertext is %d bytes, want 768", len(ct))
	}
	if env.ToUserName != "gh_4d00ed8d6399" {
		t.Errorf("ToUserName = %q", env.ToUserName)
	}
	plain, err := c.Open(q, body)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != vecEPlain {
		t.Errorf("round trip changed the message:\n%s", plain)
	}
	// Seal with real randomness round-trips too.
	q, body, err = c.Seal([]byte(vecEPlain), vecETimestamp, vecENonce, true)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := c.Open(q, body); err != nil || string(plain) != vecEPlain {
		t.Fatalf("Open(Seal) = %q, %v", plain, err)
	}
}

// rawEncrypt encrypts an arbitrary already-padded plaintext, to build hostile ciphertexts.
func rawEncrypt(t *testing.T, key, plain []byte) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

func TestDecryptFailures(t *testing.T) {
	key := mustKey(t, demoKey)
	wrongKey := mustKey(t, vecDKey)
	good, err := encryptMsg(key, []byte(vecERandom), []byte("<xml/>"), vecAAppID)
	if err != nil {
		t.Fatal(err)
	}
	goodCT, _ := base64.StdEncoding.DecodeString(good)

	block := func(fill byte, last byte) []byte {
		b := bytes.Repeat([]byte{fill}, 32)
		b[31] = last
		return b
	}
	// msg_len claims more than is there.
	long := make([]byte, 0, 64)
	long = append(long, []byte(vecERandom)...)
	long = binary.BigEndian.AppendUint32(long, 0xFFFFFFF0)
	long = append(long, bytes.Repeat([]byte{'x'}, 64-20-4)...)
	long = append(long, 4, 4, 4, 4)

	tests := []struct {
		name    string
		key     []byte
		appID   string
		encrypt string
		want    error
	}{
		{"wrong appid", key, "wx0000000000000000", good, ErrAppID},
		{"empty appid", key, "", good, ErrAppID},
		{"truncated ciphertext", key, vecAAppID, base64.StdEncoding.EncodeToString(goodCT[:len(goodCT)-5]), ErrDecrypt},
		{"one block only", key, vecAAppID, base64.StdEncoding.EncodeToString(goodCT[:16]), ErrDecrypt},
		{"empty", key, vecAAppID, "", ErrDecrypt},
		{"not base64", key, vecAAppID, "%%%%", ErrDecrypt},
		{"pad 0", key, vecAAppID, rawEncrypt(t, key, block('a', 0)), ErrDecrypt},
		{"pad 33", key, vecAAppID, rawEncrypt(t, key, block('a', 33)), ErrDecrypt},
		{"pad bytes differ", key, vecAAppID, rawEncrypt(t, key, block('a', 3)), ErrDecrypt},
		{"pad 32 leaves nothing", key, vecAAppID, rawEncrypt(t, key, block(32, 32)), ErrDecrypt},
		{"msg_len too large", key, vecAAppID, rawEncrypt(t, key, long), ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decryptMsg(tt.key, tt.encrypt, tt.appID)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		_, _, err := decryptMsg(wrongKey, good, vecAAppID)
		if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrAppID) {
			t.Fatalf("err = %v, want ErrDecrypt or ErrAppID", err)
		}
	})
}

func TestEncryptPaddingIsOneTo32(t *testing.T) {
	key := mustKey(t, demoKey)
	for n := 0; n < 70; n++ {
		msg := bytes.Repeat([]byte{'m'}, n)
		enc, err := encryptMsg(key, []byte(vecERandom), msg, "app")
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := base64.StdEncoding.DecodeString(enc)
		if len(ct)%32 != 0 || len(ct) < 16+4+n+3+1 || len(ct) > 16+4+n+3+32 {
			t.Fatalf("n=%d: ciphertext length %d", n, len(ct))
		}
		got, _, err := decryptMsg(key, enc, "app")
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("n=%d: round trip %q, %v", n, got, err)
		}
	}
}
