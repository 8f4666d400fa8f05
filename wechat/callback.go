package wechat

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature is WeChat's callback signature: lower-case hex sha1 of the byte-wise sorted,
// concatenated parts (token, timestamp, nonce[, Encrypt]).
func Signature(parts ...string) string {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

func equalSignature(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// Codec verifies, decrypts and (for the sandbox) produces callback requests.
type Codec struct {
	Token          string
	AppID          string
	EncodingAESKey string // "" = plaintext only; 43 characters otherwise
	// PreviousEncodingAESKey is tried when the current key does not decrypt: WeChat's FAQ says
	// to keep the previous key after a change, for pushes already on their way (§4.2).
	PreviousEncodingAESKey string
}

// VerifyURL checks a GET URL-verification request and returns echostr verbatim when it is genuine.
func (c Codec) VerifyURL(q url.Values) (echostr string, ok bool) {
	if c.Token == "" || q.Get("signature") == "" {
		return "", false
	}
	if !equalSignature(q.Get("signature"), Signature(c.Token, q.Get("timestamp"), q.Get("nonce"))) {
		return "", false
	}
	return q.Get("echostr"), true
}

// envelope is the encrypted body: XML <xml><ToUserName/><Encrypt/></xml> or JSON with the same keys.
// In compatible mode the XML also carries the plaintext fields, which are ignored here.
type envelope struct {
	ToUserName string `xml:"ToUserName" json:"ToUserName"`
	Encrypt    string `xml:"Encrypt" json:"Encrypt"`
}

func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	trimmed := bytes.TrimSpace(body)
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(trimmed, &env)
	} else {
		err = xml.Unmarshal(trimmed, &env)
	}
	if err != nil {
		return envelope{}, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	env.Encrypt = strings.TrimSpace(env.Encrypt)
	if env.Encrypt == "" {
		return envelope{}, fmt.Errorf("%w: no Encrypt in the body", ErrMalformed)
	}
	return env, nil
}

// Open checks a callback POST and returns the plaintext message (XML or JSON).
// Plaintext mode (no encrypt_type, or "raw"): signature over token, timestamp, nonce.
// Compatible and secure mode (encrypt_type=aes): msg_signature over token, timestamp, nonce and
// Encrypt (and signature too when present), then decryption and the appid check.
func (c Codec) Open(q url.Values, body []byte) ([]byte, error) {
	if c.Token == "" {
		return nil, fmt.Errorf("%w: no callback token configured", ErrSignature)
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	sig := q.Get("signature")
	switch q.Get("encrypt_type") {
	case "", "raw":
		if sig == "" || !equalSignature(sig, Signature(c.Token, ts, nonce)) {
			return nil, ErrSignature
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, fmt.Errorf("%w: empty body", ErrMalformed)
		}
		return body, nil
	case "aes":
		msgSig := q.Get("msg_signature")
		if msgSig == "" {
			return nil, fmt.Errorf("%w: msg_signature missing", ErrSignature)
		}
		if sig != "" && !equalSignature(sig, Signature(c.Token, ts, nonce)) {
			return nil, ErrSignature
		}
		env, err := parseEnvelope(body)
		if err != nil {
			return nil, err
		}
		if !equalSignature(msgSig, Signature(c.Token, ts, nonce, env.Encrypt)) {
			return nil, ErrSignature
		}
		if c.EncodingAESKey == "" {
			return nil, fmt.Errorf("%w: encrypted callback but no EncodingAESKey configured", ErrDecrypt)
		}
		msg, err := c.decrypt(c.EncodingAESKey, env.Encrypt)
		if err != nil && c.PreviousEncodingAESKey != "" && (errors.Is(err, ErrDecrypt) || errors.Is(err, ErrAppID)) {
			if prev, perr := c.decrypt(c.PreviousEncodingAESKey, env.Encrypt); perr == nil {
				return prev, nil
			}
		}
		return msg, err
	default:
		return nil, fmt.Errorf("%w: unknown encrypt_type", ErrMalformed)
	}
}

func (c Codec) decrypt(encodingAESKey, encrypted string) ([]byte, error) {
	key, err := AESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	msg, _, err := decryptMsg(key, encrypted, c.AppID)
	return msg, err
}

// Seal does what WeChat does when it pushes plaintext: it returns the query (signature, timestamp,
// nonce, openid; plus encrypt_type=aes and msg_signature when secure) and the body (the plaintext,
// or <xml><ToUserName/><Encrypt/></xml>).
func (c Codec) Seal(plaintext []byte, timestamp, nonce string, secure bool) (url.Values, []byte, error) {
	return c.seal(plaintext, timestamp, nonce, secure, rand.Reader)
}

func (c Codec) seal(plaintext []byte, timestamp, nonce string, secure bool, random io.Reader) (url.Values, []byte, error) {
	if c.Token == "" {
		return nil, nil, fmt.Errorf("wechat: seal: no token")
	}
	var head struct {
		ToUserName   string `xml:"ToUserName" json:"ToUserName"`
		FromUserName string `xml:"FromUserName" json:"FromUserName"`
	}
	if t := bytes.TrimSpace(plaintext); len(t) > 0 && t[0] == '{' {
		_ = json.Unmarshal(t, &head) // best effort: only used for openid/ToUserName
	} else {
		_ = xml.Unmarshal(t, &head)
	}
	q := url.Values{}
	q.Set("signature", Signature(c.Token, timestamp, nonce))
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	if head.FromUserName != "" {
		q.Set("openid", head.FromUserName)
	}
	if !secure {
		return q, append([]byte(nil), plaintext...), nil
	}
	key, err := AESKey(c.EncodingAESKey)
	if err != nil {
		return nil, nil, err
	}
	rnd := make([]byte, randomLen)
	if _, err := io.ReadFull(random, rnd); err != nil {
		return nil, nil, fmt.Errorf("wechat: seal: random: %w", err)
	}
	enc, err := encryptMsg(key, rnd, plaintext, c.AppID)
	if err != nil {
		return nil, nil, err
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(c.Token, timestamp, nonce, enc))
	var body bytes.Buffer
	body.WriteString("<xml><ToUserName>")
	writeCDATA(&body, head.ToUserName)
	body.WriteString("</ToUserName><Encrypt>")
	writeCDATA(&body, enc)
	body.WriteString("</Encrypt></xml>")
	return q, body.Bytes(), nil
}

// CheckTimestamp rejects a callback whose timestamp is further than maxSkew from now (replay guard;
// WeChat itself does not check). The error wraps ErrStale or ErrMalformed.
func CheckTimestamp(q url.Values, now time.Time, maxSkew time.Duration) error {
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp is not a number", ErrMalformed)
	}
	d := now.Sub(time.Unix(ts, 0))
	if d > maxSkew || d < -maxSkew {
		return ErrStale
	}
	return nil
}
