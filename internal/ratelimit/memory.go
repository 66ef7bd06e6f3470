package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// defaultSweepEvery is how often, at most, Memory scans its map for keys whose
// bucket has refilled (one minute).
const defaultSweepEvery = time.Minute

// Memory is the in-process Limiter for the embedded single-process mode. It
// runs GCRA (the generic cell rate algorithm): each key stores only the time
// at which its bucket will be full again, so a key costs a map entry and a
// float. A key whose bucket has refilled is indistinguishable from an absent
// one, so Memory deletes such keys during its sweeps (at most once a minute,
// on the calls that follow); memory stays proportional to the keys used within
// their own refill time. Memory never starts a goroutine.
//
// One mutex guards every bucket, which is what makes AllowAll atomic; a call
// costs well under a microsecond, so the lock is not a bottleneck for video
// generation traffic.
type Memory struct {
	mu         sync.Mutex
	base       time.Time          // origin of the monotonic clock below
	tat        map[string]float64 // key -> theoretical arrival time, ns since base
	lastSweep  float64
	sweepEvery time.Duration
}

// NewMemory returns an empty in-process Limiter.
func NewMemory() *Memory {
	return &Memory{
		base:       time.Now(),
		tat:        make(map[string]float64),
		sweepEvery: defaultSweepEvery,
	}
}

// Allow spends n tokens from key's bucket; see Limiter.
func (m *Memory) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	return m.AllowAll(ctx, []Request{{Key: key, Limit: limit, N: n}})
}

// AllowAll spends from every bucket or none, under one lock; see the package
// function AllowAll.
func (m *Memory) AllowAll(ctx context.Context, reqs []Request) (Result, error) {
	limited, err := checkAll(reqs)
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if len(limited) == 0 {
		return unlimitedResult(), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := float64(time.Since(m.base))
	m.maybeSweep(now)

	// pending holds the arrival times to store; a key named twice is charged
	// twice, its second request seeing the first one's spend.
	acc := unlimitedResult()
	pending := make(map[string]float64, len(limited))
	for _, r := range limited {
		tat, ok := pending[r.Key]
		if !ok {
			tat = m.tat[r.Key]
		}
		var res Result
		res, pending[r.Key] = gcra(now, tat, r.Limit, r.N)
		acc = merge(acc, res)
	}
	if !acc.Allowed {
		return acc, nil
	}
	for k, tat := range pending {
		if tat > now {
			m.tat[k] = tat
		}
	}
	return acc, nil
}

// Len returns how many keys hold state, for metrics and for checking that
// idle keys are evicted.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

// maybeSweep deletes the keys whose bucket is full at now, if the last sweep
// is older than sweepEvery. The caller holds mu.
func (m *Memory) maybeSweep(now float64) {
	if now-m.lastSweep < float64(m.sweepEvery) {
		return
	}
	m.lastSweep = now
	for k, tat := range m.tat {
		if tat <= now {
			delete(m.tat, k)
		}
	}
}

// epsilon absorbs float rounding when counting whole tokens, so that 2.9999999
// tokens count as 3.
const epsilon = 1e-6

// gcra evaluates one bucket at now (all times in the same unit, here ns) whose
// stored theoretical arrival time is tat (zero or past means full). It returns
// the outcome of spending n tokens and the arrival time to store if the spend
// goes ahead. The Redis script computes the same in Lua.
func gcra(now, tat float64, l Limit, n int) (Result, float64) {
	t := l.interval()
	tolerance := t * float64(l.burst())
	tat = max(tat, now)
	newTAT := tat + t*float64(n)
	allowAt := newTAT - tolerance
	if allowAt > now {
		// Refused: report the tokens there are now and the wait for n.
		avail := math.Floor((tolerance-(tat-now))/t + epsilon)
		return Result{
			Remaining:  int(max(avail, 0)),
			RetryAfter: time.Duration(math.Ceil(allowAt - now)),
			ResetAfter: time.Duration(math.Ceil(tat - now)),
		}, tat
	}
	left := math.Floor((tolerance-(newTAT-now))/t + epsilon)
	return Result{
		Allowed:    true,
		Remaining:  int(max(left, 0)),
		ResetAfter: time.Duration(math.Ceil(newTAT - now)),
	}, newTAT
}
