// Package db opens Reelforge's database, SQLite on the embedded default or
// MySQL 8 (and MariaDB 10.11) in production, and runs the schema migrations of
// each dialect. Queries elsewhere are written in the SQL that both accept:
// `?` placeholders, LIMIT/OFFSET, and times stored through Time and NullTime.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialects.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// Config selects and locates the database.
type Config struct {
	// Dialect is SQLite or MySQL. Defaults to SQLite.
	Dialect string
	// Path is the SQLite file. Defaults to reelforge.db in the working
	// directory.
	Path string
	// Host, Port, Name, User and Password locate the MySQL database.
	Host     string
	Port     int
	Name     string
	User     string
	Password string
	// MaxOpenConns bounds the pool. Defaults to 20.
	MaxOpenConns int
}

// DB is a connection pool that knows its dialect.
type DB struct {
	*sql.DB
	Dialect string
}

// Open connects to the database and checks that it answers. It does not
// migrate; call Migrate for that.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	maxOpen := cfg.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = 20
	}
	var (
		pool *sql.DB
		err  error
	)
	switch cfg.Dialect {
	case SQLite, "":
		cfg.Dialect = SQLite
		path := cfg.Path
		if path == "" {
			path = "reelforge.db"
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("db: creating directory of %s: %w", path, err)
		}
		// WAL lets readers run beside the single writer; IMMEDIATE
		// transactions take the write lock up front, so two writers queue
		// on busy_timeout instead of failing on a lock upgrade.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		pool, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	case MySQL:
		mc := mysql.NewConfig()
		mc.User = cfg.User
		mc.Passwd = cfg.Password
		mc.Net = "tcp"
		mc.Addr = fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
		mc.DBName = cfg.Name
		mc.ParseTime = true
		mc.Loc = time.UTC
		mc.Collation = "utf8mb4_unicode_ci"
		mc.Params = map[string]string{"time_zone": "'+00:00'"}
		pool, err = sql.Open("mysql", mc.FormatDSN())
	default:
		return nil, fmt.Errorf("db: unknown dialect %q", cfg.Dialect)
	}
	if err != nil {
		return nil, fmt.Errorf("db: opening %s: %w", cfg.Dialect, err)
	}
	pool.SetMaxOpenConns(maxOpen)
	pool.SetMaxIdleConns(maxOpen)
	pool.SetConnMaxLifetime(30 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("db: connecting to %s: %w", cfg.Dialect, err)
	}
	return &DB{DB: pool, Dialect: cfg.Dialect}, nil
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, so a failed request never leaves half its rows behind. A
// transaction that MySQL picks as a deadlock victim, or that times out on a
// lock, is run again up to three times, since InnoDB expects the client to
// retry it; fn must therefore touch only the database.
func (d *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = d.inTx(ctx, fn); !isRetryable(err) {
			return err
		}
	}
	return err
}

func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: committing transaction: %w", err)
	}
	return nil
}

// isRetryable reports a MySQL deadlock (1213) or lock wait timeout (1205).
func isRetryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// IsUniqueViolation reports whether err is a unique or primary key conflict
// in either dialect.
func IsUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign key failure in either
// dialect.
func IsForeignKeyViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1451 || me.Number == 1452
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
