package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// WXBizMsgCrypt (protocol §4.4): AES-256-CBC, IV = key[:16], plaintext
// random(16) ‖ msg_len (4, big-endian) ‖ msg ‖ appid, PKCS#7-padded to a multiple of 32.

const (
	aesKeyLen    = 43
	randomLen    = 16
	cryptPadUnit = 32
)

// AESKey decodes a 43-character EncodingAESKey into the 32-byte AES key. The last character
// carries spare bits that are often non-zero, so the decoding is deliberately non-strict.
func AESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != aesKeyLen {
		return nil, fmt.Errorf("%w: EncodingAESKey must be %d characters, got %d", ErrDecrypt, aesKeyLen, len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: EncodingAESKey is not valid base64", ErrDecrypt)
	}
	return key, nil
}

// encryptMsg encrypts msg for appID with the given 16 random bytes and returns base64 ciphertext.
func encryptMsg(key, random, msg []byte, appID string) (string, error) {
	if len(random) != randomLen {
		return "", fmt.Errorf("wechat: encrypt: need %d random bytes", randomLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("wechat: encrypt: %w", err)
	}
	n := randomLen + 4 + len(msg) + len(appID)
	pad := cryptPadUnit - n%cryptPadUnit // 1..32: a full block of 32 when aligned
	plain := make([]byte, 0, n+pad)
	plain = append(plain, random...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, appID...)
	for range pad {
		plain = append(plain, byte(pad))
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// decryptMsg reverses encryptMsg and returns the message and the random prefix. It checks every
// length before slicing, so hostile input gives an error, never a panic.
func decryptMsg(key []byte, encrypted, appID string) (msg, random []byte, err error) {
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: Encrypt is not base64", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, nil, fmt.Errorf("%w: ciphertext length %d is not a multiple of %d", ErrDecrypt, len(ct), aes.BlockSize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(plain, ct)

	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > cryptPadUnit || pad > len(plain) {
		return nil, nil, fmt.Errorf("%w: bad padding (wrong EncodingAESKey?)", ErrDecrypt)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, nil, fmt.Errorf("%w: bad padding (wrong EncodingAESKey?)", ErrDecrypt)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < randomLen+4 {
		return nil, nil, fmt.Errorf("%w: plaintext too short", ErrDecrypt)
	}
	msgLen := binary.BigEndian.Uint32(plain[randomLen : randomLen+4])
	rest := plain[randomLen+4:]
	if uint64(msgLen) > uint64(len(rest)) {
		return nil, nil, fmt.Errorf("%w: message length %d exceeds the plaintext", ErrDecrypt, msgLen)
	}
	msg = rest[:msgLen]
	gotAppID := rest[msgLen:]
	if subtle.ConstantTimeCompare(gotAppID, []byte(appID)) != 1 {
		return nil, nil, ErrAppID
	}
	return msg, plain[:randomLen], nil
}
