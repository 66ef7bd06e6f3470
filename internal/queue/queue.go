// Package queue carries task work from the process that plans it to the
// workers that run it. Each provider has its own queue (runway, veo, kling,
// wan, nano, replicate, sim, and media for FFmpeg work); job_tasks rows stay
// the truth about a task, and a queue entry only says "run this task (or poll
// it) now".
//
// Delivery is at least once. A claimed entry carries a lease that the worker
// renews while its handler runs; if the worker dies the lease expires and
// another worker claims the entry again, so a handler must tolerate running
// twice. Entries may be delayed (RunAt), are claimed lowest Priority first,
// then oldest RunAt, then id, may carry a UniqueKey that de-duplicates them
// while they are pending or running, and go to a dead letter after
// MaxAttempts failures or an explicit Fail, where they can be listed and
// requeued.
//
// Two backends implement the contract: Database (QUEUE_CONNECTION=database,
// the queue_entries table in SQLite or MySQL/MariaDB) and Redis
// (QUEUE_CONNECTION=redis, with the queue_outbox table carrying entries
// enqueued inside a database transaction). Pool runs handlers on claimed
// entries, renews their leases, settles their results and drains on Stop.
//
// Attempts counts failed attempts: a Retry, a Fail, or a lease that expired
// under a worker that stopped renewing it. A Snooze (a poll that is not done
// yet) and a release on drain do not count.
package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits on entries, the same for every backend.
const (
	// DefaultMaxAttempts is the MaxAttempts of an entry enqueued without one.
	DefaultMaxAttempts = 25
	// MinPriority and MaxPriority bound Priority; values outside are clamped.
	// (The redis backend folds priority and run time into one sorted-set
	// score, exact only within this range.)
	MinPriority = -900
	MaxPriority = 900
	// MaxPayloadBytes bounds Payload, which is meant to be small JSON.
	MaxPayloadBytes = 65535
	// Column widths of queue, task id, kind and unique key.
	maxQueueLen  = 64
	maxTaskIDLen = 64
	maxKindLen   = 32
	maxUniqueLen = 255
	maxErrorLen  = 4000
)

// Errors returned by backends.
var (
	// ErrDuplicate is returned by Enqueue (with the id of the existing
	// entry) when an entry with the same UniqueKey is pending or running.
	ErrDuplicate = errors.New("queue: an entry with this unique key is already pending or running")
	// ErrLeaseLost is returned by Extend, Ack, Snooze, Retry and Fail when
	// the entry is no longer leased to this claim: its lease expired and
	// another worker claimed it, or it was released, acked or dead-lettered.
	ErrLeaseLost = errors.New("queue: lease lost")
	// ErrNotFound is returned by Requeue for an id that is not dead.
	ErrNotFound = errors.New("queue: entry not found")
)

// Entry is one unit of queued work.
type Entry struct {
	ID     string
	Queue  string
	TaskID string
	// Kind says what to do with the task: "run", "poll", ... (free-form).
	Kind string
	// Payload is small JSON for the handler.
	Payload  []byte
	Priority int
	RunAt    time.Time
	// Attempts counts failed attempts before this delivery (see the package
	// documentation).
	Attempts    int
	MaxAttempts int
	// UniqueKey is empty once the entry is dead.
	UniqueKey  string
	LeaseOwner string
	LeaseUntil time.Time
	LastError  string
	CreatedAt  time.Time

	// token identifies the claim that returned this entry; every call that
	// changes a running entry checks it.
	token string
}

// EnqueueParams describes an entry to enqueue.
type EnqueueParams struct {
	Queue   string
	TaskID  string
	Kind    string
	Payload []byte
	// Priority: lower runs first. Clamped to [MinPriority, MaxPriority].
	Priority int
	// Delay makes the entry due Delay from now; RunAt, when set, wins.
	Delay time.Duration
	RunAt time.Time
	// UniqueKey, when set, makes Enqueue a no-op returning ErrDuplicate
	// while another entry with the key is pending or running.
	UniqueKey string
	// MaxAttempts defaults to DefaultMaxAttempts.
	MaxAttempts int
}

// QueueStats describes one queue.
type QueueStats struct {
	// Ready entries are due and waiting for a worker.
	Ready int64
	// Delayed entries are waiting for their RunAt.
	Delayed int64
	// Running entries are leased to a worker (possibly one whose lease has
	// expired and that no worker has claimed again yet).
	Running int64
	Dead    int64
	// OldestReadyAge is how long the oldest ready entry has been due.
	OldestReadyAge time.Duration
}

