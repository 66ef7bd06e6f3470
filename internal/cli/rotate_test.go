package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/store"
)

func TestRotateKeyRewrapsProviderKeys(t *testing.T) {
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("PASSWORD_HASH_COST", "4")
	dir := t.TempDir()
	oldKey, oldRaw, _ := config.GenerateAppKey()
	newKey, newRaw, _ := config.GenerateAppKey()
	t.Setenv("APP_KEY", oldKey)
	ctx := context.Background()
	cfg, err := config.FromMap(map[string]string{"APP_KEY": oldKey, "REELFORGE_DATA": dir},
		config.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := createUser(ctx, d, cfg, "rot@example.com", "", "rotate-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(d)
	orgs, _ := st.OrganizationsOf(ctx, u.ID)
	oldKeys, _ := auth.DeriveKeys(oldRaw)
	oldBox, _ := secret.NewBox(oldKeys.Secrets, 1)
	a := &store.ProviderAccount{ID: store.NewID(), OrgID: orgs[0].ID, Provider: "sim", Name: "k"}
	sealed, _ := oldBox.Seal([]byte("vendor-key"), []byte(a.ID))
	a.SecretCiphertext, a.WrappedKey, a.KeyVersion = sealed.Ciphertext, sealed.WrappedKey, 1
	if err := st.CreateProviderAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	d.Close()

	t.Setenv("APP_KEY", newKey)
	var out, errs bytes.Buffer
	if code := Run(ctx, []string{"admin", "rotate-key", "--data", dir, "--old-key", "wrong" +
		strings.Repeat("x", 40)}, &out, &errs); code == 0 {
		t.Fatal("rotation with the wrong old key succeeded")
	}
	out.Reset()
	if code := Run(ctx, []string{"admin", "rotate-key", "--data", dir, "--old-key", oldKey},
		&out, &errs); code != 0 || !strings.Contains(out.String(), "1 provider account") {
		t.Fatalf("rotate: %d %s %s", code, out.String(), errs.String())
	}
	d, _ = openDB(ctx, cfg)
	defer d.Close()
	accts, _ := store.New(d).ProviderAccounts(ctx, "")
	newKeys, _ := auth.DeriveKeys(newRaw)
	newBox, _ := secret.NewBox(newKeys.Secrets, 2)
	got, err := newBox.Open(secret.Sealed{Ciphertext: accts[0].SecretCiphertext,
		WrappedKey: accts[0].WrappedKey}, []byte(accts[0].ID))
	if err != nil || string(got) != "vendor-key" || accts[0].KeyVersion != 2 {
		t.Fatalf("after rotation: %q %v version %d", got, err, accts[0].KeyVersion)
	}
	if _, err := oldBox.Open(secret.Sealed{Ciphertext: accts[0].SecretCiphertext,
		WrappedKey: accts[0].WrappedKey}, []byte(accts[0].ID)); err == nil {
		t.Fatal("the old APP_KEY still opens the provider key")
	}
}
