package queue

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/db/dbtest"
	"github.com/reelforge/reelforge/internal/redistest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func testRedisClient(t testing.TB) *redis.Client { return redistest.Client(t) }

func redisAddr() string { return redistest.Addr() }

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
