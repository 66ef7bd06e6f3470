package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemorySemaphore is the in-process Semaphore for the embedded single-process
// mode. Leases are kept per key as holder -> expiry; expired leases are
// dropped when the key is next acquired, and keys left with no lease are
// deleted during sweeps (at most once a minute, on the calls that follow), so
// memory stays proportional to the slots in use. It never starts a goroutine.
type MemorySemaphore struct {
	mu         sync.Mutex
	slots      map[string]map[string]time.Time // key -> holder -> expiry
	lastSweep  time.Time
	sweepEvery time.Duration
}

// NewMemorySemaphore returns an empty in-process Semaphore.
func NewMemorySemaphore() *MemorySemaphore {
	return &MemorySemaphore{
		slots:      make(map[string]map[string]time.Time),
		lastSweep:  time.Now(),
		sweepEvery: defaultSweepEvery,
	}
}

// Acquire takes a slot of key for holder; see Semaphore.
func (s *MemorySemaphore) Acquire(ctx context.Context, key string, max int, holder string,
	ttl time.Duration) (bool, error) {
	return s.AcquireAll(ctx, []SlotRequest{{Key: key, Max: max}}, holder, ttl)
}

// AcquireAll takes a slot of every key or none, under one lock; see the
// package function AcquireAll.
func (s *MemorySemaphore) AcquireAll(ctx context.Context, reqs []SlotRequest, holder string,
	ttl time.Duration) (bool, error) {
	if err := checkSlots(reqs, holder, ttl); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.maybeSweep(now)
	for _, r := range reqs {
		held := s.prune(r.Key, now)
		if _, ok := held[holder]; ok {
			continue
		}
		if r.Max > 0 && len(held) >= r.Max {
			return false, nil
		}
	}
	exp := now.Add(ttl)
	for _, r := range reqs {
		held := s.slots[r.Key]
		if held == nil {
			held = make(map[string]time.Time)
			s.slots[r.Key] = held
		}
		held[holder] = exp
	}
	return true, nil
}

// Renew extends holder's lease; see Semaphore.
func (s *MemorySemaphore) Renew(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := checkSlot(key, holder); err != nil {
		return err
	}
	if err := checkTTL(key, ttl); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	held := s.slots[key]
	if _, ok := held[holder]; !ok {
		return fmt.Errorf("ratelimit: renewing %q for %q: %w", key, holder, ErrNotHeld)
	}
	held[holder] = time.Now().Add(ttl)
	return nil
}

// Release gives holder's slot back; see Semaphore.
func (s *MemorySemaphore) Release(ctx context.Context, key, holder string) error {
	if err := checkSlot(key, holder); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if held, ok := s.slots[key]; ok {
		delete(held, holder)
		if len(held) == 0 {
			delete(s.slots, key)
		}
	}
	return nil
}

// InUse counts key's live leases; see Semaphore.
func (s *MemorySemaphore) InUse(ctx context.Context, key string) (int, error) {
	if key == "" {
		return 0, fmt.Errorf("ratelimit: counting slots: empty key: %w", ErrInvalidRequest)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := 0
	for _, exp := range s.slots[key] {
		if exp.After(now) {
			n++
		}
	}
	return n, nil
}

// Len returns how many keys hold leases (live or not yet dropped), for
// metrics and for checking that idle keys are evicted.
func (s *MemorySemaphore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.slots)
}

// prune drops key's expired leases and returns what is left, possibly nil.
// The caller holds mu.
func (s *MemorySemaphore) prune(key string, now time.Time) map[string]time.Time {
	held := s.slots[key]
	for h, exp := range held {
		if !exp.After(now) {
			delete(held, h)
		}
	}
	if held != nil && len(held) == 0 {
		delete(s.slots, key)
		return nil
	}
	return held
}

// maybeSweep prunes every key if the last sweep is older than sweepEvery.
// The caller holds mu.
func (s *MemorySemaphore) maybeSweep(now time.Time) {
	if now.Sub(s.lastSweep) < s.sweepEvery {
		return
	}
	s.lastSweep = now
	for k := range s.slots {
		s.prune(k, now)
	}
}
