package queue

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"
)

// outboxRows returns the raw outbox rows, to put them back as a relay killed
// between its Redis write and its DELETE would have left them.
func outboxRows(t *testing.T, r *Redis) [][]any {
	t.Helper()
	rows, err := r.db.Query(`SELECT id, queue, task_id, kind, payload, priority, run_at,
		max_attempts, unique_key, created_at FROM queue_outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		var (
			id, queue, task, kind, payload string
			prio, maxAttempts              int
			runAt, unique                  sql.NullString
			created                        string
		)
		if err := rows.Scan(&id, &queue, &task, &kind, &payload, &prio, &runAt, &maxAttempts,
			&unique, &created); err != nil {
			t.Fatal(err)
		}
		out = append(out, []any{id, queue, task, kind, payload, prio, runAt, maxAttempts, unique, created})
	}
	return out
}

func restoreOutbox(t *testing.T, r *Redis, rows [][]any) {
	t.Helper()
	for _, row := range rows {
		if _, err := r.db.Exec(`INSERT INTO queue_outbox (id, queue, task_id, kind, payload,
			priority, run_at, max_attempts, unique_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRedisRelayIdempotent(t *testing.T) {
	t.Parallel()
	r := newRedisBackend(t)
	ctx := context.Background()
	q := newQueue()
	var id string
	if err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = r.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, TaskID: "t", UniqueKey: "k-" + q})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rows := outboxRows(t, r)
	if n, err := r.RelayOnce(ctx); err != nil || n != 1 {
		t.Fatalf("relay: %d, %v", n, err)
	}
	// The relay died before its DELETE: the row is relayed again.
	restoreOutbox(t, r, rows)
	if n, err := r.RelayOnce(ctx); err != nil || n != 1 {
		t.Fatalf("second relay: %d, %v", n, err)
	}
	if st := statsOf(t, r, q); st.Ready != 1 {
		t.Fatalf("after relaying one row twice: stats %+v, want 1 ready", st)
	}
	e := claimOne(t, r, q, "A", longLease)
	if e.ID != id {
		t.Fatalf("claimed %s, want the outbox id %s", e.ID, id)
	}
	if err := r.Ack(ctx, e); err != nil {
		t.Fatal(err)
	}
	// Even once the entry is acked, relaying its row again is a no-op.
	restoreOutbox(t, r, rows)
	if _, err := r.RelayOnce(ctx); err != nil {
		t.Fatal(err)
	}
	claimNone(t, r, q)
	if left := outboxRows(t, r); len(left) != 0 {
		t.Fatalf("%d outbox rows left after relaying", len(left))
	}
}

func TestRedisConcurrentRelays(t *testing.T) {
	t.Parallel()
	r := newRedisBackend(t)
	r.relayBatch = 7
	ctx := context.Background()
	q := newQueue()
	const n = 60
	if err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		for range n {
			if _, err := r.EnqueueTx(ctx, tx, EnqueueParams{Queue: q}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				moved, err := r.RelayOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if moved == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := statsOf(t, r, q); st.Ready != n {
		t.Fatalf("three relays moved %d entries, want %d", st.Ready, n)
	}
}

func TestRedisRelayLoop(t *testing.T) {
	t.Parallel()
	r := newRedisBackend(t)
	r.relayInterval = time.Hour // only Notify can make the relay look
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Relay(ctx) }()
	q := newQueue()
	if err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := r.EnqueueTx(ctx, tx, EnqueueParams{Queue: q})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the relay's first look found nothing
	r.Notify(q)
	eventually(t, 5*time.Second, "the relay to move the entry", func() bool {
		return statsOf(t, r, q).Ready == 1
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("relay returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("relay did not stop")
	}
}

// TestRedisWakeAcrossProcesses: an entry enqueued by another process (another
// client and backend) wakes an idle pool through pub/sub.
func TestRedisWakeAcrossProcesses(t *testing.T) {
	t.Parallel()
	producer := newRedisBackend(t)
	consumer := NewRedis(RedisConfig{Client: testRedisClient(t), Prefix: producer.prefix})
	q := newQueue()
	ran := make(chan struct{}, 1)
	startPool(t, PoolConfig{Backend: consumer, Queues: []string{q}, PollInterval: time.Hour,
		Handler: func(ctx context.Context, e *Entry) error {
			ran <- struct{}{}
			return nil
		}})
	time.Sleep(200 * time.Millisecond)                     // subscribed, polled, asleep for an hour
	enqueue(t, producer, EnqueueParams{Queue: newQueue()}) // another queue: no wake
	enqueue(t, producer, EnqueueParams{Queue: q})
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("an enqueue in another process did not wake the pool")
	}
}
