package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/db/dbtest"
)

// Timing of the lease tests: a lease that runs out, and a wait past it.
const (
	shortLease = 300 * time.Millisecond
	pastLease  = 450 * time.Millisecond
	longLease  = time.Minute
)

func TestContract(t *testing.T) {
	t.Parallel()
	for _, bc := range backendCases {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			runContract(t, func(t *testing.T) Backend { return bc.new(t) })
		})
	}
}

// runContract checks that a backend keeps the Backend contract, and runs a
// Pool on it. Each subtest gets a new backend; tests sharing a store (the
// MySQL database of the test binary) use queues, tasks and unique keys of
// their own.
func runContract(t *testing.T, newBackend func(t *testing.T) Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"FIFOWithinPriority", testFIFO},
		{"PriorityOrder", testPriority},
		{"DelayedNotClaimableEarly", testDelayed},
		{"LeaseExpiryReclaimed", testLeaseExpiry},
		{"ExtendKeepsLease", testExtend},
		{"LeaseExpiryExhaustsAttempts", testLeaseExpiryDead},
		{"Uniqueness", testUniqueness},
		{"DeadLetterAndRequeue", testDeadLetter},
		{"RetryAndSnooze", testRetrySnooze},
		{"Wake", testWake},
		{"Stats", testStats},
		{"EnqueueTx", testEnqueueTx},
		{"ConcurrentClaimers", testConcurrentClaimers},
		{"PoolDrainOnStop", testPoolDrain},
		{"PoolStopWaitsForHandlers", testPoolStopWaits},
		{"PoolRetryBackoffFail", testPoolRetryBackoff},
		{"PoolHandlerResults", testPoolResults},
		{"PoolRenewsLease", testPoolRenews},
		{"PoolLeaseLostCancelsHandler", testPoolLeaseLost},
		{"PoolWakesOnEnqueue", testPoolWakeup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBackend(t)) })
	}
}

func newQueue() string { return "q-" + dbtest.RandomHex(5) }

func enqueue(t *testing.T, b Backend, p EnqueueParams) string {
	t.Helper()
	id, err := b.Enqueue(context.Background(), p)
	if err != nil {
		t.Fatalf("enqueue %+v: %v", p, err)
	}
	return id
}

func claim(t *testing.T, b Backend, queues []string, owner string, lease time.Duration, max int) []*Entry {
	t.Helper()
	es, err := b.Claim(context.Background(), queues, owner, lease, max)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return es
}

func claimOne(t *testing.T, b Backend, q, owner string, lease time.Duration) *Entry {
	t.Helper()
	es := claim(t, b, []string{q}, owner, lease, 1)
	if len(es) != 1 {
		t.Fatalf("claim of %s by %s: got %d entries, want 1", q, owner, len(es))
	}
	return es[0]
}

func claimNone(t *testing.T, b Backend, q string) {
	t.Helper()
	if es := claim(t, b, []string{q}, "nobody", longLease, 10); len(es) != 0 {
		t.Fatalf("claim of %s: got %d entries (first %+v), want none", q, len(es), es[0])
	}
}

