package settings

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts secrets with AES-256-GCM. The key is derived from
// VIGIL_SECRET_KEY with HKDF under a label of its own, so the same secret
// key signing other things never doubles as this encryption key. The
// setting's name is the additional data: a sealed token cannot be moved
// to another setting.
type sealer struct{ aead cipher.AEAD }

func newSealer(secretKey string) *sealer {
	key, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "vigil channel settings v1", 32)
	if err != nil {
		panic(err) // only for impossible lengths
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &sealer{aead: aead}
}

func (s *sealer) seal(name, plain string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("settings: nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(name))
	return base64.StdEncoding.EncodeToString(out), nil
}

// open returns a sealed value's plain text.
func (s *Service) open(name, sealed string) (string, error) {
	if s.sealer == nil {
		return "", errors.New("settings: no secret key to open stored secrets")
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := s.sealer.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", errors.New("settings: stored secret is damaged")
	}
	plain, err := s.sealer.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil {
		return "", fmt.Errorf("settings: open %s: %w", name, err)
	}
	return string(plain), nil
}
