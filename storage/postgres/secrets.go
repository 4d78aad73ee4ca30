package postgres

// The sealing scheme is storage/sqlite's (secrets.go there): the same
// prefix, AES-256-GCM and additional data, so a value means the same in
// both stores.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// encPrefix marks an encrypted value; the version leaves room for another
// scheme (or a rotated key) without guessing at what a value is.
const encPrefix = "enc:v1:"

// sealer encrypts channel secrets with AES-256-GCM. A nil *sealer stores
// them as given.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("postgres: encryption key is %d bytes, want 32 (AES-256)", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("postgres: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("postgres: encryption key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts v, the field of channel id. The channel and field are bound
// to the ciphertext as additional data, so a value copied to another channel
// or field in the file fails to decrypt rather than being used there.
func (s *sealer) seal(v, id, field string) string {
	if s == nil || v == "" {
		return v
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(v)+s.aead.Overhead())
	rand.Read(nonce) // crypto/rand.Read never fails
	out := s.aead.Seal(nonce, nonce, []byte(v), additional(id, field))
	return encPrefix + base64.StdEncoding.EncodeToString(out)
}

func additional(id, field string) []byte {
	return []byte(id + "\x00" + field)
}

// open decrypts a value written by seal. A value without the prefix was
// written without a key and is returned as it is, so a database can move
// from plaintext to encrypted: its secrets are encrypted as channels are
// next written. Errors name the channel and field, never the value.
func (s *sealer) open(v, id, field string) (string, error) {
	rest, ok := strings.CutPrefix(v, encPrefix)
	if !ok {
		return v, nil
	}
	if s == nil {
		return "", fmt.Errorf("postgres: channel %q: %s is encrypted and no encryption key was given (WithEncryptionKey)", id, field)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", fmt.Errorf("postgres: channel %q: %s: %w", id, field, ErrDecrypt)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], additional(id, field))
	if err != nil {
		return "", fmt.Errorf("postgres: channel %q: %s: %w", id, field, ErrDecrypt)
	}
	return string(plain), nil
}
