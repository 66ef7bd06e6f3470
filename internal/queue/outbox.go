package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// EnqueueTx implements Backend: it writes a queue_outbox row in tx, which
// Relay moves to Redis once tx has committed (the id returned is the entry's
// id in Redis). A UniqueKey already held in Redis or by another outbox row
// returns that entry's id and ErrDuplicate; one taken between this call and
// the relay makes the relay drop the new entry, so the returned id is then
// never delivered.
func (r *Redis) EnqueueTx(ctx context.Context, tx *sql.Tx, p EnqueueParams) (string, error) {
	s, err := normalize(p)
	if err != nil {
		return "", err
	}
	if r.db == nil {
		return "", errors.New("queue: enqueue: the redis backend needs RedisConfig.DB for EnqueueTx")
	}
	if s.UniqueKey != "" {
		if id, ok := r.heldUnique(ctx, s.UniqueKey); ok {
			return id, ErrDuplicate
		}
	}
	now := db.Now()
	var runAt, unique any
	if !s.immediate {
		runAt = db.Time(s.runAt(now))
	}
	if s.UniqueKey != "" {
		unique = s.UniqueKey
	}
	id := newID()
	_, err = tx.ExecContext(ctx, `INSERT INTO queue_outbox (id, queue, task_id, kind, payload,
		priority, run_at, max_attempts, unique_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, s.Queue, s.TaskID, s.Kind, string(s.Payload), s.Priority, runAt, s.MaxAttempts,
		unique, db.Time(now))
	if err == nil {
		return id, nil
	}
	if s.UniqueKey != "" && db.IsUniqueViolation(err) {
		d := Database{db: r.db}
		existing, lerr := d.lookupUnique(ctx, tx, "queue_outbox", s.UniqueKey)
		if lerr == nil && existing != "" {
			return existing, ErrDuplicate
		}
	}
	return "", fmt.Errorf("queue: enqueue: writing outbox: %w", err)
}

// heldUnique returns the id of the live entry holding key in Redis.
func (r *Redis) heldUnique(ctx context.Context, key string) (string, bool) {
	id, err := r.c.HGet(ctx, r.prefix+":unique", key).Result()
	if err != nil || id == "" {
		return "", false
	}
	n, err := r.c.Exists(ctx, r.prefix+":e:"+id).Result()
	return id, err == nil && n == 1
}

// Relay moves queue_outbox rows to Redis until ctx is done, looking for rows
// every RelayInterval when it finds none, and at once after Notify. Run one in every process that
// enqueues with EnqueueTx (several relays may run at once: a row relayed
// twice becomes one entry). Errors are logged and retried.
func (r *Redis) Relay(ctx context.Context) error {
	if r.db == nil {
		return errors.New("queue: relay: the redis backend needs RedisConfig.DB")
	}
	wait := r.relayInterval
	for {
		n, err := r.RelayOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.Error("queue: relaying outbox", "error", err)
			wait = min(wait*2, 5*time.Second)
		case n == r.relayBatch:
			continue // more rows wait
		default:
			wait = r.relayInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.relayKick:
			t.Stop()
		case <-t.C:
		}
	}
}

// RelayOnce moves up to one batch of queue_outbox rows to Redis and returns
// how many it moved. Each row is enqueued in Redis under the row's id, then
// the batch is deleted: a relay killed in between leaves rows that the next
// relay enqueues again, which Redis recognises by id and ignores.
func (r *Redis) RelayOnce(ctx context.Context) (int, error) {
	if r.db == nil {
		return 0, errors.New("queue: relay: the redis backend needs RedisConfig.DB")
	}
	rows, err := r.db.QueryContext(ctx, `SELECT seq, id, queue, task_id, kind, payload, priority,
		run_at, max_attempts, unique_key FROM queue_outbox ORDER BY seq LIMIT ?`, r.relayBatch)
	if err != nil {
		return 0, fmt.Errorf("queue: relay: reading outbox: %w", err)
	}
	type row struct {
		seq   int64
		id    string
		spec  enqueueSpec
		runAt time.Time
	}
	var batch []row
	for rows.Next() {
		var (
			x       row
			payload string
			unique  sql.NullString
		)
		if err := rows.Scan(&x.seq, &x.id, &x.spec.Queue, &x.spec.TaskID, &x.spec.Kind, &payload,
			&x.spec.Priority, db.ScanTime(&x.runAt), &x.spec.MaxAttempts, &unique); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("queue: relay: reading outbox: %w", err)
		}
		x.spec.Payload, x.spec.UniqueKey = []byte(payload), unique.String
		x.spec.immediate = x.runAt.IsZero()
		batch = append(batch, x)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("queue: relay: reading outbox: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	seqs := make([]any, 0, len(batch))
	for _, x := range batch {
		var runAt int64
		if !x.runAt.IsZero() {
			runAt = max(x.runAt.UnixMilli(), 1)
		}
		_, status, err := r.enqueue(ctx, x.id, x.spec, runAt, r.relayMemory)
		if err != nil && !errors.Is(err, ErrDuplicate) {
			// Delete what was relayed so far; the rest waits for the next try.
			if len(seqs) > 0 {
				_, _ = r.db.ExecContext(ctx, `DELETE FROM queue_outbox WHERE seq IN (`+
					placeholders(len(seqs))+`)`, seqs...)
			}
			return len(seqs), fmt.Errorf("queue: relay: %w", err)
		}
		if status == "dup" {
			r.log.Info("queue: relay dropped an entry whose unique key is taken",
				"id", x.id, "queue", x.spec.Queue, "unique_key", x.spec.UniqueKey)
		}
		seqs = append(seqs, x.seq)
	}
	if _, err := r.db.ExecContext(ctx, `DELETE FROM queue_outbox WHERE seq IN (`+
		placeholders(len(seqs))+`)`, seqs...); err != nil {
		return 0, fmt.Errorf("queue: relay: deleting relayed rows: %w", err)
	}
	return len(batch), nil
}
