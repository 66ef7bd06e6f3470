package ratelimit

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/redistest"
)

func testRedisClient(t testing.TB) *redis.Client { return redistest.Client(t) }

func testPrefix(t testing.TB, c *redis.Client) string {
	return redistest.Prefix(t, c, "ratelimit")
}

// backend builds fresh, empty instances of one backend for a test.
type backend struct {
	name      string
	limiter   func(t testing.TB) Limiter
	semaphore func(t testing.TB) Semaphore
}

// backends lists the backends every shared test runs on.
func backends() []backend {
	return []backend{
		{
			name:      "memory",
			limiter:   func(testing.TB) Limiter { return NewMemory() },
			semaphore: func(testing.TB) Semaphore { return NewMemorySemaphore() },
		},
		{
			name: "redis",
			limiter: func(t testing.TB) Limiter {
				c := testRedisClient(t)
				return NewRedis(c, testPrefix(t, c))
			},
			semaphore: func(t testing.TB) Semaphore {
				c := testRedisClient(t)
				return NewRedisSemaphore(c, testPrefix(t, c))
			},
		},
	}
}

// eachBackend runs fn as a parallel subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// plainLimiter hides the BatchLimiter method of the Limiter it wraps, to test
// the fallback of AllowAll for third-party limiters.
type plainLimiter struct{ l Limiter }

func (p plainLimiter) Allow(ctx context.Context, key string, l Limit, n int) (Result, error) {
	return p.l.Allow(ctx, key, l, n)
}

// plainSemaphore hides the BatchSemaphore method of the Semaphore it wraps,
// to test the fallback of AcquireAll.
type plainSemaphore struct{ Semaphore }