func ids(es []*Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func statsOf(t *testing.T, b Backend, q string) QueueStats {
	t.Helper()
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	return st[q]
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testFIFO(t *testing.T, b Backend) {
	q := newQueue()
	before := time.Now().Add(-time.Second)
	var want []string
	for i := range 5 {
		want = append(want, enqueue(t, b, EnqueueParams{Queue: q, TaskID: fmt.Sprintf("task-%d", i),
			Kind: "run", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}))
	}
	var got []string
	for i := range 5 {
		e := claimOne(t, b, q, "A", longLease)
		got = append(got, e.ID)
		if e.Queue != q || e.TaskID != fmt.Sprintf("task-%d", i) || e.Kind != "run" ||
			string(e.Payload) != fmt.Sprintf(`{"n":%d}`, i) || e.Attempts != 0 ||
			e.MaxAttempts != DefaultMaxAttempts || e.LeaseOwner != "A" || e.UniqueKey != "" {
			t.Fatalf("entry %d came back as %+v", i, e)
		}
		if e.CreatedAt.Before(before) || e.RunAt.Before(before) ||
			e.LeaseUntil.Before(time.Now().Add(longLease/2)) {
			t.Fatalf("entry %d times: created %v, run at %v, lease until %v",
				i, e.CreatedAt, e.RunAt, e.LeaseUntil)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("claim order %v, want enqueue order %v", got, want)
	}
	claimNone(t, b, q)
}

func testPriority(t *testing.T, b Backend) {
	q1, q2 := newQueue(), newQueue()
	p5 := enqueue(t, b, EnqueueParams{Queue: q1, Priority: 5})
	p0a := enqueue(t, b, EnqueueParams{Queue: q1, Priority: 0})
	pm3 := enqueue(t, b, EnqueueParams{Queue: q2, Priority: -3})
	p0b := enqueue(t, b, EnqueueParams{Queue: q2, Priority: 0})
	p7 := enqueue(t, b, EnqueueParams{Queue: q2, Priority: 7})
	huge := enqueue(t, b, EnqueueParams{Queue: q1, Priority: 1 << 40})
	es := claim(t, b, []string{q1, q2, q1}, "A", longLease, 10) // a queue named twice counts once
	if want := []string{pm3, p0a, p0b, p5, p7, huge}; !slices.Equal(ids(es), want) {
		t.Fatalf("claim order %v, want %v", ids(es), want)
	}
	if es[5].Priority != MaxPriority {
		t.Fatalf("priority 1<<40 stored as %d, want it clamped to %d", es[5].Priority, MaxPriority)
	}
	// max bounds a claim, and the rest stays in order for the next.
	q := newQueue()
	var want []string
	for i := range 4 {
		want = append(want, enqueue(t, b, EnqueueParams{Queue: q, Priority: 10 - i}))
	}
	slices.Reverse(want)
	first := claim(t, b, []string{q}, "A", longLease, 3)
	rest := claim(t, b, []string{q}, "A", longLease, 3)
	if got := append(ids(first), ids(rest)...); !slices.Equal(got, want) || len(first) != 3 {
		t.Fatalf("claims of 3 then 3 gave %v then %v, want %v", ids(first), ids(rest), want)
	}
}

func testDelayed(t *testing.T, b Backend) {
	q := newQueue()
	delayed := enqueue(t, b, EnqueueParams{Queue: q, Delay: 400 * time.Millisecond})
	enqueue(t, b, EnqueueParams{Queue: q, RunAt: time.Now().Add(time.Hour)})
	past := enqueue(t, b, EnqueueParams{Queue: q, RunAt: time.Now().Add(-time.Minute), Priority: 50})
	es := claim(t, b, []string{q}, "A", longLease, 10)
	if !slices.Equal(ids(es), []string{past}) {
		t.Fatalf("claim before the delay got %v, want only the entry due in the past %s", ids(es), past)
	}
	if st := statsOf(t, b, q); st.Delayed != 2 || st.Ready != 0 || st.Running != 1 {
		t.Fatalf("stats %+v, want 2 delayed and 1 running", st)
	}
	time.Sleep(500 * time.Millisecond)
	es = claim(t, b, []string{q}, "A", longLease, 10)
	if !slices.Equal(ids(es), []string{delayed}) {
		t.Fatalf("claim after the delay got %v, want %s", ids(es), delayed)
	}
}

func testLeaseExpiry(t *testing.T, b Backend) {
	ctx := context.Background()
	q := newQueue()
	id := enqueue(t, b, EnqueueParams{Queue: q, UniqueKey: "lease-" + q})
	a := claimOne(t, b, q, "A", shortLease)
	if es := claim(t, b, []string{q}, "B", longLease, 1); len(es) != 0 {
		t.Fatalf("B claimed %v while A's lease was valid", ids(es))
	}
	time.Sleep(pastLease)
	bb := claimOne(t, b, q, "B", longLease)
	if bb.ID != id || bb.Attempts != 1 || bb.LeaseOwner != "B" || bb.LastError != lastErrorLeaseExpired {
		t.Fatalf("reclaimed entry %+v, want id %s with attempts 1, owner B, last error %q",
			bb, id, lastErrorLeaseExpired)
	}
	// A's claim is over: nothing it does touches B's work.
	if err := b.Extend(ctx, a, longLease); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("extend of a lost lease: %v, want ErrLeaseLost", err)
	}
	if err := b.Ack(ctx, a); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("ack of a lost lease: %v, want ErrLeaseLost", err)
	}
	if err := b.Snooze(ctx, a, 0); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("snooze of a lost lease: %v, want ErrLeaseLost", err)
	}
	if err := b.Retry(ctx, a, 0, "x"); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("retry of a lost lease: %v, want ErrLeaseLost", err)
	}
	if err := b.Fail(ctx, a, "x"); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("fail of a lost lease: %v, want ErrLeaseLost", err)
	}
	if st := statsOf(t, b, q); st.Running != 1 || st.Ready != 0 || st.Dead != 0 {
		t.Fatalf("after A's calls: stats %+v, want B's entry still running", st)
	}
	got, err := b.Enqueue(ctx, EnqueueParams{Queue: q, UniqueKey: "lease-" + q})
	if !errors.Is(err, ErrDuplicate) || got != id {
		t.Fatalf("unique key after A's ack: %s, %v; want still held by %s", got, err, id)
	}
	before := bb.LeaseUntil
	time.Sleep(5 * time.Millisecond)
	if err := b.Extend(ctx, bb, longLease); err != nil || !bb.LeaseUntil.After(before) {
		t.Fatalf("B's extend: %v, lease until %v (was %v)", err, bb.LeaseUntil, before)
	}
	if err := b.Ack(ctx, bb); err != nil {
		t.Fatalf("B's ack: %v", err)
	}
	if err := b.Ack(ctx, bb); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("second ack: %v, want ErrLeaseLost", err)
	}
	if st := statsOf(t, b, q); st != (QueueStats{}) {
		t.Fatalf("after ack: stats %+v, want empty", st)
	}
}

