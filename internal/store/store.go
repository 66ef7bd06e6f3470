// Package store holds the SQL of every table, one file per group of tables.
// Queries are written once, in the SQL that SQLite and MySQL both accept.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/reelforge/reelforge/internal/db"
)

// Sentinel errors that handlers map to HTTP statuses.
var (
	// ErrNotFound means the row does not exist, or is not visible to the
	// caller; both answer 404 so that existence is never revealed.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique key is already taken.
	ErrConflict = errors.New("store: already exists")
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store runs queries against the pool or, inside InTx, a transaction.
type Store struct {
	db    *db.DB
	q     querier
	stmts *stmtCache
}

// New returns a Store on a pool.
func New(d *db.DB) *Store { return &Store{db: d, q: d.DB, stmts: &stmtCache{}} }

// stmtCache keeps a prepared statement per query text of single-row reads,
// which run on every request (the user and project lookups of each call):
// parsing the SQL again each time was most of a request's cost on SQLite.
// database/sql prepares a statement on each pooled connection on first use
// and keeps it.
type stmtCache struct {
	m sync.Map // query text -> *sql.Stmt
}

// queryRow runs a single-row query, prepared once per query text when it
// runs on the pool; inside a transaction it runs directly.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	pool, ok := s.q.(*sql.DB)
	if !ok || s.stmts == nil {
		return s.q.QueryRowContext(ctx, query, args...)
	}
	if v, ok := s.stmts.m.Load(query); ok {
		return v.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	stmt, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return s.q.QueryRowContext(ctx, query, args...)
	}
	if v, loaded := s.stmts.m.LoadOrStore(query, stmt); loaded {
		_ = stmt.Close()
		stmt = v.(*sql.Stmt)
	}
	return stmt.QueryRowContext(ctx, args...)
}

// DB returns the underlying pool.
func (s *Store) DB() *db.DB { return s.db }

// InTx runs fn with a Store bound to one transaction, committed when fn
// returns nil. Nested calls reuse the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if _, ok := s.q.(*sql.Tx); ok {
		return fn(s)
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		return fn(&Store{db: s.db, q: tx, stmts: s.stmts})
	})
}

// NewID returns a time-ordered UUIDv7, so that ids sort by creation and
// index inserts stay at the right edge of the B-tree.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ListParams are the pagination and sorting of a list query.
type ListParams struct {
	Limit  int
	Offset int
	// Sort is a column name, prefixed with "-" for descending order. It must
	// be one of the columns the query allows.
	Sort string
	// Q is a case-insensitive substring filter on the list's name column.
	Q string
}

// orderBy validates Sort against allowed columns and returns an ORDER BY
// clause on the table alias ("p." or ""); the id breaks ties so pages never
// overlap.
func (p ListParams) orderBy(alias string, allowed []string, def string) (string, error) {
	sort := p.Sort
	if sort == "" {
		sort = def
	}
	col, desc := strings.CutPrefix(sort, "-")
	for _, a := range allowed {
		if a == col {
			dir := "ASC"
			if desc {
				dir = "DESC"
			}
			return fmt.Sprintf(" ORDER BY %s%s %s, %sid %s", alias, col, dir, alias, dir), nil
		}
	}
	return "", fmt.Errorf("%w: sort by %q is not supported (one of %s)",
		ErrInvalidSort, sort, strings.Join(allowed, ", "))
}

// ErrInvalidSort is returned for a sort key a list does not support.
var ErrInvalidSort = errors.New("store: invalid sort")

// likePattern makes a case-insensitive substring pattern for LIKE ... ESCAPE
// '!'. The escape is '!' because a backslash means different things in
// MySQL and SQLite string literals.
func likePattern(q string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return "%" + strings.ToLower(r.Replace(q)) + "%"
}

func (p ListParams) limitOffset() string {
	return fmt.Sprintf(" LIMIT %d OFFSET %d", p.Limit, p.Offset)
}

func count(ctx context.Context, q querier, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: counting: %w", err)
	}
	return n, nil
}

// jsonText marshals v for a JSON column; nil becomes an empty object.
func jsonText(v any) string {
	if v == nil {
		return "{}"
	}
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) == 0 {
			return "{}"
		}
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshaling %T: %v", v, err))
	}
	return string(b)
}

// rawJSON is a scanner for JSON columns into json.RawMessage, which both
// dialects return as bytes or text.
type rawJSON struct{ dst *json.RawMessage }

func (r rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r.dst = json.RawMessage("null")
	case []byte:
		*r.dst = append(json.RawMessage(nil), v...)
	case string:
		*r.dst = json.RawMessage(v)
	default:
		return fmt.Errorf("store: scanning %T into JSON", src)
	}
	return nil
}

// jsonInto scans a JSON column and unmarshals it into dst.
type jsonInto struct{ dst any }

func (j jsonInto) Scan(src any) error {
	var raw json.RawMessage
	if err := (rawJSON{&raw}).Scan(src); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, j.dst); err != nil {
		return fmt.Errorf("store: decoding JSON column: %w", err)
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// wrap maps driver errors to the package's sentinels.
func wrap(err error, doing string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case db.IsUniqueViolation(err):
		return fmt.Errorf("%w: %s", ErrConflict, doing)
	}
	return fmt.Errorf("store: %s: %w", doing, err)
}

// SQLTx returns the transaction a Store from InTx runs in, so that other
// packages (the queue's EnqueueTx) can write in the same transaction.
func (s *Store) SQLTx() (*sql.Tx, bool) {
	tx, ok := s.q.(*sql.Tx)
	return tx, ok
}
