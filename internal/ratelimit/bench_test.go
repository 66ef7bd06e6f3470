package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// benchLimit never refuses in a benchmark, so every call does the full work
// of a spend (read, compute, write).
func benchLimit() Limit { return Limit{Rate: 1 << 30, Period: time.Second, Burst: 1 << 20} }

// benchKeys spreads calls over 1024 keys, as many tasks over providers, users
// and organizations would.
func benchKeys() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "user:" + strconv.Itoa(i)
	}
	return keys
}

func benchAllow(b *testing.B, l Limiter) {
	ctx := context.Background()
	keys, lim := benchKeys(), benchLimit()
	i := 0
	for b.Loop() {
		if _, err := l.Allow(ctx, keys[i%len(keys)], lim, 1); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchAllowAll(b *testing.B, l Limiter) {
	ctx := context.Background()
	keys, lim := benchKeys(), benchLimit()
	i := 0
	for b.Loop() {
		reqs := []Request{
			{Key: "provider:runway", Limit: lim, N: 1},
			{Key: "org:" + keys[i%16], Limit: lim, N: 1},
			{Key: keys[i%len(keys)], Limit: lim, N: 1},
		}
		if _, err := AllowAll(ctx, l, reqs); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchAcquireRelease(b *testing.B, s Semaphore) {
	ctx := context.Background()
	for b.Loop() {
		ok, err := s.Acquire(ctx, "provider:runway", 8, "task", time.Minute)
		if err != nil || !ok {
			b.Fatalf("Acquire: %v, %v", ok, err)
		}
		if err := s.Release(ctx, "provider:runway", "task"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllow measures one Allow on each backend; for Redis, compare with
// BenchmarkRedisINCR, the cheapest round trip to the same server.
func BenchmarkAllow(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchAllow(b, NewMemory()) })
	b.Run("redis", func(b *testing.B) {
		c := testRedisClient(b)
		benchAllow(b, NewRedis(c, testPrefix(b, c)))
	})
}

// BenchmarkAllowParallel measures Allow from every core at once, where the
// memory backend's single lock is contended.
func BenchmarkAllowParallel(b *testing.B) {
	m := NewMemory()
	keys, lim := benchKeys(), benchLimit()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Allow(context.Background(), keys[i%len(keys)], lim, 1); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkAllowAll3 measures AllowAll over a provider, an organization and
// a user bucket.
func BenchmarkAllowAll3(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchAllowAll(b, NewMemory()) })
	b.Run("redis", func(b *testing.B) {
		c := testRedisClient(b)
		benchAllowAll(b, NewRedis(c, testPrefix(b, c)))
	})
}

// BenchmarkAcquireRelease measures taking and giving back one slot.
func BenchmarkAcquireRelease(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchAcquireRelease(b, NewMemorySemaphore()) })
	b.Run("redis", func(b *testing.B) {
		c := testRedisClient(b)
		benchAcquireRelease(b, NewRedisSemaphore(c, testPrefix(b, c)))
	})
}

// BenchmarkRedisINCR is the reference: a bare go-redis INCR, one round trip
// with no script, on the same server in the same run.
func BenchmarkRedisINCR(b *testing.B) {
	c := testRedisClient(b)
	key := testPrefix(b, c) + ":incr"
	ctx := context.Background()
	for b.Loop() {
		if err := c.Incr(ctx, key).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
