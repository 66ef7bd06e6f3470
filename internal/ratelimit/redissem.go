package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// semNow is the prelude of the semaphore scripts: the server's clock in ms.
const semNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// semExpire makes a semaphore key expire with its last lease, so a key whose
// holders all crashed leaves nothing behind.
const semExpire = `
local function expire(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, math.ceil(tonumber(last[2])) + 1) end
end
`

// acquireScript takes a slot of every key or none. Expired leases are
// dropped first; a key the holder already has counts as free and is renewed.
//
// KEYS: the caps. ARGV: holder, ttl (ms), then each key's max. Returns 1 or 0.
const acquireScript = semNow + semExpire + `
local holder, exp = ARGV[1], now + tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local max = tonumber(ARGV[i + 2])
  if max > 0 and not redis.call('ZSCORE', key, holder)
      and redis.call('ZCARD', key) >= max then
    return 0
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, exp, holder)
  expire(key)
end
return 1
`

// renewScript extends a lease that still exists. KEYS: the cap. ARGV:
// holder, ttl (ms). Returns 1, or 0 when the holder has no slot.
const renewScript = semNow + semExpire + `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
expire(KEYS[1])
return 1
`

// inUseScript counts the live leases of KEYS[1] by the server's clock.
const inUseScript = semNow + `
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`

// RedisSemaphore is the Semaphore shared by every process using the same
// Redis and prefix, so a cap of 5 means 5 across all workers on all machines.
// Each cap is a sorted set, <prefix>:sem:<key>, of holders scored by lease
// expiry in the server's milliseconds; every call is one atomic command or
// Lua script, and the key expires with its last lease. AcquireAll touches all
// its keys in one script, so on Redis Cluster the prefix must contain a hash
// tag ("{reelforge}:ratelimit") to put them in one slot.
type RedisSemaphore struct {
	rdb     redis.UniversalClient
	prefix  string
	acquire *redis.Script
	renew   *redis.Script
	inUse   *redis.Script
}

// NewRedisSemaphore returns a Semaphore on rdb whose keys start with prefix
// (DefaultPrefix when empty). It does not contact Redis.
func NewRedisSemaphore(rdb redis.UniversalClient, prefix string) *RedisSemaphore {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &RedisSemaphore{
		rdb:     rdb,
		prefix:  prefix,
		acquire: redis.NewScript(acquireScript),
		renew:   redis.NewScript(renewScript),
		inUse:   redis.NewScript(inUseScript),
	}
}

// key returns the Redis key of a cap.
func (s *RedisSemaphore) key(k string) string { return s.prefix + ":sem:" + k }

// Acquire takes a slot of key for holder; see Semaphore.
func (s *RedisSemaphore) Acquire(ctx context.Context, key string, max int, holder string,
	ttl time.Duration) (bool, error) {
	return s.AcquireAll(ctx, []SlotRequest{{Key: key, Max: max}}, holder, ttl)
}

// AcquireAll takes a slot of every key or none, in one script; see the
// package function AcquireAll.
func (s *RedisSemaphore) AcquireAll(ctx context.Context, reqs []SlotRequest, holder string,
	ttl time.Duration) (bool, error) {
	if err := checkSlots(reqs, holder, ttl); err != nil {
		return false, err
	}
	if len(reqs) == 0 {
		return true, nil
	}
	keys := make([]string, len(reqs))
	args := make([]any, 0, 2+len(reqs))
	args = append(args, holder, ttl.Milliseconds())
	for i, r := range reqs {
		keys[i] = s.key(r.Key)
		args = append(args, r.Max)
	}
	n, err := s.acquire.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("ratelimit: acquiring %q: %w", keys[0], err)
	}
	return n == 1, nil
}

// Renew extends holder's lease; see Semaphore.
func (s *RedisSemaphore) Renew(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := checkSlot(key, holder); err != nil {
		return err
	}
	if err := checkTTL(key, ttl); err != nil {
		return err
	}
	n, err := s.renew.Run(ctx, s.rdb, []string{s.key(key)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("ratelimit: renewing %q: %w", key, err)
	}
	if n != 1 {
		return fmt.Errorf("ratelimit: renewing %q for %q: %w", key, holder, ErrNotHeld)
	}
	return nil
}

// Release gives holder's slot back; see Semaphore.
func (s *RedisSemaphore) Release(ctx context.Context, key, holder string) error {
	if err := checkSlot(key, holder); err != nil {
		return err
	}
	if err := s.rdb.ZRem(ctx, s.key(key), holder).Err(); err != nil {
		return fmt.Errorf("ratelimit: releasing %q: %w", key, err)
	}
	return nil
}

// InUse counts key's live leases; see Semaphore.
func (s *RedisSemaphore) InUse(ctx context.Context, key string) (int, error) {
	if key == "" {
		return 0, fmt.Errorf("ratelimit: counting slots: empty key: %w", ErrInvalidRequest)
	}
	n, err := s.inUse.Run(ctx, s.rdb, []string{s.key(key)}).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("ratelimit: counting slots of %q: %w", key, err)
	}
	return n, nil
}
