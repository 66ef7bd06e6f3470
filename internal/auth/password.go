package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Password limits. bcrypt reads at most 72 bytes, so longer passwords are
// refused rather than silently truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// ErrWeakPassword is returned for a password outside the length limits.
var ErrWeakPassword = fmt.Errorf("auth: password must be %d to %d bytes",
	MinPasswordLen, MaxPasswordLen)

// HashPassword hashes a password with bcrypt at the given cost.
func HashPassword(password string, cost int) (string, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("auth: hashing password: %w", err)
	}
	return string(h), nil
}

// CheckPasswordPolicy validates a new password's length.
func CheckPasswordPolicy(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return ErrWeakPassword
	}
	return nil
}

// VerifyPassword reports whether password matches hash. An empty hash never
// matches; comparing against dummyHash when the user does not exist keeps the
// timing of unknown and known accounts alike.
func VerifyPassword(hash, password string) bool {
	if hash == "" {
		hash = dummyHash
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil && hash != dummyHash
}

// dummyHash is a bcrypt hash of a random string, compared against when the
// account does not exist.
const dummyHash = "$2a$12$372BV2lD6XLs7qbXwHl8B.kpttHu3UhEBm4r70Mj0zwvWlqvMkwcu"

// ErrInvalidCredentials is returned for a wrong email or password, without
// saying which.
var ErrInvalidCredentials = errors.New("auth: invalid email or password")