// Backend is a queue store. Every method is safe for concurrent use by many
// goroutines and processes.
type Backend interface {
	// Enqueue adds an entry and returns its id. With a UniqueKey that is
	// pending or running it adds nothing and returns the existing entry's id
	// and ErrDuplicate.
	Enqueue(ctx context.Context, p EnqueueParams) (string, error)
	// EnqueueTx enqueues as part of the caller's transaction, so the entry
	// exists if and only if the caller's job rows commit. The database
	// backend inserts the entry itself; the redis backend writes a
	// queue_outbox row that its Relay moves to Redis after the commit.
	EnqueueTx(ctx context.Context, tx *sql.Tx, p EnqueueParams) (string, error)
	// Claim leases up to max due entries of the queues to owner for lease,
	// lowest priority first, and returns them; none due is not an error. It
	// does not block. Entries whose lease expired are claimable again, with
	// one more attempt counted (or dead-lettered at MaxAttempts).
	Claim(ctx context.Context, queues []string, owner string, lease time.Duration, max int) ([]*Entry, error)
	// Extend renews the lease of a claimed entry to lease from now and
	// updates e.LeaseUntil; ErrLeaseLost if the claim is no longer current.
	Extend(ctx context.Context, e *Entry, lease time.Duration) error
	// Ack removes a claimed entry: its work is done.
	Ack(ctx context.Context, e *Entry) error
	// Snooze releases a claimed entry to run again after delay without
	// counting an attempt: a poll whose provider job is not done yet, or a
	// release on drain (delay 0). If Wake was called for the task while the
	// entry ran, the delay is skipped.
	Snooze(ctx context.Context, e *Entry, delay time.Duration) error
	// Retry releases a claimed entry that failed to run again after delay,
	// counting an attempt and recording errMsg; when attempts reach
	// MaxAttempts the entry goes to the dead letter instead.
	Retry(ctx context.Context, e *Entry, delay time.Duration, errMsg string) error
	// Fail moves a claimed entry to the dead letter, recording errMsg.
	Fail(ctx context.Context, e *Entry, errMsg string) error
	// Dead lists dead entries of a queue ("" for all), most recent first.
	Dead(ctx context.Context, queue string, limit int) ([]*Entry, error)
	// Requeue makes a dead entry ready again with its attempts reset;
	// ErrNotFound if no dead entry has the id.
	Requeue(ctx context.Context, id string) error
	// Stats describes each queue that has entries.
	Stats(ctx context.Context) (map[string]QueueStats, error)
	// Wake makes a task's delayed entries due now, so a webhook can end a
	// poll's wait early. An entry of the task that is running when Wake is
	// called skips the delay of its next Snooze.
	Wake(ctx context.Context, taskID string) error
}

// Notifier is implemented by backends that can tell a Pool that entries may
// have become claimable, so that it claims at once instead of on its next
// poll. Both backends notify on their own Enqueue, Wake, Requeue and
// releases; the redis backend also hears other processes through Redis
// pub/sub.
type Notifier interface {
	// Subscribe returns a channel that receives (coalesced) signals for the
	// queues, and a function that ends the subscription.
	Subscribe(queues []string) (<-chan struct{}, func())
	// Notify signals the subscribers of queue. Call it after committing a
	// transaction that used EnqueueTx.
	Notify(queue string)
}

// entry states.
const (
	stateReady   = "ready"
	stateRunning = "running"
	stateDead    = "dead"
)

// lastErrorLeaseExpired is the LastError of an entry claimed again after its
// lease expired.
const lastErrorLeaseExpired = "lease expired"

// enqueueSpec is EnqueueParams checked and completed.
type enqueueSpec struct {
	EnqueueParams
	// immediate is true when neither Delay nor RunAt was given.
	immediate bool
}

func normalize(p EnqueueParams) (enqueueSpec, error) {
	switch {
	case p.Queue == "":
		return enqueueSpec{}, errors.New("queue: enqueue: Queue is required")
	case len(p.Queue) > maxQueueLen:
		return enqueueSpec{}, fmt.Errorf("queue: enqueue: queue name longer than %d bytes", maxQueueLen)
	case len(p.TaskID) > maxTaskIDLen:
		return enqueueSpec{}, fmt.Errorf("queue: enqueue: TaskID longer than %d bytes", maxTaskIDLen)
	case len(p.Kind) > maxKindLen:
		return enqueueSpec{}, fmt.Errorf("queue: enqueue: Kind longer than %d bytes", maxKindLen)
	case len(p.UniqueKey) > maxUniqueLen:
		return enqueueSpec{}, fmt.Errorf("queue: enqueue: UniqueKey longer than %d bytes", maxUniqueLen)
	case len(p.Payload) > MaxPayloadBytes:
		return enqueueSpec{}, fmt.Errorf("queue: enqueue: payload of %d bytes exceeds %d",
			len(p.Payload), MaxPayloadBytes)
	case !utf8.Valid(p.Payload):
		return enqueueSpec{}, errors.New("queue: enqueue: payload is not UTF-8 text")
	}
	for _, s := range []string{p.Queue, p.TaskID, p.Kind, p.UniqueKey} {
		if !utf8.ValidString(s) {
			return enqueueSpec{}, errors.New("queue: enqueue: names must be UTF-8 text")
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	p.Priority = min(max(p.Priority, MinPriority), MaxPriority)
	if p.Delay < 0 {
		p.Delay = 0
	}
	return enqueueSpec{EnqueueParams: p, immediate: p.RunAt.IsZero() && p.Delay == 0}, nil
}

// runAt returns when the entry becomes due, given the current time.
func (s enqueueSpec) runAt(now time.Time) time.Time {
	if !s.RunAt.IsZero() {
		return s.RunAt.UTC()
	}
	return now.Add(s.Delay)
}

// distinct returns queues without repeats (a queue named twice in a claim
// must not yield its entries twice).
func distinct(queues []string) []string {
	out := make([]string, 0, len(queues))
	for _, q := range queues {
		if q != "" && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// newID returns a time-ordered entry id (UUIDv7), so that id order is
// enqueue order among entries of the same priority and run time.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// newToken returns a random claim token.
func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func truncateError(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	s = s[:maxErrorLen]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// signal fans a "queue has work" notification out to local subscribers.
type signal struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan struct{}
	queues map[string]bool
}

func (s *signal) Subscribe(queues []string) (<-chan struct{}, func()) {
	sub := &subscriber{ch: make(chan struct{}, 1), queues: map[string]bool{}}
	for _, q := range queues {
		sub.queues[q] = true
	}
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[*subscriber]struct{}{}
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub.ch, func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
	}
}

func (s *signal) Notify(queue string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		if sub.queues[queue] {
			poke(sub.ch)
		}
	}
}

// poke sends on a 1-buffered channel without blocking.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
