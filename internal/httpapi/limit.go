package httpapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a set of token buckets by key, for login attempts per IP and
// per account. Idle buckets are dropped so the map does not grow without
// bound under a spray of addresses.
//
// Limitation: buckets live in this process. With several api processes an
// attacker gets each process's allowance; the Redis-backed limiter of the
// engine lifts this when REDIS_HOST is configured.
type limiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	buckets map[string]*bucket
	sweep   time.Time
	window  time.Duration
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perWindow int, window time.Duration) *limiter {
	return &limiter{
		rate:    rate.Limit(float64(perWindow) / window.Seconds()),
		burst:   perWindow,
		buckets: make(map[string]*bucket),
		window:  window,
	}
}

// take spends a token of key's bucket; when none is left it returns how
// many seconds until one is.
func (l *limiter) take(key string, now time.Time) (ok bool, retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.window {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.window {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, int(math.Ceil(d.Seconds()))
	}
	return true, 0
}

// throttle lets an action through at most once per interval per key.
type throttle struct {
	mu       sync.Mutex
	interval time.Duration
	last     map[string]time.Time
}

func newThrottle(interval time.Duration) *throttle {
	return &throttle{interval: interval, last: make(map[string]time.Time)}
}

func (t *throttle) allow(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.last[key]) < t.interval {
		return false
	}
	t.last[key] = now
	return true
}
