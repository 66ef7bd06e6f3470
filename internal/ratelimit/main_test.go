package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisAddr is the Redis the tests use, overridable with
// REELFORGE_TEST_REDIS_ADDR.
func redisAddr() string {
	if a := os.Getenv("REELFORGE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testRedisClient returns a new client of the test Redis (DB 0), closed when
// the test ends. An unreachable Redis skips the test, or fails it under CI.
func testRedisClient(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DB: 0})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis is required under CI at %s: %v", redisAddr(), err)
		}
		t.Skipf("Redis not reachable at %s, skipping: %v", redisAddr(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix unique to this test and deletes every key
// under it when the test ends.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "rftest:ratelimit:" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+":*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("scanning test keys: %v", err)
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("deleting test keys: %v", err)
			}
		}
	})
	return prefix
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
