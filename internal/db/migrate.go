package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

func (d *DB) provider() (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	if d.Dialect == MySQL {
		dialect = goose.DialectMySQL
	}
	sub, err := fs.Sub(migrations, "migrations/"+d.Dialect)
	if err != nil {
		return nil, fmt.Errorf("db: loading %s migrations: %w", d.Dialect, err)
	}
	p, err := goose.NewProvider(dialect, d.DB, sub)
	if err != nil {
		return nil, fmt.Errorf("db: preparing migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many ran.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	p, err := d.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migrating up: %w", err)
	}
	return len(res), nil
}

// MigrateDown rolls back the most recent migration.
func (d *DB) MigrateDown(ctx context.Context) (MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return MigrationStatus{}, err
	}
	res, err := p.Down(ctx)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("db: migrating down: %w", err)
	}
	return MigrationStatus{Version: res.Source.Version, Name: res.Source.Path}, nil
}

// MigrationStatuses lists every known migration with its state.
func (d *DB) MigrationStatuses(ctx context.Context) ([]MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: reading migration status: %w", err)
	}
	out := make([]MigrationStatus, len(st))
	for i, s := range st {
		out[i] = MigrationStatus{
			Version: s.Source.Version,
			Name:    s.Source.Path,
			Applied: s.State == goose.StateApplied,
		}
	}
	return out, nil
}