func testExtend(t *testing.T, b Backend) {
	// Seconds rather than milliseconds, with a second of margin either
	// side, so a loaded machine's late wake-ups cannot flip the outcome.
	const lease = 2 * time.Second
	q := newQueue()
	enqueue(t, b, EnqueueParams{Queue: q})
	a := claimOne(t, b, q, "A", lease)
	time.Sleep(lease / 2)
	if err := b.Extend(context.Background(), a, lease); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease/2 + 500*time.Millisecond) // past the first lease, well before the second
	claimNone(t, b, q)
	if err := b.Ack(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

func testLeaseExpiryDead(t *testing.T, b Backend) {
	q := newQueue()
	id := enqueue(t, b, EnqueueParams{Queue: q, MaxAttempts: 1, UniqueKey: "dead-" + q})
	claimOne(t, b, q, "A", shortLease)
	time.Sleep(pastLease)
	claimNone(t, b, q)
	dead, err := b.Dead(context.Background(), q, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != id || dead[0].Attempts != 1 ||
		dead[0].LastError != lastErrorLeaseExpired || dead[0].UniqueKey != "" {
		t.Fatalf("dead letter %+v, want %s after one expired lease", dead, id)
	}
	if _, err := b.Enqueue(context.Background(), EnqueueParams{Queue: q, UniqueKey: "dead-" + q}); err != nil {
		t.Fatalf("unique key of a dead entry should be free: %v", err)
	}
}

func testUniqueness(t *testing.T, b Backend) {
	ctx := context.Background()
	q, key := newQueue(), "uniq-"+dbtest.RandomHex(6)
	id1 := enqueue(t, b, EnqueueParams{Queue: q, UniqueKey: key, TaskID: "t1"})
	dup := func(when string) {
		t.Helper()
		for _, queue := range []string{q, newQueue()} { // keys are global
			got, err := b.Enqueue(ctx, EnqueueParams{Queue: queue, UniqueKey: key})
			if !errors.Is(err, ErrDuplicate) || got != id1 {
				t.Fatalf("%s: enqueue of a held key returned %q, %v; want %s, ErrDuplicate", when, got, err, id1)
			}
		}
	}
	dup("pending")
	// Keys are exact: another case is another key.
	q2 := newQueue()
	other := enqueue(t, b, EnqueueParams{Queue: q2, UniqueKey: "UNIQ-" + key[5:]})
	if e := claimOne(t, b, q2, "A", longLease); e.ID != other {
		t.Fatalf("claimed %s, want %s", e.ID, other)
	}
	e := claimOne(t, b, q, "A", longLease)
	if e.ID != id1 || e.UniqueKey != key {
		t.Fatalf("claimed %+v, want %s with its key", e, id1)
	}
	dup("running")
	if err := b.Snooze(ctx, e, 0); err != nil {
		t.Fatal(err)
	}
	dup("snoozed")
	e = claimOne(t, b, q, "A", longLease)
	if err := b.Ack(ctx, e); err != nil {
		t.Fatal(err)
	}
	id2 := enqueue(t, b, EnqueueParams{Queue: q, UniqueKey: key})
	if id2 == id1 {
		t.Fatal("enqueue after ack returned the acked id")
	}
	es := claim(t, b, []string{q}, "A", longLease, 10)
	if !slices.Equal(ids(es), []string{id2}) {
		t.Fatalf("claimed %v, want %v", ids(es), []string{id2})
	}
	if err := b.Fail(ctx, es[0], "no"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Enqueue(ctx, EnqueueParams{Queue: q, UniqueKey: key}); err != nil {
		t.Fatalf("enqueue after the keyed entry died: %v", err)
	}
}

func testDeadLetter(t *testing.T, b Backend) {
	ctx := context.Background()
	q := newQueue()
	id1 := enqueue(t, b, EnqueueParams{Queue: q, Kind: "run"})
	id2 := enqueue(t, b, EnqueueParams{Queue: q, Kind: "run", MaxAttempts: 2})
	e1 := claimOne(t, b, q, "A", longLease)
	if err := b.Fail(ctx, e1, "bad input"); err != nil {
		t.Fatal(err)
	}
	e2 := claimOne(t, b, q, "A", longLease)
	if err := b.Retry(ctx, e2, 0, "flaky"); err != nil {
		t.Fatal(err)
	}
	e2 = claimOne(t, b, q, "A", longLease)
	if e2.ID != id2 || e2.Attempts != 1 || e2.LastError != "flaky" {
		t.Fatalf("retried entry %+v, want %s with attempts 1 and last error flaky", e2, id2)
	}
	time.Sleep(2 * time.Millisecond) // distinct times of death
	if err := b.Retry(ctx, e2, 0, "flaky again"); err != nil {
		t.Fatal(err)
	}
	claimNone(t, b, q)
	dead, err := b.Dead(ctx, q, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(dead), []string{id2, id1}) {
		t.Fatalf("dead letter %v, want most recent first %v", ids(dead), []string{id2, id1})
	}
	if d := dead[0]; d.Attempts != 2 || d.LastError != "flaky again" || d.Kind != "run" {
		t.Fatalf("dead entry after its last retry: %+v", d)
	}
	if d := dead[1]; d.Attempts != 1 || d.LastError != "bad input" {
		t.Fatalf("failed entry: %+v", d)
	}
	if one, err := b.Dead(ctx, q, 1); err != nil || len(one) != 1 {
		t.Fatalf("dead with limit 1: %v, %v", ids(one), err)
	}
	all, err := b.Dead(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(slices.DeleteFunc(ids(all), func(id string) bool { return id != id1 && id != id2 })); n != 2 {
		t.Fatalf("dead of all queues holds %d of this test's entries, want 2", n)
	}
	if st := statsOf(t, b, q); st.Dead != 2 || st.Ready != 0 || st.Running != 0 {
		t.Fatalf("stats %+v, want 2 dead", st)
	}
	if err := b.Requeue(ctx, id1); err != nil {
		t.Fatal(err)
	}
	e := claimOne(t, b, q, "A", longLease)
	if e.ID != id1 || e.Attempts != 0 || e.LastError != "bad input" {
		t.Fatalf("requeued entry %+v, want %s with attempts reset", e, id1)
	}
	if err := b.Requeue(ctx, id1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("requeue of a running entry: %v, want ErrNotFound", err)
	}
	if err := b.Requeue(ctx, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("requeue of an unknown id: %v, want ErrNotFound", err)
	}
	if err := b.Ack(ctx, e); err != nil {
		t.Fatal(err)
	}
	if dead, _ := b.Dead(ctx, q, 10); !slices.Equal(ids(dead), []string{id2}) {
		t.Fatalf("dead after requeue %v, want %v", ids(dead), []string{id2})
	}
}

func testRetrySnooze(t *testing.T, b Backend) {
	ctx := context.Background()
	q := newQueue()
	enqueue(t, b, EnqueueParams{Queue: q})
	e := claimOne(t, b, q, "A", longLease)
	if err := b.Retry(ctx, e, 400*time.Millisecond, "boom"); err != nil {
		t.Fatal(err)
	}
	claimNone(t, b, q)
	time.Sleep(500 * time.Millisecond)
	e = claimOne(t, b, q, "A", longLease)
	if e.Attempts != 1 || e.LastError != "boom" {
		t.Fatalf("after retry: %+v", e)
	}
	if err := b.Snooze(ctx, e, 0); err != nil {
		t.Fatal(err)
	}
	e = claimOne(t, b, q, "A", longLease)
	if e.Attempts != 1 {
		t.Fatalf("snooze counted an attempt: attempts %d", e.Attempts)
	}
	if err := b.Snooze(ctx, e, 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st := statsOf(t, b, q); st.Delayed != 1 {
		t.Fatalf("snoozed entry: stats %+v, want 1 delayed", st)
	}
	claimNone(t, b, q)
	time.Sleep(500 * time.Millisecond)
	if e = claimOne(t, b, q, "A", longLease); e.Attempts != 1 {
		t.Fatalf("after snooze: attempts %d, want 1", e.Attempts)
	}
}

func testWake(t *testing.T, b Backend) {
	ctx := context.Background()
	q, task := newQueue(), "task-"+dbtest.RandomHex(6)
	id := enqueue(t, b, EnqueueParams{Queue: q, TaskID: task, Kind: "poll", Delay: time.Hour})
	other := enqueue(t, b, EnqueueParams{Queue: q, TaskID: task + "x", Delay: time.Hour})
	claimNone(t, b, q)
	if err := b.Wake(ctx, task); err != nil {
		t.Fatal(err)
	}
	e := claimOne(t, b, q, "A", longLease)
	if e.ID != id {
		t.Fatalf("woke %s, want %s (not %s)", e.ID, id, other)
	}
	claimNone(t, b, q)
	// A webhook arriving while the poll runs makes its next snooze short.
	if err := b.Wake(ctx, task); err != nil {
		t.Fatal(err)
	}
	if err := b.Snooze(ctx, e, time.Hour); err != nil {
		t.Fatal(err)
	}
	e = claimOne(t, b, q, "A", longLease)
	if e.ID != id || e.Attempts != 0 {
		t.Fatalf("claimed %+v, want the woken poll %s", e, id)
	}
	if err := b.Snooze(ctx, e, time.Hour); err != nil {
		t.Fatal(err)
	}
	claimNone(t, b, q)
	if err := b.Wake(ctx, "no-such-task"); err != nil {
		t.Fatalf("wake of an unknown task: %v", err)
	}
}

func testStats(t *testing.T, b Backend) {
	ctx := context.Background()
	q := newQueue()
	enqueue(t, b, EnqueueParams{Queue: q})
	e := claimOne(t, b, q, "A", longLease)
	if err := b.Fail(ctx, e, "x"); err != nil {
		t.Fatal(err)
	}
	enqueue(t, b, EnqueueParams{Queue: q, Priority: 1})
	enqueue(t, b, EnqueueParams{Queue: q, Priority: 5})
	enqueue(t, b, EnqueueParams{Queue: q, Priority: 2})
	enqueue(t, b, EnqueueParams{Queue: q, Delay: time.Hour})
	claimOne(t, b, q, "A", longLease) // priority 1
	time.Sleep(150 * time.Millisecond)
	enqueue(t, b, EnqueueParams{Queue: q, Priority: -1}) // newer, first in priority
	st := statsOf(t, b, q)
	if st.Ready != 3 || st.Delayed != 1 || st.Running != 1 || st.Dead != 1 {
		t.Fatalf("stats %+v, want 3 ready, 1 delayed, 1 running, 1 dead", st)
	}
	if st.OldestReadyAge < 150*time.Millisecond || st.OldestReadyAge > 10*time.Second {
		t.Fatalf("oldest ready age %s, want the age of the priority 5 entry (>= 150ms)", st.OldestReadyAge)
	}
}

func testEnqueueTx(t *testing.T, b Backend) {
	ctx := context.Background()
	d := backendDB(b)
	q, key := newQueue(), "tx-"+dbtest.RandomHex(6)

	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, UniqueKey: key}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	relay(t, b)
	claimNone(t, b, q)

	var id string
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		id, err = b.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, TaskID: "t", Kind: "run",
			Payload: []byte(`{"a":1}`), UniqueKey: key})
		if err != nil {
			return err
		}
		// The key is held inside the transaction already.
		got, err := b.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, UniqueKey: key})
		if !errors.Is(err, ErrDuplicate) || got != id {
			t.Errorf("second EnqueueTx of the key in the tx: %q, %v; want %s, ErrDuplicate", got, err, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Before the relay (redis) and after it, the key stays held.
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		got, err := b.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, UniqueKey: key})
		if !errors.Is(err, ErrDuplicate) || got != id {
			t.Errorf("EnqueueTx of a committed key: %q, %v; want %s, ErrDuplicate", got, err, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	relay(t, b)
	if got, err := b.Enqueue(ctx, EnqueueParams{Queue: q, UniqueKey: key}); !errors.Is(err,
		ErrDuplicate) || got != id {
		t.Fatalf("Enqueue of the relayed key: %q, %v; want %s, ErrDuplicate", got, err, id)
	}
	e := claimOne(t, b, q, "A", longLease)
	if e.ID != id || e.TaskID != "t" || e.Kind != "run" || string(e.Payload) != `{"a":1}` || e.UniqueKey != key {
		t.Fatalf("claimed %+v, want the committed entry %s", e, id)
	}
	// A delayed EnqueueTx keeps its delay through the relay.
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := b.EnqueueTx(ctx, tx, EnqueueParams{Queue: q, Delay: 300 * time.Millisecond})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	relay(t, b)
	claimNone(t, b, q)
	time.Sleep(400 * time.Millisecond)
	claimOne(t, b, q, "A", longLease)
}

// testConcurrentClaimers has 4 goroutines claim 200 entries each: every entry
// is claimed exactly once while the leases hold.
func testConcurrentClaimers(t *testing.T, b Backend) {
	const claimers, perClaimer = 4, 200
	total := claimers * perClaimer
	ctx := context.Background()
	q := newQueue()
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClaimer {
				if _, err := b.Enqueue(ctx, EnqueueParams{Queue: q, TaskID: fmt.Sprintf("%d-%d", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		claims  = map[string]int{}
		claimed atomic.Int64
	)
	deadline := time.Now().Add(60 * time.Second)
	errCh := make(chan error, claimers)
	for w := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("claimer-%d", w)
			for claimed.Load() < int64(total) && time.Now().Before(deadline) {
				es, err := b.Claim(ctx, []string{q}, owner, longLease, 8)
				if err != nil {
					errCh <- err
					return
				}
				mu.Lock()
				for _, e := range es {
					claims[e.ID]++
				}
				mu.Unlock()
				claimed.Add(int64(len(es)))
				if len(es) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		t.Fatal(err)
	}
	if len(claims) != total || claimed.Load() != int64(total) {
		t.Fatalf("%d distinct entries claimed %d times, want %d once each", len(claims), claimed.Load(), total)
	}
	for id, n := range claims {
		if n != 1 {
			t.Fatalf("entry %s claimed %d times", id, n)
		}
	}
	claimNone(t, b, q)
}

// quietLogger drops pool logs (tests provoke lost leases and failures).
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func startPool(t testing.TB, cfg PoolConfig) *Pool {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	p, err := NewPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = p.Stop(sctx)
		cancel()
	})
	return p
}

func testPoolDrain(t *testing.T, b Backend) {
	q := newQueue()
	started := make(chan string, 2)
	var quickDone atomic.Bool
	p := startPool(t, PoolConfig{Backend: b, Queues: []string{q}, Concurrency: 2, Lease: 5 * time.Second,
		Handler: func(ctx context.Context, e *Entry) error {
			started <- e.Kind
			if e.Kind == "quick" {
				time.Sleep(150 * time.Millisecond)
				quickDone.Store(true)
				return nil
			}
			<-ctx.Done() // stuck until Stop gives up on it
			return ctx.Err()
		}})
	stuck := enqueue(t, b, EnqueueParams{Queue: q, Kind: "stuck"})
	enqueue(t, b, EnqueueParams{Queue: q, Kind: "quick"})
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("handlers did not start")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := p.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stop with a stuck handler: %v, want a deadline error", err)
	}
	if took := time.Since(begin); took > 3*time.Second {
		t.Fatalf("stop took %s", took)
	}
	if !quickDone.Load() {
		t.Fatal("stop did not wait for the quick handler")
	}
	// The stuck entry is released at once, without an attempt counted.
	e := claimOne(t, b, q, "other", longLease)
	if e.ID != stuck || e.Attempts != 0 {
		t.Fatalf("after stop: claimed %+v, want the released entry %s with 0 attempts", e, stuck)
	}
	if st := statsOf(t, b, q); st.Running != 1 || st.Ready != 0 {
		t.Fatalf("stats after stop %+v: the quick entry should be acked", st)
	}
	// A stopped pool claims nothing more.
	enqueue(t, b, EnqueueParams{Queue: q, Kind: "late"})
	time.Sleep(150 * time.Millisecond)
	if e := claimOne(t, b, q, "other", longLease); e.Kind != "late" {
		t.Fatalf("claimed %+v, want the late entry left alone by the stopped pool", e)
	}
}

func testPoolStopWaits(t *testing.T, b Backend) {
	q := newQueue()
	started := make(chan struct{}, 1)
	p := startPool(t, PoolConfig{Backend: b, Queues: []string{q},
		Handler: func(ctx context.Context, e *Entry) error {
			started <- struct{}{}
			time.Sleep(200 * time.Millisecond)
			return nil
		}})
	enqueue(t, b, EnqueueParams{Queue: q})
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if st := statsOf(t, b, q); st != (QueueStats{}) {
		t.Fatalf("stats after a drained stop: %+v, want the entry acked", st)
	}
}

func testPoolRetryBackoff(t *testing.T, b Backend) {
	q := newQueue()
	var (
		mu       sync.Mutex
		attempts []int
		backoffs []int
	)
	startPool(t, PoolConfig{Backend: b, Queues: []string{q},
		Backoff: func(n int) time.Duration {
			mu.Lock()
			backoffs = append(backoffs, n)
			mu.Unlock()
			return 30 * time.Millisecond
		},
		Handler: func(ctx context.Context, e *Entry) error {
			mu.Lock()
			attempts = append(attempts, e.Attempts)
			mu.Unlock()
			return errors.New("boom")
		}})
	id := enqueue(t, b, EnqueueParams{Queue: q, MaxAttempts: 3})
	var dead []*Entry
	eventually(t, 10*time.Second, "the entry to die", func() bool {
		dead, _ = b.Dead(context.Background(), q, 10)
		return len(dead) == 1
	})
	if d := dead[0]; d.ID != id || d.Attempts != 3 || d.LastError != "boom" {
		t.Fatalf("dead entry %+v, want %s after 3 attempts", d, id)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(attempts, []int{0, 1, 2}) || !slices.Equal(backoffs, []int{1, 2}) {
		t.Fatalf("handler saw attempts %v and backoff was asked for %v; want [0 1 2] and [1 2]",
			attempts, backoffs)
	}
}

func testPoolResults(t *testing.T, b Backend) {
	q := newQueue()
	type call struct {
		attempts int
		at       time.Time
	}
	var (
		mu    sync.Mutex
		calls = map[string][]call{}
	)
	startPool(t, PoolConfig{Backend: b, Queues: []string{q}, Concurrency: 4,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Handler: func(ctx context.Context, e *Entry) error {
			mu.Lock()
			calls[e.Kind] = append(calls[e.Kind], call{e.Attempts, time.Now()})
			n := len(calls[e.Kind])
			mu.Unlock()
			switch {
			case e.Kind == "poll" && n < 3:
				return fmt.Errorf("provider job still running: %w", Snooze(30*time.Millisecond))
			case e.Kind == "ratelimited" && n == 1:
				return RetryAfter(300*time.Millisecond, errors.New("429 too many requests"))
			case e.Kind == "invalid":
				return Permanent(errors.New("400 prompt rejected"))
			case e.Kind == "panic" && n == 1:
				panic("handler bug")
			}
			return nil
		}})
	for _, kind := range []string{"poll", "ratelimited", "invalid", "panic"} {
		enqueue(t, b, EnqueueParams{Queue: q, Kind: kind})
	}
	eventually(t, 10*time.Second, "all entries to settle", func() bool {
		st := statsOf(t, b, q)
		return st.Ready == 0 && st.Delayed == 0 && st.Running == 0 && st.Dead == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if c := calls["poll"]; len(c) != 3 || c[0].attempts != 0 || c[1].attempts != 0 || c[2].attempts != 0 {
		t.Fatalf("poll calls %+v: want 3 calls, snoozes not counted as attempts", c)
	}
	if c := calls["ratelimited"]; len(c) != 2 || c[1].attempts != 1 ||
		c[1].at.Sub(c[0].at) < 280*time.Millisecond {
		t.Fatalf("ratelimited calls %+v: want a second call with attempts 1 after 300ms", c)
	}
	if c := calls["panic"]; len(c) != 2 || c[1].attempts != 1 {
		t.Fatalf("panic calls %+v: want a retry with attempts 1", c)
	}
	dead, _ := b.Dead(context.Background(), q, 10)
	if len(dead) != 1 || dead[0].Kind != "invalid" || dead[0].Attempts != 1 ||
		dead[0].LastError != "400 prompt rejected" || len(calls["invalid"]) != 1 {
		t.Fatalf("dead letter %+v: want the invalid entry after one call", dead)
	}
}

func testPoolRenews(t *testing.T, b Backend) {
	q := newQueue()
	done := make(chan struct{})
	startPool(t, PoolConfig{Backend: b, Queues: []string{q}, Lease: shortLease,
		Handler: func(ctx context.Context, e *Entry) error {
			select {
			case <-time.After(3 * shortLease):
			case <-ctx.Done():
				return ctx.Err()
			}
			close(done)
			return nil
		}})
	enqueue(t, b, EnqueueParams{Queue: q})
	eventually(t, 5*time.Second, "the pool to claim", func() bool { return statsOf(t, b, q).Running == 1 })
	for {
		select {
		case <-done:
			eventually(t, 5*time.Second, "the ack", func() bool { return statsOf(t, b, q) == (QueueStats{}) })
			return
		default:
		}
		if es := claim(t, b, []string{q}, "thief", longLease, 1); len(es) != 0 {
			t.Fatal("another owner claimed an entry whose lease the pool renews")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testPoolLeaseLost(t *testing.T, b Backend) {
	q := newQueue()
	got := make(chan *Entry, 1)
	causes := make(chan error, 1)
	var calls atomic.Int32
	startPool(t, PoolConfig{Backend: b, Queues: []string{q}, Lease: shortLease,
		Handler: func(ctx context.Context, e *Entry) error {
			if calls.Add(1) > 1 {
				return nil
			}
			c := *e
			got <- &c
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return ctx.Err()
		}})
	enqueue(t, b, EnqueueParams{Queue: q})
	var e *Entry
	select {
	case e = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}
	// Someone else takes the entry over (here: releases it with the claim).
	if err := b.Snooze(context.Background(), e, time.Hour); err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-causes:
		if !errors.Is(cause, ErrLeaseLost) {
			t.Fatalf("handler context cause %v, want ErrLeaseLost", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler context not cancelled after the lease was lost")
	}
	// The pool did not settle the entry it no longer held.
	time.Sleep(100 * time.Millisecond)
	if st := statsOf(t, b, q); st.Delayed != 1 {
		t.Fatalf("stats %+v, want the entry still snoozed by its new holder", st)
	}
}

func testPoolWakeup(t *testing.T, b Backend) {
	q := newQueue()
	ran := make(chan time.Time, 1)
	startPool(t, PoolConfig{Backend: b, Queues: []string{q}, PollInterval: time.Hour,
		Handler: func(ctx context.Context, e *Entry) error {
			ran <- time.Now()
			return nil
		}})
	time.Sleep(100 * time.Millisecond) // the pool has polled and sleeps for an hour
	start := time.Now()
	enqueue(t, b, EnqueueParams{Queue: q})
	select {
	case at := <-ran:
		if d := at.Sub(start); d > 2*time.Second {
			t.Fatalf("handler ran %s after enqueue", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a local enqueue did not wake the pool")
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second,
		13: time.Hour, 100: time.Hour} {
		for range 50 {
			if d := DefaultBackoff(n); d < want/2 || d > want {
				t.Fatalf("DefaultBackoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	for _, p := range []EnqueueParams{
		{},
		{Queue: string(make([]byte, 65))},
		{Queue: "q", Payload: make([]byte, MaxPayloadBytes+1)},
		{Queue: "q", Payload: []byte{0xff}},
		{Queue: "q", UniqueKey: string(make([]byte, 256))},
	} {
		if _, err := normalize(p); err == nil {
			t.Errorf("normalize accepted %.40q", fmt.Sprint(p))
		}
	}
}
