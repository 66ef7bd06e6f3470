package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokenClaimsArePinned(t *testing.T) {
	t.Parallel()
	key := []byte(strings.Repeat("k", 32))
	tokens := NewTokens(key, 15*time.Minute)
	good, err := tokens.Issue("user-1")
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := tokens.Verify(good); err != nil || sub != "user-1" {
		t.Fatalf("verify: %q %v", sub, err)
	}
	now := time.Now()
	claims := func(mut func(*jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := jwt.RegisteredClaims{Issuer: Issuer, Subject: "user-1",
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			IssuedAt:  jwt.NewNumericDate(now)}
		mut(&c)
		return c
	}
	sign := func(m jwt.SigningMethod, k any, c jwt.RegisteredClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bad := map[string]string{
		"alg none": sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			claims(func(*jwt.RegisteredClaims) {})),
		"HS384": sign(jwt.SigningMethodHS384, key, claims(func(*jwt.RegisteredClaims) {})),
		"other key": sign(jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)),
			claims(func(*jwt.RegisteredClaims) {})),
		"wrong issuer": sign(jwt.SigningMethodHS256, key,
			claims(func(c *jwt.RegisteredClaims) { c.Issuer = "evil" })),
		"wrong audience": sign(jwt.SigningMethodHS256, key,
			claims(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"other"} })),
		"expired": sign(jwt.SigningMethodHS256, key,
			claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)) })),
		"no expiry": sign(jwt.SigningMethodHS256, key,
			claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil })),
		"no subject": sign(jwt.SigningMethodHS256, key,
			claims(func(c *jwt.RegisteredClaims) { c.Subject = "" })),
	}
	for name, tok := range bad {
		if _, err := tokens.Verify(tok); err != ErrInvalidToken {
			t.Errorf("%s: accepted (err %v)", name, err)
		}
	}
	later := NewTokens(key, 15*time.Minute)
	later.now = func() time.Time { return now.Add(16 * time.Minute) }
	if _, err := later.Verify(good); err == nil {
		t.Error("a 15-minute token verified 16 minutes later")
	}
}

func TestDerivedKeysDiffer(t *testing.T) {
	t.Parallel()
	k, err := DeriveKeys([]byte(strings.Repeat("a", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if string(k.JWT) == string(k.URL) || string(k.URL) == string(k.Secrets) || len(k.JWT) != 32 {
		t.Fatal("purpose keys must be distinct 32-byte keys")
	}
	k2, _ := DeriveKeys([]byte(strings.Repeat("b", 32)))
	if string(k.JWT) == string(k2.JWT) {
		t.Fatal("different APP_KEYs gave the same JWT key")
	}
}

func TestAPIKeyShape(t *testing.T) {
	t.Parallel()
	key, prefix, hash, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := ParseAPIKey(key)
	if !ok || got != prefix || HashToken(key) != hash || !EqualHash(hash, HashToken(key)) {
		t.Fatalf("key %q prefix %q parsed %q %v", key, prefix, got, ok)
	}
	for _, s := range []string{"", "rfk_", "rfk_abc_def", "Bearer x", "rfk_12345678_short",
		"rfr_" + strings.Repeat("a", 43)} {
		if _, ok := ParseAPIKey(s); ok {
			t.Errorf("%q parsed as an API key", s)
		}
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse", 4)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(h, "correct horse") || VerifyPassword(h, "correct horsE") ||
		VerifyPassword("", "anything") {
		t.Fatal("password verification is wrong")
	}
	for _, pw := range []string{"short", strings.Repeat("x", 73)} {
		if _, err := HashPassword(pw, 4); err != ErrWeakPassword {
			t.Errorf("%d-byte password: %v", len(pw), err)
		}
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	if !RoleOwner.AtLeast(RoleAdmin) || RoleViewer.AtLeast(RoleEditor) ||
		Role("").AtLeast(RoleViewer) || Role("root").AtLeast(RoleViewer) {
		t.Fatal("role ladder is wrong")
	}
	if Max(RoleEditor, RoleViewer) != RoleEditor || Max("", RoleAdmin) != RoleAdmin {
		t.Fatal("Max is wrong")
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Fatal("parsed an unknown role")
	}
}

func FuzzParseAPIKey(f *testing.F) {
	key, _, _, _ := NewAPIKey()
	f.Add(key)
	f.Add("rfk_00000000_" + strings.Repeat("A", 32))
	f.Fuzz(func(t *testing.T, s string) {
		prefix, ok := ParseAPIKey(s)
		if ok && (len(prefix) != 8 || !strings.HasPrefix(s, "rfk_"+prefix+"_")) {
			t.Fatalf("%q gave prefix %q", s, prefix)
		}
	})
}
