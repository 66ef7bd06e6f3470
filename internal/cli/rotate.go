package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/store"
)

// runRotateKey re-wraps every provider account's data key from the old
// APP_KEY to the current one, in one transaction, so that the operator can
// replace APP_KEY without re-entering provider keys. Access tokens and
// signed links made with the old key stop working, as they should.
func runRotateKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := commonFlags(fs)
	oldKey := fs.String("old-key", "", "the APP_KEY the provider keys are encrypted with now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *oldKey == "" {
		return usageError{"admin rotate-key needs --old-key (the previous APP_KEY)"}
	}
	e, err := load(*flags, stderr)
	if err != nil {
		return err
	}
	oldRaw, err := config.ParseAppKey(*oldKey)
	if err != nil {
		return fmt.Errorf("invalid --old-key: %w", err)
	}
	oldKeys, err := auth.DeriveKeys(oldRaw)
	if err != nil {
		return err
	}
	newKeys, err := auth.DeriveKeys(e.cfg.AppKey)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	st := store.New(d)
	oldBox, err := secret.NewBox(oldKeys.Secrets, 0)
	if err != nil {
		return err
	}
	n := 0
	err = st.InTx(ctx, func(tx *store.Store) error {
		accts, err := tx.ProviderAccounts(ctx, "")
		if err != nil {
			return err
		}
		for _, a := range accts {
			newBox, err := secret.NewBox(newKeys.Secrets, a.KeyVersion+1)
			if err != nil {
				return err
			}
			moved, err := newBox.Rewrap(oldBox, secret.Sealed{Ciphertext: a.SecretCiphertext,
				WrappedKey: a.WrappedKey, KeyVersion: a.KeyVersion}, []byte(a.ID))
			if err != nil {
				return fmt.Errorf("provider account %s does not open with --old-key: %w", a.ID, err)
			}
			if err := tx.RewrapProviderAccount(ctx, a.ID, moved.WrappedKey,
				moved.KeyVersion); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d provider account key(s) under the current APP_KEY\n", n)
	return nil
}
