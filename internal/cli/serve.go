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
	"slices"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/httpapi"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
	"github.com/reelforge/reelforge/internal/version"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runNode(ctx, "serve", args, stdout, stderr)
}

func runAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runNode(ctx, "api", args, stdout, stderr)
}

// runNode runs an API node: with its workers (serve) or without (api).
func runNode(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
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
	a, err := newApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.close()
	if err := bootstrapOwner(ctx, e, a.db); err != nil {
		return err
	}
	var pool *queue.Pool
	if mode == "serve" {
		if pool, err = a.startWorkers(ctx, nil, e.cfg.Engine.WorkerConcurrency); err != nil {
			return err
		}
		cleaner, err := a.engine.NewCleaner(engine.CleanerConfig{
			Interval: e.cfg.Storage.CleanupInterval, Retention: e.cfg.Storage.LocalRetention})
		if err != nil {
			return err
		}
		if err := cleaner.Start(ctx); err != nil {
			return err
		}
		defer cleaner.Stop()
	}
	err = listenAndServe(ctx, e, a.handler())
	if pool != nil {
		drain(e, pool)
	}
	return err
}

// drainGrace is how long a stopping process lets running tasks finish
// before it releases them to other workers.
const drainGrace = 20 * time.Second

func drain(e *env, pool *queue.Pool) {
	ctx, cancel := context.WithTimeout(context.Background(), drainGrace)
	defer cancel()
	if err := pool.Stop(ctx); err != nil {
		e.log.Warn("cli: draining workers", slog.String("error", err.Error()))
	}
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := commonFlags(fs)
	queues := fs.String("queues", "", "comma-separated queues (default: every provider and media)")
	concurrency := fs.Int("concurrency", 0, "tasks run at once (WORKER_CONCURRENCY, default 4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := load(*flags, stderr)
	if err != nil {
		return err
	}
	e.stdout = stdout
	a, err := newApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.close()
	var names []string
	for _, q := range strings.Split(*queues, ",") {
		if q = strings.TrimSpace(q); q != "" {
			if !slices.Contains(a.engine.Queues(), q) {
				return usageError{fmt.Sprintf("unknown queue %q (known: %s)", q,
					strings.Join(a.engine.Queues(), ", "))}
			}
			names = append(names, q)
		}
	}
	n := *concurrency
	if n <= 0 {
		n = e.cfg.Engine.WorkerConcurrency
	}
	pool, err := a.startWorkers(ctx, names, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Reelforge worker running (%d at once)\n", n)
	<-ctx.Done()
	e.log.Info("cli: worker stopping, draining")
	drain(e, pool)
	return nil
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
