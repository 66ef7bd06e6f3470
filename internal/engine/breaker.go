package engine

import (
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// Circuit states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// breaker is a circuit breaker per provider account: after Threshold
// failures in a row that say the provider itself is unwell (provider_error,
// timeout, auth_failed, quota_exhausted), calls stop for Cooldown; then one
// trial call decides whether it closes again. Rate limits and bad requests
// do not count: they are about the request, not the provider's health.
//
// Limitation: the state lives in each process, so every worker learns of an
// outage on its own; sharing it through Redis would make them agree sooner.
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	circuits  map[string]*circuit
}

type circuit struct {
	failures   int
	openedAt   time.Time
	trial      bool
	LastResult string
	LastAt     time.Time
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, circuits: map[string]*circuit{}}
}

func (b *breaker) get(key string) *circuit {
	c := b.circuits[key]
	if c == nil {
		c = &circuit{}
		b.circuits[key] = c
	}
	return c
}

// allow reports whether a call may go to key now.
func (b *breaker) allow(key string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(key)
	if c.openedAt.IsZero() {
		return true
	}
	if now.Sub(c.openedAt) < b.cooldown || c.trial {
		return false
	}
	c.trial = true // half open: one call decides
	return true
}

// record notes the outcome of a call to key.
func (b *breaker) record(key string, err *provider.Error, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(key)
	c.LastAt = now
	if err == nil {
		c.failures, c.openedAt, c.trial, c.LastResult = 0, time.Time{}, false, "ok"
		return
	}
	c.LastResult = string(err.Code)
	switch err.Code {
	case provider.CodeProviderError, provider.CodeTimeout, provider.CodeAuthFailed,
		provider.CodeQuotaExhausted:
	default:
		return
	}
	c.failures++
	if c.trial || c.failures >= b.threshold {
		c.openedAt, c.trial = now, false
	}
}

// accepted notes that the provider took a job. That alone does not reset
// the failure count (a vendor can accept every job and fail it later), but
// it ends a half-open trial, so the circuit closes.
func (b *breaker) accepted(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(key)
	c.LastAt, c.LastResult = now, "ok"
	if c.trial {
		c.failures, c.openedAt, c.trial = 0, time.Time{}, false
	}
}

// state returns a circuit's state and its last call's result.
func (b *breaker) state(key string, now time.Time) (state, last string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(key)
	switch {
	case c.openedAt.IsZero():
		state = CircuitClosed
	case now.Sub(c.openedAt) < b.cooldown:
		state = CircuitOpen
	default:
		state = CircuitHalfOpen
	}
	return state, c.LastResult, c.LastAt
}
