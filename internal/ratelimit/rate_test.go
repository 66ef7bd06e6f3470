package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastInterval is the emission interval of fast().
const fastInterval = 50 * time.Millisecond

// fast is 10 tokens per 500ms, burst 10: one token back every 50ms.
func fast() Limit { return Limit{Rate: 10, Period: 500 * time.Millisecond, Burst: 10} }

// allow calls Allow and fails the test on error.
func allow(t *testing.T, l Limiter, key string, lim Limit, n int) Result {
	t.Helper()
	res, err := l.Allow(t.Context(), key, lim, n)
	if err != nil {
		t.Fatalf("Allow(%q, %s, %d): %v", key, lim, n, err)
	}
	return res
}

func TestAllowBurstThenRefuse(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		// 10 a second: a slow machine has 100ms to make the 11 calls.
		lim := PerSecond(10)
		const interval = 100 * time.Millisecond
		start := time.Now()
		for i := range 10 {
			res := allow(t, l, "provider:runway", lim, 1)
			if !res.Allowed {
				t.Fatalf("request %d of a burst of 10 refused: %+v", i+1, res)
			}
			if i == 0 && res.Remaining != 9 {
				t.Errorf("first request: Remaining = %d, want 9", res.Remaining)
			}
		}
		res := allow(t, l, "provider:runway", lim, 1)
		elapsed := time.Since(start)
		if res.Allowed {
			t.Fatalf("11th request within %s allowed: %+v", elapsed, res)
		}
		if res.Remaining != 0 {
			t.Errorf("refused: Remaining = %d, want 0", res.Remaining)
		}
		// The first token comes back one emission interval after the first
		// spend, so the wait is that interval less the time already gone.
		lo := interval - elapsed - time.Millisecond
		if res.RetryAfter <= 0 || res.RetryAfter < lo || res.RetryAfter > interval {
			t.Errorf("RetryAfter = %s, want in [%s, %s]", res.RetryAfter, lo, interval)
		}
		full := 10 * interval
		if res.ResetAfter < full-elapsed-time.Millisecond || res.ResetAfter > full {
			t.Errorf("ResetAfter = %s, want about %s", res.ResetAfter, full)
		}
	})
}

func TestAllowRefills(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		if res := allow(t, l, "k", fast(), 10); !res.Allowed {
			t.Fatalf("spending a full bucket refused: %+v", res)
		}
		if res := allow(t, l, "k", fast(), 1); res.Allowed {
			t.Fatalf("empty bucket allowed a request: %+v", res)
		}
		time.Sleep(2*fastInterval + 15*time.Millisecond)
		peek := allow(t, l, "k", fast(), 0)
		if peek.Remaining < 2 || peek.Remaining > 4 {
			t.Errorf("after 2 intervals: Remaining = %d, want 2 (up to 4 if slow)",
				peek.Remaining)
		}
		if res := allow(t, l, "k", fast(), 2); !res.Allowed {
			t.Fatalf("2 tokens after 2 intervals refused: %+v", res)
		}
		// Enough time for the whole bucket to refill.
		time.Sleep(10*fastInterval + 15*time.Millisecond)
		if res := allow(t, l, "k", fast(), 10); !res.Allowed {
			t.Fatalf("full burst after a full refill refused: %+v", res)
		}
	})
}

func TestAllowN(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		lim := PerMinute(60).WithBurst(10) // one token a second
		for _, want := range []int{6, 2} {
			res := allow(t, l, "org:1", lim, 4)
			if !res.Allowed || res.Remaining != want {
				t.Fatalf("Allow 4: %+v, want allowed with %d left", res, want)
			}
		}
		res := allow(t, l, "org:1", lim, 4)
		if res.Allowed || res.Remaining != 2 {
			t.Fatalf("Allow 4 with 2 left: %+v, want refused with 2 left", res)
		}
		// Two more tokens are needed, two seconds' worth.
		if res.RetryAfter <= time.Second || res.RetryAfter > 2*time.Second {
			t.Errorf("RetryAfter = %s, want just under 2s", res.RetryAfter)
		}
		// The refusal spent nothing: the 2 left can still be spent.
		if res := allow(t, l, "org:1", lim, 2); !res.Allowed || res.Remaining != 0 {
			t.Fatalf("Allow 2 with 2 left: %+v, want allowed with 0 left", res)
		}
		_, err := l.Allow(t.Context(), "org:1", lim, 11)
		if !errors.Is(err, ErrOverBurst) {
			t.Errorf("Allow 11 over burst 10: err = %v, want ErrOverBurst", err)
		}
	})
}

func TestAllowUnlimited(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		for i := range 200 {
			res := allow(t, l, "provider:sim", Limit{}, 5)
			if !res.Allowed || res.Remaining != -1 {
				t.Fatalf("request %d on an unlimited bucket: %+v", i+1, res)
			}
		}
	})
}

func TestAllowKeysIndependent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		lim := PerMinute(3)
		allow(t, l, "user:a", lim, 3)
		if res := allow(t, l, "user:a", lim, 1); res.Allowed {
			t.Fatalf("user:a over its limit allowed: %+v", res)
		}
		res := allow(t, l, "user:b", lim, 1)
		if !res.Allowed || res.Remaining != 2 {
			t.Fatalf("user:b after user:a emptied: %+v, want allowed with 2 left", res)
		}
	})
}

