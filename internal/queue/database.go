package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/reelforge/reelforge/internal/db"
)

// Database is the queue in the queue_entries table (QUEUE_CONNECTION=database).
//
// Claims run in one transaction: on MySQL/MariaDB a SELECT ... FOR UPDATE
// SKIP LOCKED per queue, in READ COMMITTED so that rows the scan passes over
// are not kept locked, lets concurrent claimers take disjoint entries without
// waiting on each other; on SQLite the transaction takes the write lock at
// BEGIN (the DB uses _txlock=immediate), so claimers simply take turns.
// Times come from the clock of the process; hosts sharing a MySQL queue must
// keep their clocks synchronised well within the lease.
type Database struct {
	db  *db.DB
	sig signal
	// reclaimBatch bounds the expired leases recovered per queue per claim.
	reclaimBatch int
}

// NewDatabase returns the database backend on a migrated database.
func NewDatabase(d *db.DB) *Database { return &Database{db: d, reclaimBatch: 100} }

// Subscribe implements Notifier for claims in this process.
func (d *Database) Subscribe(queues []string) (<-chan struct{}, func()) {
	return d.sig.Subscribe(queues)
}

// Notify implements Notifier.
func (d *Database) Notify(queue string) { d.sig.Notify(queue) }

const entryColumns = `id, queue, task_id, kind, payload, priority, run_at, attempts,
	max_attempts, unique_key, lease_owner, lease_token, lease_until, last_error, created_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanEntry(r rowScanner) (*Entry, error) {
	var (
		e                    Entry
		payload              string
		unique, owner, token sql.NullString
	)
	if err := r.Scan(&e.ID, &e.Queue, &e.TaskID, &e.Kind, &payload, &e.Priority,
		db.ScanTime(&e.RunAt), &e.Attempts, &e.MaxAttempts, &unique, &owner, &token,
		db.ScanTime(&e.LeaseUntil), &e.LastError, db.ScanTime(&e.CreatedAt)); err != nil {
		return nil, err
	}
	e.Payload = []byte(payload)
	e.UniqueKey, e.LeaseOwner, e.token = unique.String, owner.String, token.String
	return &e, nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Enqueue implements Backend.
func (d *Database) Enqueue(ctx context.Context, p EnqueueParams) (string, error) {
	s, err := normalize(p)
	if err != nil {
		return "", err
	}
	id, err := d.insert(ctx, d.db.DB, s)
	if err == nil && s.immediate {
		d.sig.Notify(s.Queue)
	}
	return id, err
}

// EnqueueTx implements Backend: the entry is inserted in tx and becomes
// claimable when tx commits. Call Notify after the commit for a worker in
// this process to claim it at once.
func (d *Database) EnqueueTx(ctx context.Context, tx *sql.Tx, p EnqueueParams) (string, error) {
	s, err := normalize(p)
	if err != nil {
		return "", err
	}
	return d.insert(ctx, tx, s)
}

func (d *Database) insert(ctx context.Context, x execQuerier, s enqueueSpec) (string, error) {
	now := db.Now()
	var unique any
	if s.UniqueKey != "" {
		unique = s.UniqueKey
	}
	// A unique key conflict names an entry that may be acked before we read
	// it; then the insert is tried again.
	for range 5 {
		id := newID()
		_, err := x.ExecContext(ctx, `INSERT INTO queue_entries (id, queue, task_id, kind,
			payload, priority, run_at, attempts, max_attempts, unique_key, state, woken,
			last_error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 'ready', 0, '', ?, ?)`,
			id, s.Queue, s.TaskID, s.Kind, string(s.Payload), s.Priority,
			db.Time(s.runAt(now)), s.MaxAttempts, unique, db.Time(now), db.Time(now))
		if err == nil {
			return id, nil
		}
		if s.UniqueKey == "" || !db.IsUniqueViolation(err) {
			return "", fmt.Errorf("queue: enqueue: %w", err)
		}
		existing, err := d.lookupUnique(ctx, x, "queue_entries", s.UniqueKey)
		if err != nil {
			return "", fmt.Errorf("queue: enqueue: %w", err)
		}
		if existing != "" {
			return existing, ErrDuplicate
		}
	}
	return "", errors.New("queue: enqueue: unique key kept changing hands")
}

// lookupUnique returns the id of the row of table holding key, or "". On
// MySQL the read locks, so that inside a REPEATABLE READ transaction it sees
// the committed row that the failed insert conflicted with rather than the
// transaction's older snapshot.
func (d *Database) lookupUnique(ctx context.Context, x execQuerier, table, key string) (string, error) {
	q := "SELECT id FROM " + table + " WHERE unique_key = ?"
	if d.db.Dialect == db.MySQL {
		q += " LOCK IN SHARE MODE"
	}
	var id string
	err := x.QueryRowContext(ctx, q, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// Claim implements Backend.
func (d *Database) Claim(ctx context.Context, queues []string, owner string,
	lease time.Duration, max int) ([]*Entry, error) {
	queues = distinct(queues)
	if max <= 0 || len(queues) == 0 {
		return nil, nil
	}
	var out []*Entry
	var err error
	for try := 0; ; try++ {
		out, err = d.claim(ctx, queues, owner, lease, max)
		if err == nil || try == 4 || !isTransient(err) {
			break
		}
		time.Sleep(time.Duration(try+1) * 5 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: claim: %w", err)
	}
	return out, nil
}

// isTransient reports a MySQL deadlock or lock wait timeout, after which the
// transaction can simply run again.
func isTransient(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

func (d *Database) claim(ctx context.Context, queues []string, owner string,
	lease time.Duration, max int) ([]*Entry, error) {
	var opts *sql.TxOptions
	lock := ""
	if d.db.Dialect == db.MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
		lock = " FOR UPDATE SKIP LOCKED"
	}
	tx, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	now := db.Now()

	// Recover entries whose worker stopped renewing the lease: each counts a
	// failed attempt and becomes ready (or dead), to be picked below in
	// priority order like any other.
	for _, q := range queues {
		if err := d.reclaimExpired(ctx, tx, q, now, lock); err != nil {
			return nil, err
		}
	}

	// One query per queue walks idx_queue_entries_claim in order and stops
	// after max rows; the candidates are then merged across queues.
	var cands []*Entry
	for _, q := range queues {
		rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM queue_entries
			WHERE queue = ? AND state = 'ready' AND run_at <= ?
			ORDER BY priority, run_at, id LIMIT ?`+lock, q, db.Time(now), max)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				_ = rows.Close()
				return nil, err
			}
			cands = append(cands, e)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	if len(cands) == 0 {
		return nil, tx.Commit()
	}
	if len(queues) > 1 {
		sort.Slice(cands, func(i, j int) bool {
			a, b := cands[i], cands[j]
			if a.Priority != b.Priority {
				return a.Priority < b.Priority
			}
			if !a.RunAt.Equal(b.RunAt) {
				return a.RunAt.Before(b.RunAt)
			}
			return a.ID < b.ID
		})
	}
	if len(cands) > max {
		cands = cands[:max]
	}
	token := newToken()
	until := now.Add(lease)
	ids := make([]any, 0, len(cands)+5)
	ids = append(ids, owner, token, db.Time(until), db.Time(now))
	for _, e := range cands {
		ids = append(ids, e.ID)
		e.LeaseOwner, e.LeaseUntil, e.token = owner, until, token
	}
	if _, err := tx.ExecContext(ctx, `UPDATE queue_entries SET state = 'running',
		lease_owner = ?, lease_token = ?, lease_until = ?, woken = 0, updated_at = ?
		WHERE id IN (`+placeholders(len(cands))+`)`, ids...); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return cands, nil
}

