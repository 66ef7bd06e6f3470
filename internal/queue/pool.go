package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// Handler runs one claimed entry. Its result settles the entry:
//
//   - nil: Ack, the work is done.
//   - an error wrapping Snooze(d): Snooze, run again after d without counting
//     an attempt (a poll whose provider job is not finished).
//   - an error wrapping RetryAfter(d, err): Retry after d, counting an
//     attempt (dead at MaxAttempts).
//   - an error wrapping Permanent(err): Fail, straight to the dead letter.
//   - any other error (or a panic): Retry after PoolConfig.Backoff, or Fail
//     once the attempts reach MaxAttempts.
//
// ctx is cancelled when the lease is lost (context.Cause is ErrLeaseLost),
// when Stop's deadline passes, and when Start's context is cancelled.
type Handler func(ctx context.Context, e *Entry) error

// SnoozeError asks the Pool to snooze the entry; see Snooze.
type SnoozeError struct{ Delay time.Duration }

func (e *SnoozeError) Error() string { return fmt.Sprintf("queue: snooze %s", e.Delay) }

// Snooze returns an error that makes the Pool snooze the entry for d: the
// entry runs again after d and no attempt is counted.
func Snooze(d time.Duration) error { return &SnoozeError{Delay: d} }

// RetryError asks the Pool to retry the entry after Delay; see RetryAfter.
type RetryError struct {
	Delay time.Duration
	Err   error
}

func (e *RetryError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("queue: retry after %s", e.Delay)
	}
	return e.Err.Error()
}

func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns an error that makes the Pool retry the entry after d
// (for a provider's Retry-After), counting a failed attempt.
func RetryAfter(d time.Duration, err error) error { return &RetryError{Delay: d, Err: err} }

// PermanentError asks the Pool to fail the entry at once; see Permanent.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "queue: permanent failure"
	}
	return e.Err.Error()
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent returns an error that sends the entry to the dead letter without
// further attempts (a request the provider rejects as invalid).
func Permanent(err error) error { return &PermanentError{Err: err} }

// DefaultBackoff is the delay before retry number attempt (1-based) of a
// failed entry: 1s doubling up to an hour, each drawn at random from the
// upper half of its range so that entries failing together spread out.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Hour
	if attempt < 13 {
		d = min(time.Second<<max(attempt-1, 0), time.Hour)
	}
	return d/2 + rand.N(d/2+1)
}

// PoolConfig configures NewPool.
type PoolConfig struct {
	Backend Backend
	// Queues to claim from.
	Queues []string
	// Concurrency is how many handlers run at once. Defaults to 1.
	Concurrency int
	// Lease of a claimed entry, renewed every Lease/3 while its handler
	// runs. Defaults to 30s.
	Lease time.Duration
	// PollInterval is how often an idle pool claims. Defaults to 200ms; a
	// backend that implements Notifier wakes the pool at once.
	PollInterval time.Duration
	Handler      Handler
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Owner names this pool in leases. Defaults to hostname-pid-random.
	Owner string
	// Backoff is the delay before retry number attempt. Defaults to
	// DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// SettleTimeout bounds each Ack, Snooze, Retry or Fail. Defaults to 10s.
	SettleTimeout time.Duration
}

// Pool claims entries from a Backend and runs a Handler on each.
type Pool struct {
	cfg PoolConfig
	log *slog.Logger

	mu       sync.Mutex
	started  bool
	stopping bool
	inflight map[*inflight]struct{}

	sem      chan struct{} // one token per running handler
	freed    chan struct{} // a handler finished
	stopCh   chan struct{} // closed by Stop: claim no more
	loopDone chan struct{}
	handlers sync.WaitGroup
}

// inflight is one entry whose handler is running. state moves from running
// to either settling (the handler returned; the pool settles it) or released
// (Stop's deadline passed and Stop gave the entry back), never both.
type inflight struct {
	e      *Entry
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	state  int
}

const (
	inflightRunning = iota
	inflightSettling
	inflightReleased
)

func (f *inflight) move(to int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != inflightRunning {
		return false
	}
	f.state = to
	return true
}

// errDrained is the cause of a handler context cancelled by Stop.
var errDrained = errors.New("queue: pool stopped, entry released")