func TestAllowInvalid(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		cases := []struct {
			key  string
			lim  Limit
			n    int
			want error
		}{
			{"", PerMinute(1), 1, ErrInvalidRequest},
			{"k", PerMinute(1), -1, ErrInvalidRequest},
			{"k", Limit{Rate: -1, Period: time.Second}, 1, ErrInvalidLimit},
			{"k", Limit{Rate: 1}, 1, ErrInvalidLimit},
			{"k", Limit{Rate: 1, Period: time.Second, Burst: -2}, 1, ErrInvalidLimit},
		}
		for _, c := range cases {
			if _, err := l.Allow(t.Context(), c.key, c.lim, c.n); !errors.Is(err, c.want) {
				t.Errorf("Allow(%q, %+v, %d): err = %v, want %v", c.key, c.lim, c.n, err, c.want)
			}
		}
	})
}

func TestAllowAllRefusesWithoutSpending(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		provider, org := PerMinute(5), PerMinute(2)
		allow(t, l, "org:7", org, 2) // the organization is out of tokens
		reqs := []Request{
			{Key: "provider:veo", Limit: provider, N: 1},
			{Key: "org:7", Limit: org, N: 1},
			{Key: "user:3", Limit: Limit{}, N: 1},
		}
		res, err := AllowAll(t.Context(), l, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed || res.RetryAfter <= 0 || res.RetryAfter > 30*time.Second {
			t.Fatalf("AllowAll with an empty org bucket: %+v, want refused, wait <= 30s", res)
		}
		// The provider bucket still has all 5 tokens.
		if res := allow(t, l, "provider:veo", provider, 5); !res.Allowed {
			t.Fatalf("provider bucket was spent by a refused AllowAll: %+v", res)
		}
	})
}

func TestAllowAllSpendsEvery(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		reqs := []Request{
			{Key: "provider:kling", Limit: PerMinute(10), N: 2},
			{Key: "org:9", Limit: PerMinute(4), N: 1},
		}
		res, err := AllowAll(t.Context(), l, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Allowed || res.Remaining != 3 {
			t.Fatalf("AllowAll: %+v, want allowed with 3 left (the org's)", res)
		}
		if got := allow(t, l, "provider:kling", PerMinute(10), 0).Remaining; got != 8 {
			t.Errorf("provider remaining = %d, want 8", got)
		}
		// A key named twice is charged twice.
		dup := []Request{{Key: "org:9", Limit: PerMinute(4), N: 2},
			{Key: "org:9", Limit: PerMinute(4), N: 2}}
		if res, err := AllowAll(t.Context(), l, dup); err != nil || res.Allowed {
			t.Fatalf("AllowAll 2+2 on 3 tokens: %+v, %v, want refused", res, err)
		}
		res, err = AllowAll(t.Context(), l, nil)
		if err != nil || !res.Allowed {
			t.Errorf("AllowAll of nothing: %+v, %v, want allowed", res, err)
		}
	})
}

func TestAllowAllFallbackStopsAtRefusal(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		inner := b.limiter(t)
		l := plainLimiter{inner}
		allow(t, inner, "b", PerMinute(1), 1)
		reqs := []Request{
			{Key: "a", Limit: PerMinute(5), N: 1},
			{Key: "b", Limit: PerMinute(1), N: 1},
			{Key: "c", Limit: PerMinute(5), N: 1},
		}
		res, err := AllowAll(t.Context(), l, reqs)
		if err != nil || res.Allowed {
			t.Fatalf("fallback AllowAll: %+v, %v, want refused", res, err)
		}
		// Without batch support the bucket before the refusal stays spent and
		// the one after it is untouched, as documented.
		if got := allow(t, inner, "a", PerMinute(5), 0).Remaining; got != 4 {
			t.Errorf("a remaining = %d, want 4", got)
		}
		if got := allow(t, inner, "c", PerMinute(5), 0).Remaining; got != 5 {
			t.Errorf("c remaining = %d, want 5", got)
		}
	})
}

func TestAllowConcurrentExact(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		l := b.limiter(t)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				res, err := AllowAll(context.Background(), l, []Request{
					{Key: "provider:wan", Limit: PerMinute(10), N: 1},
					{Key: fmt.Sprintf("user:%d", i%4), Limit: PerMinute(100), N: 1},
				})
				if err != nil {
					t.Error(err)
				}
				if res.Allowed {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 10 {
			t.Fatalf("%d of 40 concurrent requests allowed on a burst of 10", ok.Load())
		}
	})
}

func TestMemoryEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	m.sweepEvery = 20 * time.Millisecond
	lim := Limit{Rate: 10, Period: 100 * time.Millisecond, Burst: 2} // full after 20ms
	for i := range 100 {
		allow(t, m, fmt.Sprintf("user:%d", i), lim, 1)
	}
	if m.Len() != 100 {
		t.Fatalf("Len = %d after 100 keys, want 100", m.Len())
	}
	time.Sleep(40 * time.Millisecond)
	allow(t, m, "user:new", lim, 1)
	if m.Len() != 1 {
		t.Fatalf("Len = %d after the refilled keys' sweep, want 1", m.Len())
	}
}

func TestRedisKeysExpire(t *testing.T) {
	t.Parallel()
	c := testRedisClient(t)
	prefix := testPrefix(t, c)
	l := NewRedis(c, prefix)
	res := allow(t, l, "org:5", PerMinute(60), 3) // full again in 3s
	ttl, err := c.PTTL(t.Context(), prefix+":rate:org:5").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > res.ResetAfter+time.Millisecond || ttl < 2*time.Second {
		t.Fatalf("key TTL = %s, want about ResetAfter %s", ttl, res.ResetAfter)
	}
	allow(t, l, "provider:none", Limit{}, 1)
	n, err := c.Exists(t.Context(), prefix+":rate:provider:none").Result()
	if err != nil || n != 0 {
		t.Fatalf("unlimited bucket created a key: exists=%d, %v", n, err)
	}
}
