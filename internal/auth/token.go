package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token issuer and audience; tokens from another Reelforge instance with a
// different APP_KEY fail the signature, and tokens minted for other systems
// fail these claims.
const (
	Issuer   = "reelforge"
	Audience = "reelforge-api"
)

// ErrInvalidToken is returned for any access token that fails verification.
var ErrInvalidToken = errors.New("auth: invalid or expired token")

// Tokens issues and verifies access tokens.
type Tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewTokens returns an issuer of HS256 access tokens valid for ttl.
func NewTokens(key []byte, ttl time.Duration) *Tokens {
	return &Tokens{key: key, ttl: ttl, now: time.Now}
}

// TTL returns the access token lifetime.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token for a user.
func (t *Tokens) Issue(userID string) (string, error) {
	now := t.now()
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return "", fmt.Errorf("auth: generating token id: %w", err)
	}
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   userID,
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		ID:        hex.EncodeToString(id),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("auth: signing token: %w", err)
	}
	return s, nil
}

// Verify checks an access token's algorithm (HS256 only), signature, issuer,
// audience and expiry, and returns the user id it carries.
func (t *Tokens) Verify(token string) (string, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) {
		return t.key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil || claims.Subject == "" {
		return "", ErrInvalidToken
	}
	return claims.Subject, nil
}

// NewOpaqueToken returns a random token with a readable prefix and the
// SHA-256 hash under which it is stored. Only the hash is kept, so a leaked
// database does not leak usable tokens.
func NewOpaqueToken(prefix string) (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("auth: generating token: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the stored form of an opaque token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// API keys look like rfk_<8 hex prefix>_<secret>. The prefix is stored in
// clear so that operators can recognise a key in listings and logs.
const apiKeyScheme = "rfk_"

// NewAPIKey returns a new API key, its visible prefix and its hash.
func NewAPIKey() (key, prefix, hash string, err error) {
	p := make([]byte, 4)
	if _, err := rand.Read(p); err != nil {
		return "", "", "", fmt.Errorf("auth: generating key prefix: %w", err)
	}
	prefix = hex.EncodeToString(p)
	secret, _, err := NewOpaqueToken("")
	if err != nil {
		return "", "", "", err
	}
	key = apiKeyScheme + prefix + "_" + secret
	return key, prefix, HashToken(key), nil
}

// ParseAPIKey returns the prefix of a string shaped like an API key.
func ParseAPIKey(s string) (prefix string, ok bool) {
	rest, ok := strings.CutPrefix(s, apiKeyScheme)
	if !ok {
		return "", false
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 8 || len(secret) < 32 {
		return "", false
	}
	return prefix, true
}

// EqualHash compares two stored hashes in constant time.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