// NewPool checks the configuration and returns a pool ready to Start.
func NewPool(cfg PoolConfig) (*Pool, error) {
	switch {
	case cfg.Backend == nil:
		return nil, errors.New("queue: pool needs a Backend")
	case cfg.Handler == nil:
		return nil, errors.New("queue: pool needs a Handler")
	case len(cfg.Queues) == 0:
		return nil, errors.New("queue: pool needs Queues")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newToken()[:6])
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 10 * time.Second
	}
	return &Pool{
		cfg:      cfg,
		log:      cfg.Logger.With("owner", cfg.Owner),
		inflight: map[*inflight]struct{}{},
		sem:      make(chan struct{}, cfg.Concurrency),
		freed:    make(chan struct{}, 1),
		stopCh:   make(chan struct{}),
		loopDone: make(chan struct{}),
	}, nil
}

// Owner returns the name the pool leases entries under.
func (p *Pool) Owner() string { return p.cfg.Owner }

// Start begins claiming and running entries in the background. Cancelling
// ctx stops the pool hard: handlers' contexts are cancelled and their entries
// released; use Stop to drain.
func (p *Pool) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("queue: pool already started")
	}
	p.started = true
	go p.loop(ctx)
	return nil
}

// Stop drains the pool: it claims no more entries and waits for running
// handlers until ctx is done. Handlers still running then have their context
// cancelled and their entries released at once (no attempt counted), so that
// another worker takes them without waiting for the lease to expire; Stop
// then returns an error wrapping ctx.Err() without waiting for them.
func (p *Pool) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return nil
	}
	if !p.stopping {
		p.stopping = true
		close(p.stopCh)
	}
	p.mu.Unlock()

	select {
	case <-p.loopDone:
	case <-ctx.Done():
	}
	done := make(chan struct{})
	go func() {
		<-p.loopDone
		p.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}

	p.mu.Lock()
	var release []*inflight
	for f := range p.inflight {
		if f.move(inflightReleased) {
			release = append(release, f)
			delete(p.inflight, f)
		}
	}
	p.mu.Unlock()
	for _, f := range release {
		f.cancel(errDrained)
		if err := p.settleCall(func(ctx context.Context) error {
			return p.cfg.Backend.Snooze(ctx, f.e, 0)
		}); err != nil {
			p.log.Warn("queue: releasing entry on stop", "id", f.e.ID, "queue", f.e.Queue, "error", err)
		}
	}
	return fmt.Errorf("queue: stop: released %d running entries: %w", len(release), ctx.Err())
}

func (p *Pool) stopped(ctx context.Context) bool {
	select {
	case <-p.stopCh:
		return true
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

func (p *Pool) loop(ctx context.Context) {
	defer close(p.loopDone)
	var wake <-chan struct{}
	if n, ok := p.cfg.Backend.(Notifier); ok {
		ch, cancel := n.Subscribe(p.cfg.Queues)
		defer cancel()
		wake = ch
	}
	errWait := p.cfg.PollInterval
	for !p.stopped(ctx) {
		free := cap(p.sem) - len(p.sem)
		if free == 0 {
			select {
			case <-p.freed:
			case <-p.stopCh:
			case <-ctx.Done():
			}
			continue
		}
		claimedAt := time.Now()
		entries, err := p.cfg.Backend.Claim(ctx, p.cfg.Queues, p.cfg.Owner, p.cfg.Lease, free)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Error("queue: claiming", "queues", p.cfg.Queues, "error", err)
			}
			p.sleep(ctx, errWait, nil)
			errWait = min(errWait*2, 5*time.Second)
			continue
		}
		errWait = p.cfg.PollInterval
		if p.stopped(ctx) {
			// Claimed while Stop began: give the entries straight back.
			for _, e := range entries {
				if err := p.settleCall(func(c context.Context) error {
					return p.cfg.Backend.Snooze(c, e, 0)
				}); err != nil {
					p.log.Warn("queue: releasing entry", "id", e.ID, "error", err)
				}
			}
			return
		}
		for _, e := range entries {
			p.sem <- struct{}{}
			p.handlers.Add(1)
			go p.run(ctx, e, claimedAt)
		}
		if len(entries) < free {
			p.sleep(ctx, p.cfg.PollInterval, wake)
		}
	}
}

// sleep waits for d, a wakeup, Stop or ctx.
func (p *Pool) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-p.stopCh:
	case <-ctx.Done():
	}
}

