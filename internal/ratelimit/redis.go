package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of the Redis backends when none is given.
const DefaultPrefix = "reelforge:ratelimit"

// gcraScript runs GCRA over every key in one atomic step: it computes every
// bucket from the server's clock, and only if all of them can afford their
// tokens does it store the new arrival times, each key expiring when its
// bucket is full again. Times are in microseconds.
//
// KEYS: the buckets. ARGV: per key, emission interval (µs), burst, tokens.
// Returns {allowed, remaining, retry after µs, reset after µs}.
const gcraScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed, remaining, retry, reset = 1, -1, 0, 0
local pending, tats = {}, {}
for i, key in ipairs(KEYS) do
  local j = (i - 1) * 3
  local interval = tonumber(ARGV[j + 1])
  local tolerance = interval * tonumber(ARGV[j + 2])
  local n = tonumber(ARGV[j + 3])
  local tat = pending[key] or tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local newtat = tat + interval * n
  local left, wait, full
  if newtat - tolerance > now then
    allowed = 0
    left = math.floor((tolerance - (tat - now)) / interval + 1e-6)
    wait = newtat - tolerance - now
    full = tat - now
    newtat = tat
  else
    left = math.floor((tolerance - (newtat - now)) / interval + 1e-6)
    wait = 0
    full = newtat - now
  end
  if left < 0 then left = 0 end
  if remaining < 0 or left < remaining then remaining = left end
  if wait > retry then retry = wait end
  if full > reset then reset = full end
  pending[key] = newtat
  tats[i] = newtat
end
if allowed == 1 then
  for i, key in ipairs(KEYS) do
    if tonumber(ARGV[i * 3]) > 0 then
      local ttl = math.max(1, math.ceil((tats[i] - now) / 1000))
      redis.call('SET', key, string.format('%.17g', tats[i]), 'PX', ttl)
    end
  end
end
return {allowed, remaining, math.ceil(retry), math.ceil(reset)}
`

// Redis is the Limiter shared by every process using the same Redis and
// prefix: the embedded server and any number of `reelforge worker` processes
// on any machine. Each call is one Lua script, so one round trip, atomic, and
// timed by the Redis server's clock rather than the callers'.
//
// A bucket is one string key, <prefix>:rate:<key>, holding the bucket's
// theoretical arrival time and expiring when the bucket is full again, so
// idle keys cost nothing. AllowAll touches all its keys in one script, so on
// Redis Cluster the prefix must contain a hash tag ("{reelforge}:ratelimit")
// to put them in one slot.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	script *redis.Script
}

// NewRedis returns a Limiter on rdb whose keys start with prefix
// (DefaultPrefix when empty). It does not contact Redis; the script is loaded
// on first use.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{rdb: rdb, prefix: prefix, script: redis.NewScript(gcraScript)}
}

// Allow spends n tokens from key's bucket; see Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	return r.AllowAll(ctx, []Request{{Key: key, Limit: limit, N: n}})
}

// AllowAll spends from every bucket or none, in one script; see the package
// function AllowAll.
func (r *Redis) AllowAll(ctx context.Context, reqs []Request) (Result, error) {
	limited, err := checkAll(reqs)
	if err != nil {
		return Result{}, err
	}
	if len(limited) == 0 {
		return unlimitedResult(), nil
	}
	keys := make([]string, len(limited))
	args := make([]any, 0, 3*len(limited))
	for i, q := range limited {
		keys[i] = r.prefix + ":rate:" + q.Key
		us := q.Limit.interval() / float64(time.Microsecond)
		args = append(args, strconv.FormatFloat(us, 'g', -1, 64), q.Limit.burst(), q.N)
	}
	vals, err := r.script.Run(ctx, r.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: running gcra script on %q: %w", keys[0], err)
	}
	if len(vals) != 4 {
		return Result{}, fmt.Errorf("ratelimit: running gcra script: %d values, want 4",
			len(vals))
	}
	return Result{
		Allowed:    vals[0] == 1,
		Remaining:  int(vals[1]),
		RetryAfter: time.Duration(vals[2]) * time.Microsecond,
		ResetAfter: time.Duration(vals[3]) * time.Microsecond,
	}, nil
}
