// Package secret encrypts provider keys at rest with envelope encryption:
// every record has its own random data key, which encrypts the secret with
// AES-256-GCM; the data key itself is stored wrapped (encrypted) by a key
// derived from APP_KEY. Rotating APP_KEY then only re-wraps the small data
// keys, and a database dump without APP_KEY reveals nothing.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrDecrypt means a sealed secret could not be opened: the wrong key, or
// tampered data. The message never says which, on purpose.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// Sealed is an encrypted secret as stored: the ciphertext (nonce first) and
// the wrapped data key (nonce first), with the version of the wrapping key.
type Sealed struct {
	Ciphertext []byte
	WrappedKey []byte
	KeyVersion int
}

// Box seals and opens secrets with a key-encryption key.
type Box struct {
	kek     []byte
	version int
}

// NewBox returns a Box for a 32-byte key-encryption key (the Secrets key
// derived from APP_KEY) and its version number.
func NewBox(kek []byte, version int) (*Box, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("secret: the key-encryption key must be 32 bytes, got %d", len(kek))
	}
	return &Box{kek: kek, version: version}, nil
}

// Seal encrypts plaintext under a fresh data key bound to aad (for example
// the record's id), so a ciphertext moved to another record does not open.
func (b *Box) Seal(plaintext, aad []byte) (Sealed, error) {
	dek := make([]byte, 32)
	if _, err := rand.Read(dek); err != nil {
		return Sealed{}, fmt.Errorf("secret: generating a data key: %w", err)
	}
	ct, err := seal(dek, plaintext, aad)
	if err != nil {
		return Sealed{}, err
	}
	wrapped, err := seal(b.kek, dek, aad)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{Ciphertext: ct, WrappedKey: wrapped, KeyVersion: b.version}, nil
}

// Open decrypts a sealed secret.
func (b *Box) Open(s Sealed, aad []byte) ([]byte, error) {
	dek, err := open(b.kek, s.WrappedKey, aad)
	if err != nil {
		return nil, err
	}
	return open(dek, s.Ciphertext, aad)
}

// Rewrap moves a sealed secret from the old box's key to this one without
// touching the ciphertext, for APP_KEY rotation.
func (b *Box) Rewrap(old *Box, s Sealed, aad []byte) (Sealed, error) {
	dek, err := open(old.kek, s.WrappedKey, aad)
	if err != nil {
		return Sealed{}, err
	}
	wrapped, err := seal(b.kek, dek, aad)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{Ciphertext: s.Ciphertext, WrappedKey: wrapped, KeyVersion: b.version}, nil
}

func seal(key, plaintext, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secret: generating a nonce: %w", err)
	}
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

func open(key, data, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(data) < gcm.NonceSize()+gcm.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return gcm, nil
}