func (p *Pool) run(base context.Context, e *Entry, claimedAt time.Time) {
	defer func() {
		<-p.sem
		poke(p.freed)
		p.handlers.Done()
	}()
	hctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	f := &inflight{e: e, cancel: cancel}
	p.mu.Lock()
	p.inflight[f] = struct{}{}
	p.mu.Unlock()

	renewStop := make(chan struct{})
	renewDone := make(chan struct{})
	go p.renew(hctx, f, claimedAt, renewStop, renewDone)

	err := p.call(hctx, e)

	close(renewStop)
	<-renewDone
	cause := context.Cause(hctx)
	if !f.move(inflightSettling) {
		return // Stop released it
	}
	p.mu.Lock()
	delete(p.inflight, f)
	p.mu.Unlock()
	p.settle(e, err, cause)
}

// call runs the handler, turning a panic into an error.
func (p *Pool) call(ctx context.Context, e *Entry) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("queue: handler panic: %v", r)
			p.log.Error("queue: handler panicked", "id", e.ID, "queue", e.Queue,
				"panic", r, "stack", string(debug.Stack()))
		}
	}()
	return p.cfg.Handler(ctx, e)
}

// renew extends the lease every Lease/3 until stop closes. The lease counts
// as lost, and the handler's context is cancelled, when the backend says so
// or when renewals have failed until the lease ran out by this process's
// clock.
func (p *Pool) renew(ctx context.Context, f *inflight, claimedAt time.Time, stop, done chan struct{}) {
	defer close(done)
	lease := p.cfg.Lease
	mine := *f.e // a copy: Extend updates LeaseUntil while the handler reads e
	deadline := claimedAt.Add(lease)
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lease/3)
		err := p.cfg.Backend.Extend(ectx, &mine, lease)
		cancel()
		switch {
		case err == nil:
			deadline = start.Add(lease)
		case errors.Is(err, ErrLeaseLost):
			p.log.Warn("queue: lease lost", "id", f.e.ID, "queue", f.e.Queue)
			f.cancel(ErrLeaseLost)
			return
		default:
			p.log.Warn("queue: renewing lease", "id", f.e.ID, "queue", f.e.Queue, "error", err)
			if time.Now().After(deadline) {
				p.log.Warn("queue: lease ran out while renewals failed", "id", f.e.ID)
				f.cancel(ErrLeaseLost)
				return
			}
		}
	}
}

func (p *Pool) settleCall(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.SettleTimeout)
	defer cancel()
	return fn(ctx)
}

// settle applies the handler's result to the entry.
func (p *Pool) settle(e *Entry, herr error, cause error) {
	b := p.cfg.Backend
	var (
		op  string
		err error
		log = p.log.With("id", e.ID, "queue", e.Queue, "task_id", e.TaskID, "kind", e.Kind)
		se  *SnoozeError
		re  *RetryError
		pe  *PermanentError
	)
	switch {
	case herr == nil:
		op = "ack"
		err = p.settleCall(func(c context.Context) error { return b.Ack(c, e) })
	case cause != nil && !errors.As(herr, &se):
		// The handler stopped because its lease was lost or the pool is
		// shutting down: not the entry's fault, so no attempt is counted.
		// If another worker holds the entry the release is refused.
		op = "release"
		err = p.settleCall(func(c context.Context) error { return b.Snooze(c, e, 0) })
	case errors.As(herr, &se):
		op = "snooze"
		err = p.settleCall(func(c context.Context) error { return b.Snooze(c, e, se.Delay) })
	case errors.As(herr, &pe):
		op = "fail"
		log.Warn("queue: entry failed permanently", "error", herr)
		err = p.settleCall(func(c context.Context) error { return b.Fail(c, e, herr.Error()) })
	case e.Attempts+1 >= e.MaxAttempts:
		op = "fail"
		log.Warn("queue: entry failed its last attempt", "attempts", e.Attempts+1, "error", herr)
		err = p.settleCall(func(c context.Context) error { return b.Fail(c, e, herr.Error()) })
	default:
		var delay time.Duration
		if errors.As(herr, &re) {
			delay = re.Delay
		} else {
			delay = p.cfg.Backoff(e.Attempts + 1)
		}
		op = "retry"
		log.Info("queue: entry failed, retrying", "attempt", e.Attempts+1, "delay", delay, "error", herr)
		err = p.settleCall(func(c context.Context) error { return b.Retry(c, e, delay, herr.Error()) })
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrLeaseLost):
		log.Warn("queue: entry settled after its lease was lost", "op", op)
	default:
		// The lease expires and another worker runs the entry again.
		log.Error("queue: settling entry", "op", op, "error", err)
	}
}
