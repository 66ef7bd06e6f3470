package kling

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes: Kling accepts a token until its exp; the adapter signs
// tokens for 30 minutes, backdates nbf by 5 s against clock skew, and signs
// a fresh one 5 minutes before the old one expires.
const (
	tokenTTL      = 30 * time.Minute
	tokenNotEarly = 5 * time.Second
	tokenRenew    = 5 * time.Minute
)

// signer issues the HS256 bearer tokens Kling expects, caching one until it
// nears expiry. It is safe for concurrent use.
type signer struct {
	access string
	secret []byte
	now    func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// parseCredentials splits "ACCESS_KEY:SECRET_KEY". The error never quotes
// the value.
func parseCredentials(s string) (access, secret string, err error) {
	access, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || access == "" || secret == "" {
		return "", "", fmt.Errorf("%w: credentials must be ACCESS_KEY:SECRET_KEY",
			ErrInvalidConfig)
	}
	return access, secret, nil
}

// bearer returns a valid token, signing a new one when the cached token is
// missing or within tokenRenew of its expiry.
func (s *signer) bearer() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.expires.Add(-tokenRenew)) {
		return s.token, nil
	}
	exp := now.Add(tokenTTL)
	claims := jwt.MapClaims{
		"iss": s.access,
		"exp": exp.Unix(),
		"nbf": now.Add(-tokenNotEarly).Unix(),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("kling: signing token: %w", err)
	}
	s.token, s.expires = tok, exp
	return tok, nil
}

// forget drops tok from the cache so that the next call signs a new one;
// used after Kling refused it as expired or not yet valid. A token that was
// already replaced is left alone.
func (s *signer) forget(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token = ""
	}
}
