package models

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Secrets at rest (issue 8 §2): the settings table keeps AppSecret, Token and EncodingAESKey
// sealed with AES-256-GCM under a key that is not in the database: the file beside it
// (KeyPath, created 0600 on first run) or QUNFA_SECRET_KEY. A copy of the database alone does
// not give the account away. Losing the key loses those three values: Settings then reports
// SecretsUnreadable with them empty, and the operator enters them again (README).

// SecretKeySize is the key's length: AES-256.
const SecretKeySize = 32

// sealedPrefix marks a sealed value: the prefix, then base64 of nonce and ciphertext.
const sealedPrefix = "enc:v1:"

// secretKeys are the settings sealed at rest.
var secretKeys = []string{keyAppSecret, keyToken, keyEncodingAESKey}

// ErrBadSecretKey is a key (file or QUNFA_SECRET_KEY) that is not 32 bytes in base64.
var ErrBadSecretKey = errors.New("models: the secret key is not 32 bytes in base64")

// KeyPath is where the key of the database at dbPath is kept when the environment gives none.
func KeyPath(dbPath string) string { return dbPath + ".key" }

// ParseSecretKey decodes a key given in base64 (QUNFA_SECRET_KEY, the key file).
func ParseSecretKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != SecretKeySize {
		return nil, ErrBadSecretKey
	}
	return b, nil
}

// LoadOrCreateKey reads the key file at path, or creates it (mode 0600, whatever the umask)
// with a new random key when there is none. A file with a looser mode is made 0600.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, SecretKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // another process made it first: use theirs
			return LoadOrCreateKey(path)
		}
		if err != nil {
			return nil, err
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close(), os.Chmod(path, 0o600)); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	if err := tightenMode(path); err != nil {
		return nil, err
	}
	key, err := ParseSecretKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

type secretBox struct{ aead cipher.AEAD }

func newSecretBox(key []byte) (*secretBox, error) {
	if len(key) != SecretKeySize {
		return nil, ErrBadSecretKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &secretBox{aead: aead}, nil
}

// seal encrypts a setting's value; the setting's name is authenticated with it, so a sealed
// value cannot be moved to another setting.
func (b *secretBox) seal(name, value string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	out := b.aead.Seal(nonce, nonce, []byte(value), []byte(name))
	return sealedPrefix + base64.StdEncoding.EncodeToString(out)
}

// open decrypts a stored value; a value not sealed (written before this version) is returned
// as it is. ok is false when the value is sealed under another key or damaged.
func (b *secretBox) open(name, stored string) (value string, ok bool) {
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, true
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", false
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(name))
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// sealClearSecrets seals the secrets still stored in clear (a database from before this
// version); sealed ones are left as they are, so it can run at every start.
func (s *Store) sealClearSecrets(ctx context.Context) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		var rows []settingRow
		if err := s.db(ctx).Where("key IN ?", secretKeys).Find(&rows).Error; err != nil {
			return err
		}
		kv := map[string]string{}
		for _, r := range rows {
			if r.Value != "" && !strings.HasPrefix(r.Value, sealedPrefix) {
				kv[r.Key] = s.box.seal(r.Key, r.Value)
			}
		}
		if len(kv) == 0 {
			return nil
		}
		return s.putSettings(ctx, kv)
	})
}

// keyFormSigning names the key that signs the CSRF cookie of visitors not logged in.
const keyFormSigning = "form_signing_key"

// FormSigningKey returns the key that signs a visitor's CSRF cookie, made on first use and kept
// (sealed) in the settings table, so that a login form survives a restart and works whichever
// instance serves its submission.
func (s *Service) FormSigningKey(ctx context.Context) ([]byte, error) {
	st := s.store
	var key []byte
	err := st.inTx(ctx, func(ctx context.Context) error {
		var rows []settingRow
		if err := st.db(ctx).Where("key = ?", keyFormSigning).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			if v, ok := st.box.open(keyFormSigning, rows[0].Value); ok && strings.HasPrefix(rows[0].Value, sealedPrefix) {
				if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == SecretKeySize {
					key = b
					return nil
				}
			}
		}
		key = make([]byte, SecretKeySize) // none yet, or sealed under a lost key: a new one
		if _, err := rand.Read(key); err != nil {
			return err
		}
		return st.putSettings(ctx, map[string]string{keyFormSigning: st.box.seal(keyFormSigning, base64.StdEncoding.EncodeToString(key))})
	})
	return key, err
}
