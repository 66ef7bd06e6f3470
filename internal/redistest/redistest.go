// Package redistest gives tests a client of the test Redis and a key prefix
// of their own that is emptied when the test ends. It is for tests only.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the Redis tests use: REELFORGE_TEST_REDIS_ADDR, by default the
// 127.0.0.1:6379 that CI starts.
func Addr() string {
	if a := os.Getenv("REELFORGE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Client returns a new client of the test Redis (DB 0), closed when the test
// ends. An unreachable Redis skips the test on a developer machine and fails
// it under CI (CI set), so CI can never pass without Redis.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(), DB: 0})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis is required under CI at %s: %v", Addr(), err)
		}
		t.Skipf("Redis not reachable at %s, skipping: %v", Addr(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix unique to this test, under name, and deletes
// every key under it when the test ends.
func Prefix(t testing.TB, c *redis.Client, name string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "rftest:" + name + ":" + hex.EncodeToString(b)
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