func (d *Database) reclaimExpired(ctx context.Context, tx *sql.Tx, q string, now time.Time,
	lock string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, attempts, max_attempts FROM queue_entries
		WHERE queue = ? AND state = 'running' AND lease_until < ?
		ORDER BY lease_until LIMIT ?`+lock, q, db.Time(now), d.reclaimBatch)
	if err != nil {
		return err
	}
	var ready, dead []any
	for rows.Next() {
		var id string
		var attempts, maxAttempts int
		if err := rows.Scan(&id, &attempts, &maxAttempts); err != nil {
			_ = rows.Close()
			return err
		}
		if attempts+1 >= maxAttempts {
			dead = append(dead, id)
		} else {
			ready = append(ready, id)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(ready) > 0 {
		args := append([]any{lastErrorLeaseExpired, db.Time(now)}, ready...)
		if _, err := tx.ExecContext(ctx, `UPDATE queue_entries SET state = 'ready',
			lease_owner = NULL, lease_token = NULL, lease_until = NULL, last_error = ?,
			updated_at = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(ready))+`)`, args...); err != nil {
			return err
		}
	}
	if len(dead) > 0 {
		args := append([]any{lastErrorLeaseExpired, db.Time(now)}, dead...)
		if _, err := tx.ExecContext(ctx, `UPDATE queue_entries SET state = 'dead',
			unique_key = NULL, lease_owner = NULL, lease_token = NULL, lease_until = NULL,
			last_error = ?, updated_at = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(dead))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// leased runs an UPDATE or DELETE guarded by "the entry is still running
// under this claim" and turns zero rows into ErrLeaseLost.
func (d *Database) leased(ctx context.Context, op string, e *Entry, query string, args ...any) error {
	args = append(args, e.ID, e.token)
	res, err := d.db.ExecContext(ctx, query+` WHERE id = ? AND state = 'running' AND lease_token = ?`, args...)
	if err != nil {
		return fmt.Errorf("queue: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("queue: %s: %w", op, err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Extend implements Backend. An entry whose lease has expired can still be
// extended by its worker as long as no other worker has claimed it.
func (d *Database) Extend(ctx context.Context, e *Entry, lease time.Duration) error {
	now := db.Now()
	until := now.Add(lease)
	if err := d.leased(ctx, "extend", e, `UPDATE queue_entries SET lease_until = ?, updated_at = ?`,
		db.Time(until), db.Time(now)); err != nil {
		return err
	}
	e.LeaseUntil = until
	return nil
}

// Ack implements Backend.
func (d *Database) Ack(ctx context.Context, e *Entry) error {
	return d.leased(ctx, "ack", e, `DELETE FROM queue_entries`)
}

// Snooze implements Backend.
func (d *Database) Snooze(ctx context.Context, e *Entry, delay time.Duration) error {
	now := db.Now()
	// woken is read before it is reset: MySQL assigns left to right.
	err := d.leased(ctx, "snooze", e, `UPDATE queue_entries SET
		run_at = CASE WHEN woken = 1 THEN ? ELSE ? END,
		state = 'ready', lease_owner = NULL, lease_token = NULL, lease_until = NULL,
		woken = 0, updated_at = ?`, db.Time(now), db.Time(now.Add(max(delay, 0))), db.Time(now))
	if err == nil {
		d.notifyLater(e.Queue, delay)
	}
	return err
}

// notifyLater signals local pools when an entry released with delay is due;
// for delays longer than a poll interval the pools find it by polling.
func (d *Database) notifyLater(queue string, delay time.Duration) {
	if delay <= 0 {
		d.sig.Notify(queue)
	}
}

// Retry implements Backend.
func (d *Database) Retry(ctx context.Context, e *Entry, delay time.Duration, errMsg string) error {
	now := db.Now()
	// Every expression reading attempts comes before its assignment, since
	// MySQL assigns left to right and SQLite from the old row.
	err := d.leased(ctx, "retry", e, `UPDATE queue_entries SET
		state = CASE WHEN attempts + 1 >= max_attempts THEN 'dead' ELSE 'ready' END,
		unique_key = CASE WHEN attempts + 1 >= max_attempts THEN NULL ELSE unique_key END,
		attempts = attempts + 1,
		run_at = ?, last_error = ?, lease_owner = NULL, lease_token = NULL,
		lease_until = NULL, woken = 0, updated_at = ?`,
		db.Time(now.Add(max(delay, 0))), truncateError(errMsg), db.Time(now))
	if err == nil {
		d.notifyLater(e.Queue, delay)
	}
	return err
}

// Fail implements Backend.
func (d *Database) Fail(ctx context.Context, e *Entry, errMsg string) error {
	now := db.Now()
	return d.leased(ctx, "fail", e, `UPDATE queue_entries SET state = 'dead',
		unique_key = NULL, attempts = attempts + 1, last_error = ?, lease_owner = NULL,
		lease_token = NULL, lease_until = NULL, woken = 0, updated_at = ?`,
		truncateError(errMsg), db.Time(now))
}

// Dead implements Backend.
func (d *Database) Dead(ctx context.Context, queue string, limit int) ([]*Entry, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + entryColumns + ` FROM queue_entries WHERE state = 'dead'`
	args := []any{}
	if queue != "" {
		q += ` AND queue = ?`
		args = append(args, queue)
	}
	q += ` ORDER BY updated_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: listing dead entries: %w", err)
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("queue: listing dead entries: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Requeue implements Backend. The entry comes back without its unique key,
// which was freed when it died.
func (d *Database) Requeue(ctx context.Context, id string) error {
	var queue string
	err := d.db.QueryRowContext(ctx, `SELECT queue FROM queue_entries WHERE id = ? AND state = 'dead'`,
		id).Scan(&queue)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("queue: requeue: %w", err)
	}
	now := db.Now()
	res, err := d.db.ExecContext(ctx, `UPDATE queue_entries SET state = 'ready', attempts = 0,
		run_at = ?, updated_at = ? WHERE id = ? AND state = 'dead'`, db.Time(now), db.Time(now), id)
	if err != nil {
		return fmt.Errorf("queue: requeue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	d.sig.Notify(queue)
	return nil
}

// Stats implements Backend.
func (d *Database) Stats(ctx context.Context) (map[string]QueueStats, error) {
	now := db.Now()
	rows, err := d.db.QueryContext(ctx, `SELECT queue, state,
		CASE WHEN run_at <= ? THEN 1 ELSE 0 END AS due, COUNT(*), MIN(run_at)
		FROM queue_entries GROUP BY queue, state, due`, db.Time(now))
	if err != nil {
		return nil, fmt.Errorf("queue: stats: %w", err)
	}
	defer rows.Close()
	out := map[string]QueueStats{}
	for rows.Next() {
		var (
			q, state string
			due      int
			n        int64
			oldest   time.Time
		)
		if err := rows.Scan(&q, &state, &due, &n, db.ScanTime(&oldest)); err != nil {
			return nil, fmt.Errorf("queue: stats: %w", err)
		}
		s := out[q]
		switch {
		case state == stateRunning:
			s.Running += n
		case state == stateDead:
			s.Dead += n
		case due == 1:
			s.Ready += n
			s.OldestReadyAge = max(s.OldestReadyAge, now.Sub(oldest))
		default:
			s.Delayed += n
		}
		out[q] = s
	}
	return out, rows.Err()
}

// Wake implements Backend.
func (d *Database) Wake(ctx context.Context, taskID string) error {
	if taskID == "" {
		return nil
	}
	now := db.Now()
	err := d.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE queue_entries SET woken = 1, updated_at = ?
			WHERE task_id = ? AND state = 'running'`, db.Time(now), taskID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE queue_entries SET run_at = ?, updated_at = ?
			WHERE task_id = ? AND state = 'ready' AND run_at > ?`,
			db.Time(now), db.Time(now), taskID, db.Time(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: wake: %w", err)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT queue FROM queue_entries
		WHERE task_id = ? AND state = 'ready'`, taskID)
	if err != nil {
		return nil // the entries are due; pools find them on their next poll
	}
	defer rows.Close()
	for rows.Next() {
		var q string
		if rows.Scan(&q) == nil {
			d.sig.Notify(q)
		}
	}
	return nil
}
