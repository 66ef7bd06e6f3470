// Package cli implements the reelforge command line: serve, migrate, admin
// and version. Every subcommand reads the same configuration, so --data and
// the DB_* variables mean the same thing everywhere.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/obs"
	"github.com/reelforge/reelforge/internal/version"
)

const usage = `reelforge: a self-hosted AI video studio

Usage:
  reelforge serve   [--addr HOST:PORT] [--data DIR]   API, console and workers in one process
  reelforge api     [--addr HOST:PORT] [--data DIR]   API only, for several nodes behind a proxy
  reelforge worker  [--queues runway,veo] [--concurrency N]  workers only
  reelforge render  SCRIPT -o OUT.mp4 [--provider sim] [--resolution 720p] [--aspect 9:16]
                                                      script to finished video, locally
  reelforge migrate up|down|status [--data DIR]       manage the database schema
  reelforge admin create-user --email E --password P [--name N] [--data DIR]
  reelforge admin rotate-key --old-key OLD           re-encrypt provider keys under APP_KEY
  reelforge key generate                              print a new APP_KEY
  reelforge version

Configuration comes from the environment and an optional .env file;
see docs/configuration.md.
`

// env is what a subcommand gets: its output streams, configuration and
// logger.
type env struct {
	stdout, stderr io.Writer
	cfg            *config.Config
	log            *slog.Logger
}

// Run runs one command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "reelforge", version.String())
		return 0
	case "key":
		if len(rest) != 1 || rest[0] != "generate" {
			fmt.Fprint(stderr, "usage: reelforge key generate\n")
			return 2
		}
		encoded, _, gerr := config.GenerateAppKey()
		if gerr != nil {
			err = gerr
			break
		}
		fmt.Fprintln(stdout, encoded)
		return 0
	case "serve":
		err = runServe(ctx, rest, stdout, stderr)
	case "api":
		err = runAPI(ctx, rest, stdout, stderr)
	case "worker":
		err = runWorker(ctx, rest, stdout, stderr)
	case "render":
		err = runRender(ctx, rest, stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, rest, stdout, stderr)
	case "admin":
		err = runAdmin(ctx, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "reelforge: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "reelforge:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// commonFlags registers --data and --addr and returns a loader that parses
// the configuration after the flags.
func commonFlags(fs *flag.FlagSet) *config.Flags {
	f := &config.Flags{}
	fs.StringVar(&f.DataDir, "data", "", "data directory (REELFORGE_DATA, default ./data)")
	fs.StringVar(&f.Addr, "addr", "", "listen address (REELFORGE_ADDR, default 127.0.0.1:8080)")
	return f
}

func load(flags config.Flags, stderr io.Writer) (*env, error) {
	cfg, err := config.Load(flags)
	if err != nil {
		return nil, err
	}
	if err := cfg.EnsureAppKey(); err != nil {
		return nil, err
	}
	return &env{stderr: stderr, cfg: cfg, log: obs.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)}, nil
}

// openDB opens the configured database; SQLite lives in the data directory.
func openDB(ctx context.Context, cfg *config.Config) (*db.DB, error) {
	return db.Open(ctx, DBConfig(cfg))
}

// DBConfig maps the process configuration to the database configuration.
func DBConfig(cfg *config.Config) db.Config {
	return db.Config{
		Dialect:      cfg.DB.Connection,
		Path:         filepath.Join(cfg.DataDir, "reelforge.db"),
		Host:         cfg.DB.Host,
		Port:         cfg.DB.Port,
		Name:         cfg.DB.Database,
		User:         cfg.DB.Username,
		Password:     cfg.DB.Password,
		MaxOpenConns: cfg.DB.MaxOpenConns,
	}
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := commonFlags(fs)
	if len(args) == 0 {
		return usageError{"usage: reelforge migrate up|down|status [--data DIR]"}
	}
	action := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	e, err := load(*flags, stderr)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	switch action {
	case "up":
		n, err := d.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
	case "down":
		st, err := d.MigrateDown(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rolled back %d %s\n", st.Version, st.Name)
	case "status":
		sts, err := d.MigrationStatuses(ctx)
		if err != nil {
			return err
		}
		for _, st := range sts {
			state := "pending"
			if st.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d  %-8s %s\n", st.Version, state, st.Name)
		}
	default:
		return usageError{fmt.Sprintf("unknown migrate action %q (up, down or status)", action)}
	}
	return nil
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate-key" {
		return runRotateKey(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create-user" {
		return usageError{"usage: reelforge admin create-user --email E --password P [--name N]" +
			"\n       reelforge admin rotate-key --old-key OLD_APP_KEY"}
	}
	fs := flag.NewFlagSet("admin create-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := commonFlags(fs)
	email := fs.String("email", "", "email of the new user")
	password := fs.String("password", "", "password of the new user (8 to 72 bytes)")
	name := fs.String("name", "", "display name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return usageError{"admin create-user needs --email and --password"}
	}
	e, err := load(*flags, stderr)
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
	u, err := createUser(ctx, d, e.cfg, *email, *name, *password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s)\n", u.Email, u.ID)
	return nil
}
