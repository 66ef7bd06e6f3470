package queue

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// redisAddr is the Redis that tests use, overridable with
// REELFORGE_TEST_REDIS_ADDR.
func redisAddr() string {
	if a := os.Getenv("REELFORGE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testRedisClient returns a client of the test Redis (DB 0), closed when the
// test ends. An unreachable Redis skips the test, or fails it under CI.
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

// deleteKeys removes every key of the store r (its unique test prefix).
func deleteKeys(t testing.TB, c *redis.Client, r *Redis) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, r.keysPattern(), 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scanning test keys: %v", err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Del(ctx, keys[:n]...).Err(); err != nil {
			t.Errorf("deleting test keys: %v", err)
		}
		keys = keys[n:]
	}
}

// newRedisBackend returns a redis backend under a unique key prefix, whose
// keys are deleted when the test ends, with an SQLite database for its
// outbox.
func newRedisBackend(t testing.TB) *Redis {
	t.Helper()
	c := testRedisClient(t)
	r := NewRedis(RedisConfig{
		Client: c,
		Prefix: "rftest:" + dbtest.RandomHex(6),
		DB:     dbtest.Open(t, db.SQLite),
	})
	t.Cleanup(func() { deleteKeys(t, c, r) })
	return r
}

// backendDB returns the database that a backend's EnqueueTx writes to.
func backendDB(b Backend) *db.DB {
	switch b := b.(type) {
	case *Database:
		return b.db
	case *Redis:
		return b.db
	}
	return nil
}

// relay moves outbox rows to Redis for the redis backend; a no-op for the
// database backend.
func relay(t testing.TB, b Backend) {
	t.Helper()
	if r, ok := b.(*Redis); ok {
		if _, err := r.RelayOnce(context.Background()); err != nil {
			t.Fatalf("relay: %v", err)
		}
	}
}

// backendCases lists the backends every shared suite runs on.
var backendCases = []struct {
	name string
	new  func(t testing.TB) Backend
}{
	{"database/sqlite", func(t testing.TB) Backend { return NewDatabase(dbtest.Open(t, db.SQLite)) }},
	{"database/mysql", func(t testing.TB) Backend { return NewDatabase(dbtest.Open(t, db.MySQL)) }},
	{"redis", func(t testing.TB) Backend { return newRedisBackend(t) }},
}
