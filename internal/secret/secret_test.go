package secret

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRewrap(t *testing.T) {
	t.Parallel()
	old, _ := NewBox(key(t), 1)
	sealed, err := old.Seal([]byte("sk-live-123"), []byte("account-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed.Ciphertext, []byte("sk-live")) ||
		bytes.Contains(sealed.WrappedKey, []byte("sk-live")) {
		t.Fatal("the secret is visible in what is stored")
	}
	got, err := old.Open(sealed, []byte("account-1"))
	if err != nil || string(got) != "sk-live-123" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := old.Open(sealed, []byte("account-2")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("opened under another record's id: %v", err)
	}
	tampered := sealed
	tampered.Ciphertext = append([]byte(nil), sealed.Ciphertext...)
	tampered.Ciphertext[len(tampered.Ciphertext)-1] ^= 1
	if _, err := old.Open(tampered, []byte("account-1")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("opened tampered data: %v", err)
	}
	fresh, _ := NewBox(key(t), 2)
	if _, err := fresh.Open(sealed, []byte("account-1")); !errors.Is(err, ErrDecrypt) {
		t.Fatal("opened with another key")
	}
	moved, err := fresh.Rewrap(old, sealed, []byte("account-1"))
	if err != nil || moved.KeyVersion != 2 || !bytes.Equal(moved.Ciphertext, sealed.Ciphertext) {
		t.Fatalf("rewrap: %+v %v", moved, err)
	}
	if got, err := fresh.Open(moved, []byte("account-1")); err != nil || string(got) != "sk-live-123" {
		t.Fatalf("open after rewrap: %q %v", got, err)
	}
	if _, err := old.Open(moved, []byte("account-1")); !errors.Is(err, ErrDecrypt) {
		t.Fatal("the old key still opens a rewrapped secret")
	}
	two, _ := old.Seal([]byte("sk-live-123"), []byte("account-1"))
	if bytes.Equal(two.Ciphertext, sealed.Ciphertext) {
		t.Fatal("two seals of one secret are identical")
	}
}

func FuzzOpen(f *testing.F) {
	b, _ := NewBox(make([]byte, 32), 1)
	s, _ := b.Seal([]byte("x"), nil)
	f.Add(s.Ciphertext, s.WrappedKey)
	f.Fuzz(func(t *testing.T, ct, wk []byte) {
		_, _ = b.Open(Sealed{Ciphertext: ct, WrappedKey: wk}, nil)
	})
}
