package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/httpapi"
	"github.com/reelforge/reelforge/internal/store"
	"github.com/reelforge/reelforge/internal/version"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := load(*flags, stderr)
	if err != nil {
		return err
	}
	e.stdout = stdout
	d, err := openDB(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		e.log.InfoContext(ctx, "cli: applied migrations", slog.Int("count", n))
	}
	if err := bootstrapOwner(ctx, e, d); err != nil {
		return err
	}
	api, err := NewAPI(e.cfg, d, e.log)
	if err != nil {
		return err
	}
	return listenAndServe(ctx, e, api)
}

// NewAPI wires the HTTP API on an open, migrated database.
func NewAPI(cfg *config.Config, d *db.DB, log *slog.Logger) (http.Handler, error) {
	keys, err := auth.DeriveKeys(cfg.AppKey)
	if err != nil {
		return nil, err
	}
	srv := httpapi.New(httpapi.Config{
		AccessTokenTTL:         cfg.AccessTokenTTL,
		RefreshTokenTTL:        cfg.RefreshTokenTTL,
		LoginAttemptsPerMinute: cfg.LoginAttemptsPerMinute,
		MaxBodyBytes:           cfg.MaxBodyBytes,
		PasswordCost:           cfg.PasswordCost,
		TrustedProxies:         cfg.TrustedProxies,
		Version:                version.String(),
	}, store.New(d), auth.NewTokens(keys.JWT, cfg.AccessTokenTTL), log)
	return srv.Handler(), nil
}

func listenAndServe(ctx context.Context, e *env, h http.Handler) error {
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", e.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	e.log.InfoContext(ctx, "cli: serving", slog.String("addr", ln.Addr().String()),
		slog.String("db", e.cfg.DB.Connection), slog.String("version", version.String()))
	fmt.Fprintf(e.stdout, "Reelforge is running at http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	e.log.InfoContext(ctx, "cli: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// bootstrapOwner creates the first user on an empty database, from
// REELFORGE_ADMIN_EMAIL and REELFORGE_ADMIN_PASSWORD, or with a generated
// password printed once to stdout (never to the log).
func bootstrapOwner(ctx context.Context, e *env, d *db.DB) error {
	st := store.New(d)
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email, password := e.cfg.AdminEmail, e.cfg.AdminPassword
	generated := password == ""
	if email == "" {
		email = "admin@reelforge.local"
	}
	if generated {
		b := make([]byte, 15)
		_, _ = rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	u, err := createUser(ctx, d, e.cfg, email, "Owner", password)
	if err != nil {
		return fmt.Errorf("creating the first owner: %w", err)
	}
	e.log.InfoContext(ctx, "cli: created first owner", slog.String("user_id", u.ID))
	if generated {
		fmt.Fprintf(e.stdout, "\nFirst start: created the owner account.\n"+
			"  email:    %s\n  password: %s\nThis password is shown only once.\n\n",
			email, password)
	}
	return nil
}

func createUser(ctx context.Context, d *db.DB, cfg *config.Config, email, name,
	password string) (*store.User, error) {
	u, err := httpapi.CreateUser(ctx, store.New(d), email, name, password, cfg.PasswordCost)
	var p *httpapi.Problem
	if errors.As(err, &p) {
		msg := p.Detail
		for _, fe := range p.Errors {
			msg = fe.Field + " " + fe.Message
		}
		return nil, errors.New(msg)
	}
	return u, err
}
