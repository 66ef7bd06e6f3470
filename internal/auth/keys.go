package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// Keys are the purpose-bound keys derived from APP_KEY. Deriving one key per
// purpose means that a token signed for one use can never verify for
// another, and that rotating APP_KEY rotates them all.
type Keys struct {
	JWT     []byte
	URL     []byte
	Secrets []byte
}

// DeriveKeys derives the purpose keys from APP_KEY with HKDF-SHA256.
func DeriveKeys(appKey []byte) (Keys, error) {
	derive := func(purpose string) ([]byte, error) {
		k, err := hkdf.Key(sha256.New, appKey, nil, "reelforge "+purpose, 32)
		if err != nil {
			return nil, fmt.Errorf("auth: deriving %s key: %w", purpose, err)
		}
		return k, nil
	}
	var k Keys
	var err error
	if k.JWT, err = derive("jwt v1"); err != nil {
		return Keys{}, err
	}
	if k.URL, err = derive("signed urls v1"); err != nil {
		return Keys{}, err
	}
	if k.Secrets, err = derive("secrets v1"); err != nil {
		return Keys{}, err
	}
	return k, nil
}
