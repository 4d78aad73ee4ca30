// Package seal encrypts the secrets a store keeps (channel keys, secret
// headers, OAuth tokens) with AES-256-GCM, bound to the channel and field
// they belong to. storage/sqlite and storage/postgres share it, so a value
// means the same in both.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Prefix marks an encrypted value; the version leaves room for another
// scheme (or a rotated key) without guessing at what a value is.
const Prefix = "enc:v1:"

// Sealer encrypts with one key, or, made without one, stores values as
// given.
type Sealer struct {
	aead       cipher.AEAD // nil: no key
	store      string      // the store's name, for errors
	errDecrypt error       // what a value that does not decrypt wraps
}

// New returns a Sealer for key (32 bytes; nil for none). store names the
// store in errors, and errDecrypt is the store's error for a value that
// does not decrypt.
func New(key []byte, store string, errDecrypt error) (*Sealer, error) {
	s := &Sealer{store: store, errDecrypt: errDecrypt}
	if key == nil {
		return s, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s: encryption key is %d bytes, want 32 (AES-256)", store, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%s: encryption key: %w", store, err)
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("%s: encryption key: %w", store, err)
	}
	return s, nil
}

// Encrypts reports whether s has a key.
func (s *Sealer) Encrypts() bool { return s.aead != nil }

// Seal encrypts v, the field of channel id. The channel and field are bound
// to the ciphertext as additional data, so a value copied to another channel
// or field fails to decrypt rather than being used there.
func (s *Sealer) Seal(v, id, field string) string {
	if s.aead == nil || v == "" {
		return v
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(v)+s.aead.Overhead())
	rand.Read(nonce) // crypto/rand.Read never fails
	out := s.aead.Seal(nonce, nonce, []byte(v), additional(id, field))
	return Prefix + base64.StdEncoding.EncodeToString(out)
}

func additional(id, field string) []byte {
	return []byte(id + "\x00" + field)
}

// Open decrypts a value written by Seal. A value without the prefix was
// written without a key and is returned as it is, so a database can move
// from plaintext to encrypted: its secrets are encrypted as channels are
// next written. Errors name the channel and field, never the value.
func (s *Sealer) Open(v, id, field string) (string, error) {
	rest, ok := strings.CutPrefix(v, Prefix)
	if !ok {
		return v, nil
	}
	if s.aead == nil {
		return "", fmt.Errorf("%s: channel %q: %s is encrypted and no encryption key was given (WithEncryptionKey)", s.store, id, field)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", fmt.Errorf("%s: channel %q: %s: %w", s.store, id, field, s.errDecrypt)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], additional(id, field))
	if err != nil {
		return "", fmt.Errorf("%s: channel %q: %s: %w", s.store, id, field, s.errDecrypt)
	}
	return string(plain), nil
}
