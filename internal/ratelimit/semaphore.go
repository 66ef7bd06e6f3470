package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Semaphore caps how many holders may work under a key at once, for example
// how many generations run against one provider account. A slot is a lease:
// it lapses after its ttl unless renewed, so the slot of a worker that
// crashed comes back by itself. Holders are opaque strings that must be
// unique per piece of work (a task id, or a worker id plus a task id).
type Semaphore interface {
	// Acquire takes one slot of key, whose capacity is max, for holder until
	// ttl from now. It returns false, without waiting, when all max slots are
	// held by live leases. Acquiring again as a holder that already has the
	// slot renews it instead of taking a second one. max <= 0 means no cap;
	// the holder is still recorded so that InUse counts it.
	Acquire(ctx context.Context, key string, max int, holder string,
		ttl time.Duration) (bool, error)
	// Renew extends holder's lease on key to ttl from now. It fails with
	// ErrNotHeld when the holder has no slot: released, or expired and then
	// reclaimed by a later Acquire. A lease that expired but was not yet
	// reclaimed is revived.
	Renew(ctx context.Context, key, holder string, ttl time.Duration) error
	// Release gives holder's slot of key back. Releasing a slot not held is
	// not an error, so it is safe in a defer after a lost lease.
	Release(ctx context.Context, key, holder string) error
	// InUse returns how many live leases key has, for metrics and the
	// providers endpoint.
	InUse(ctx context.Context, key string) (int, error)
}

// BatchSemaphore is a Semaphore that can take slots of several keys as one
// step, which AcquireAll needs to be all-or-nothing without a window where a
// partial set is held. Both backends of this package implement it.
type BatchSemaphore interface {
	Semaphore
	// AcquireAll takes one slot of every request's key for holder, or none.
	// See the package function AcquireAll.
	AcquireAll(ctx context.Context, reqs []SlotRequest, holder string,
		ttl time.Duration) (bool, error)
}

// SlotRequest names one cap for AcquireAll: a slot of Key, whose capacity is
// Max (<= 0 means no cap).
type SlotRequest struct {
	// Key names the cap, for example "provider:runway" or "org:42".
	Key string
	// Max is the number of slots of Key; all callers should agree on it.
	Max int
}

// AcquireAll takes one slot of every key in reqs for holder with the same
// ttl, or takes none and returns false: the engine holds a provider slot and
// an organization slot together or not at all, so a task never sits on one
// cap while waiting for the other. Keys the holder already holds count as
// available and are renewed.
//
// With a BatchSemaphore (both backends here) this is one atomic step. Any
// other Semaphore is acquired key by key, and on a refusal the slots taken
// by this call are released again.
func AcquireAll(ctx context.Context, s Semaphore, reqs []SlotRequest, holder string,
	ttl time.Duration) (bool, error) {
	if b, ok := s.(BatchSemaphore); ok {
		return b.AcquireAll(ctx, reqs, holder, ttl)
	}
	if err := checkSlots(reqs, holder, ttl); err != nil {
		return false, err
	}
	for i, r := range reqs {
		ok, err := s.Acquire(ctx, r.Key, r.Max, holder, ttl)
		if err == nil && ok {
			continue
		}
		// Give back what this call took; a failure to do so only costs a
		// slot until its lease lapses.
		var errs []error
		for _, taken := range reqs[:i] {
			errs = append(errs, s.Release(context.WithoutCancel(ctx), taken.Key, holder))
		}
		if err != nil {
			errs = append([]error{err}, errs...)
			return false, fmt.Errorf("ratelimit: acquiring %q: %w", r.Key, errors.Join(errs...))
		}
		if err := errors.Join(errs...); err != nil {
			return false, fmt.Errorf("ratelimit: undoing partial acquire: %w", err)
		}
		return false, nil
	}
	return true, nil
}

// checkSlot validates the arguments shared by every semaphore call.
func checkSlot(key, holder string) error {
	switch {
	case key == "":
		return fmt.Errorf("ratelimit: checking slot: empty key: %w", ErrInvalidRequest)
	case holder == "":
		return fmt.Errorf("ratelimit: checking slot %q: empty holder: %w", key, ErrInvalidRequest)
	}
	return nil
}

// checkTTL rejects leases shorter than the millisecond Redis stores them in.
func checkTTL(key string, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("ratelimit: checking slot %q: ttl %s under 1ms: %w",
			key, ttl, ErrInvalidRequest)
	}
	return nil
}

// checkSlots validates an AcquireAll call.
func checkSlots(reqs []SlotRequest, holder string, ttl time.Duration) error {
	for _, r := range reqs {
		if err := checkSlot(r.Key, holder); err != nil {
			return err
		}
		if err := checkTTL(r.Key, ttl); err != nil {
			return err
		}
	}
	return nil
}
