package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/db"
)

// Redis is the queue in Redis (QUEUE_CONNECTION=redis).
//
// Keys, under Prefix (P):
//
//	P:e:{id}            hash: the entry (fields below)
//	P:q:{queue}:ready   zset: due entries, score priority*1e13 + run_at (ms)
//	P:q:{queue}:delayed zset: entries not yet due, score run_at (ms)
//	P:q:{queue}:running zset: leased entries, score lease expiry (ms)
//	P:q:{queue}:dead    zset: dead entries, score time of death (ms)
//	P:unique            hash: unique key -> id of its pending or running entry
//	P:task:{task}       set: ids of a task's entries, for Wake
//	P:queues            set: queue names, for Stats and Dead
//	P:relayed           zset: ids recently relayed from queue_outbox (score ms)
//	P:wake              pub/sub channel: queue names that have due entries
//
// Every change of state is one Lua script, so a worker or a relay killed at
// any line leaves each entry wholly in one state: a claim moves ids from
// ready to running with the lease in the same script, and the next claim of
// the queue moves expired leases back to ready (counting an attempt) and due
// delayed entries to ready before it picks. Times come from the Redis
// server's clock, so the workers' clocks do not matter.
//
// All keys of a queue store are touched by its scripts, so on Redis Cluster
// the Prefix must contain a hash tag ("{reelforge}:queue") to put them in one
// slot.
type Redis struct {
	c      redis.UniversalClient
	prefix string
	db     *db.DB
	log    *slog.Logger
	sig    signal

	relayInterval time.Duration
	relayBatch    int
	relayMemory   time.Duration
	relayKick     chan struct{} // Notify: outbox rows were just committed
}

// RedisConfig configures NewRedis.
type RedisConfig struct {
	Client redis.UniversalClient
	// Prefix of every key. Defaults to "reelforge:queue".
	Prefix string
	// DB is the database that EnqueueTx writes queue_outbox rows to and
	// Relay reads them from.
	DB *db.DB
	// RelayInterval is how often Relay looks for outbox rows when it found
	// none. Defaults to 100ms.
	RelayInterval time.Duration
	// RelayMemory is how long Redis remembers a relayed id, so that a row
	// relayed again after a relay died between the Redis write and the row's
	// deletion is ignored even if its entry is already acked. Defaults to 1h.
	RelayMemory time.Duration
	Logger      *slog.Logger
}

// NewRedis returns the redis backend.
func NewRedis(cfg RedisConfig) *Redis {
	r := &Redis{
		c:             cfg.Client,
		prefix:        cfg.Prefix,
		db:            cfg.DB,
		log:           cfg.Logger,
		relayInterval: cfg.RelayInterval,
		relayBatch:    200,
		relayMemory:   cfg.RelayMemory,
		relayKick:     make(chan struct{}, 1),
	}
	if r.prefix == "" {
		r.prefix = "reelforge:queue"
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.relayInterval <= 0 {
		r.relayInterval = 100 * time.Millisecond
	}
	if r.relayMemory <= 0 {
		r.relayMemory = time.Hour
	}
	return r
}

// luaPrelude is prepended to every script. ARGV[1] is always the prefix.
const luaPrelude = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%.0f', n) end
local function ekey(id) return P .. ':e:' .. id end
local function qkey(q, s) return P .. ':q:' .. q .. ':' .. s end
local function score(prio, runat) return fmt(tonumber(prio) * 1e13 + tonumber(runat)) end
-- put a ready entry in the ready or the delayed set; true if due now
local function place(id, q, prio, runat, now)
  if tonumber(runat) <= now then
    redis.call('ZADD', qkey(q, 'ready'), score(prio, runat), id)
    return true
  end
  redis.call('ZADD', qkey(q, 'delayed'), fmt(runat), id)
  return false
end
local function free_unique(id, u)
  if u and u ~= '' and redis.call('HGET', P .. ':unique', u) == id then
    redis.call('HDEL', P .. ':unique', u)
  end
end
local function to_dead(id, q, now, err)
  local ek = ekey(id)
  free_unique(id, redis.call('HGET', ek, 'unique'))
  redis.call('HSET', ek, 'state', 'dead', 'unique', '', 'owner', '', 'token', '',
    'lease_until', '0', 'error', err, 'woken', '0', 'updated', fmt(now))
  redis.call('ZREM', qkey(q, 'running'), id)
  redis.call('ZADD', qkey(q, 'dead'), fmt(now), id)
end
`

// ARGV: P, id, queue, task, kind, payload, prio, delay_ms, run_at_ms (0: now
// plus delay), unique, max_attempts, relay_memory_ms (0: not a relay).
// Returns {id, "ok" | "exists" | "dup"}.
var enqueueScript = redis.NewScript(luaPrelude + `
local id, q, task, u = ARGV[2], ARGV[3], ARGV[4], ARGV[10]
local relay = tonumber(ARGV[12])
local now = now_ms()
local ek = ekey(id)
if redis.call('EXISTS', ek) == 1 then return {id, 'exists'} end
if relay > 0 then
  redis.call('ZREMRANGEBYSCORE', P .. ':relayed', '-inf', fmt(now - relay))
  if redis.call('ZSCORE', P .. ':relayed', id) then return {id, 'exists'} end
end
if u ~= '' then
  local ex = redis.call('HGET', P .. ':unique', u)
  if ex and redis.call('EXISTS', ekey(ex)) == 1 then
    if relay > 0 then redis.call('ZADD', P .. ':relayed', fmt(now), id) end
    return {ex, 'dup'}
  end
end
local runat = tonumber(ARGV[9])
if runat <= 0 then runat = now + tonumber(ARGV[8]) end
redis.call('HSET', ek, 'id', id, 'queue', q, 'task', task, 'kind', ARGV[5],
  'payload', ARGV[6], 'prio', ARGV[7], 'run_at', fmt(runat), 'attempts', '0',
  'max', ARGV[11], 'unique', u, 'owner', '', 'token', '', 'lease_until', '0',
  'error', '', 'created', fmt(now), 'updated', fmt(now), 'state', 'ready', 'woken', '0')
redis.call('SADD', P .. ':queues', q)
if task ~= '' then redis.call('SADD', P .. ':task:' .. task, id) end
if u ~= '' then redis.call('HSET', P .. ':unique', u, id) end
if relay > 0 then redis.call('ZADD', P .. ':relayed', fmt(now), id) end
if place(id, q, ARGV[7], runat, now) then redis.call('PUBLISH', P .. ':wake', q) end
return {id, 'ok'}
`)

// ARGV: P, owner, token, lease_ms, max, queue... Returns the claimed
// entries as HGETALL arrays.
var claimScript = redis.NewScript(luaPrelude + `
local owner, token = ARGV[2], ARGV[3]
local lease, max = tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
local cands = {}
for i = 6, #ARGV do
  local q = ARGV[i]
  local rk, dk, lk = qkey(q, 'ready'), qkey(q, 'delayed'), qkey(q, 'running')
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', dk, '-inf', fmt(now), 'LIMIT', 0, 1000)) do
    redis.call('ZREM', dk, id)
    local f = redis.call('HMGET', ekey(id), 'prio', 'run_at')
    if f[1] then redis.call('ZADD', rk, score(f[1], f[2]), id) end
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', '(' .. fmt(now), 'LIMIT', 0, 1000)) do
    local ek = ekey(id)
    local f = redis.call('HMGET', ek, 'prio', 'run_at', 'attempts', 'max')
    if not f[1] then
      redis.call('ZREM', lk, id)
    else
      local a = tonumber(f[3]) + 1
      redis.call('HSET', ek, 'attempts', fmt(a))
      if a >= tonumber(f[4]) then
        to_dead(id, q, now, 'lease expired')
      else
        redis.call('HSET', ek, 'state', 'ready', 'owner', '', 'token', '', 'lease_until', '0',
          'error', 'lease expired', 'updated', fmt(now))
        redis.call('ZREM', lk, id)
        redis.call('ZADD', rk, score(f[1], f[2]), id)
      end
    end
  end
  local top = redis.call('ZRANGE', rk, 0, max - 1, 'WITHSCORES')
  for j = 1, #top, 2 do
    table.insert(cands, {tonumber(top[j + 1]), top[j], q})
  end
end
table.sort(cands, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local out = {}
local expiry = fmt(now + lease)
for k = 1, #cands do
  if #out >= max then break end
  local id, q = cands[k][2], cands[k][3]
  local ek = ekey(id)
  if redis.call('ZREM', qkey(q, 'ready'), id) == 1 and redis.call('EXISTS', ek) == 1 then
    redis.call('ZADD', qkey(q, 'running'), expiry, id)
    redis.call('HSET', ek, 'state', 'running', 'owner', owner, 'token', token,
      'lease_until', expiry, 'woken', '0', 'updated', fmt(now))
    table.insert(out, redis.call('HGETALL', ek))
  end
end
return out
`)

// ARGV: P, id, token, lease_ms. Returns the new expiry, or -1 if the lease
// is lost.
var extendScript = redis.NewScript(luaPrelude + `
local id = ARGV[2]
local ek = ekey(id)
local f = redis.call('HMGET', ek, 'state', 'token', 'queue')
if f[1] ~= 'running' or f[2] ~= ARGV[3] then return -1 end
local expiry = now_ms() + tonumber(ARGV[4])
redis.call('ZADD', qkey(f[3], 'running'), fmt(expiry), id)
redis.call('HSET', ek, 'lease_until', fmt(expiry))
return expiry
`)

// ARGV: P, id, token, op (ack|snooze|retry|fail), delay_ms, error. Returns 0
// if the lease is lost, 1 if settled, 2 if the entry went to the dead letter.
var settleScript = redis.NewScript(luaPrelude + `
local id, op = ARGV[2], ARGV[4]
local ek = ekey(id)
local f = redis.call('HMGET', ek, 'state', 'token', 'queue', 'prio', 'attempts', 'max',
  'unique', 'task', 'woken')
if f[1] ~= 'running' or f[2] ~= ARGV[3] then return 0 end
local q = f[3]
local now = now_ms()
if op == 'ack' then
  redis.call('DEL', ek)
  redis.call('ZREM', qkey(q, 'running'), id)
  free_unique(id, f[7])
  if f[8] ~= '' then redis.call('SREM', P .. ':task:' .. f[8], id) end
  return 1
end
local a = tonumber(f[5])
if op ~= 'snooze' then a = a + 1 end
if op == 'fail' or (op == 'retry' and a >= tonumber(f[6])) then
  redis.call('HSET', ek, 'attempts', fmt(a))
  to_dead(id, q, now, ARGV[6])
  return 2
end
local delay = tonumber(ARGV[5])
if op == 'snooze' and f[9] == '1' then delay = 0 end
local runat = now + delay
redis.call('ZREM', qkey(q, 'running'), id)
redis.call('HSET', ek, 'state', 'ready', 'owner', '', 'token', '', 'lease_until', '0',
  'run_at', fmt(runat), 'attempts', fmt(a), 'woken', '0', 'updated', fmt(now))
if op == 'retry' then redis.call('HSET', ek, 'error', ARGV[6]) end
if place(id, q, f[4], runat, now) then redis.call('PUBLISH', P .. ':wake', q) end
return 1
`)

// ARGV: P, task. Returns the number of entries made due.
var wakeScript = redis.NewScript(luaPrelude + `
local now = now_ms()
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', P .. ':task:' .. ARGV[2])) do
  local ek = ekey(id)
  local f = redis.call('HMGET', ek, 'state', 'queue', 'prio', 'run_at')
  if f[1] == 'running' then
    redis.call('HSET', ek, 'woken', '1')
  elseif f[1] == 'ready' and redis.call('ZREM', qkey(f[2], 'delayed'), id) == 1 then
    local runat = math.min(tonumber(f[4]), now)
    redis.call('HSET', ek, 'run_at', fmt(runat), 'updated', fmt(now))
    place(id, f[2], f[3], runat, now)
    redis.call('PUBLISH', P .. ':wake', f[2])
    n = n + 1
  end
end
return n
`)

// ARGV: P, id. Returns 1, or 0 if the entry is not dead.
var requeueScript = redis.NewScript(luaPrelude + `
local id = ARGV[2]
local ek = ekey(id)
local f = redis.call('HMGET', ek, 'state', 'queue', 'prio')
if f[1] ~= 'dead' then return 0 end
local now = now_ms()
redis.call('ZREM', qkey(f[2], 'dead'), id)
redis.call('HSET', ek, 'state', 'ready', 'attempts', '0', 'run_at', fmt(now),
  'updated', fmt(now))
place(id, f[2], f[3], now, now)
redis.call('PUBLISH', P .. ':wake', f[2])
return 1
`)

// ARGV: P. Returns {now, {queue, ready, delayed, running, dead, oldest_ms}...};
// oldest_ms is -1 when nothing is ready. The ready set is ordered by
// priority first, so its oldest run time is found by visiting the first
// entry of each priority band.
var statsScript = redis.NewScript(luaPrelude + `
local now = now_ms()
local out = {fmt(now)}
for _, q in ipairs(redis.call('SMEMBERS', P .. ':queues')) do
  local rk, dk = qkey(q, 'ready'), qkey(q, 'delayed')
  local dueDelayed = redis.call('ZCOUNT', dk, '-inf', fmt(now))
  local ready = redis.call('ZCARD', rk) + dueDelayed
  local delayed = redis.call('ZCARD', dk) - dueDelayed
  local oldest = -1
  local cur = '-inf'
  while true do
    local r = redis.call('ZRANGEBYSCORE', rk, cur, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #r == 0 then break end
    local s = tonumber(r[2])
    local p = math.floor(s / 1e13)
    local runat = s - p * 1e13
    if oldest < 0 or runat < oldest then oldest = runat end
    cur = fmt((p + 1) * 1e13)
  end
  if dueDelayed > 0 then
    local d = redis.call('ZRANGE', dk, 0, 0, 'WITHSCORES')
    local runat = tonumber(d[2])
    if oldest < 0 or runat < oldest then oldest = runat end
  end
  table.insert(out, {q, ready, delayed, redis.call('ZCARD', qkey(q, 'running')),
    redis.call('ZCARD', qkey(q, 'dead')), fmt(oldest)})
end
return out
`)

func ms(d time.Duration) int64 { return d.Milliseconds() }

// Enqueue implements Backend.
func (r *Redis) Enqueue(ctx context.Context, p EnqueueParams) (string, error) {
	s, err := normalize(p)
	if err != nil {
		return "", err
	}
	var runAt int64
	if !s.RunAt.IsZero() {
		runAt = max(s.RunAt.UnixMilli(), 1)
	}
	id, _, err := r.enqueue(ctx, newID(), s, runAt, 0)
	return id, err
}

// enqueue runs the enqueue script; dup reports ErrDuplicate as well.
func (r *Redis) enqueue(ctx context.Context, id string, s enqueueSpec, runAtMs int64,
	relayMemory time.Duration) (string, string, error) {
	res, err := enqueueScript.Run(ctx, r.c, nil, r.prefix, id, s.Queue, s.TaskID, s.Kind,
		string(s.Payload), s.Priority, ms(s.Delay), runAtMs, s.UniqueKey, s.MaxAttempts,
		ms(relayMemory)).StringSlice()
	if err != nil {
		return "", "", fmt.Errorf("queue: enqueue: %w", err)
	}
	if len(res) != 2 {
		return "", "", fmt.Errorf("queue: enqueue: unexpected reply %q", res)
	}
	switch res[1] {
	case "dup":
		return res[0], res[1], ErrDuplicate
	case "ok":
		if s.immediate || (runAtMs > 0 && runAtMs <= time.Now().UnixMilli()) {
			r.sig.Notify(s.Queue)
		}
	}
	return res[0], res[1], nil
}

// Claim implements Backend.
func (r *Redis) Claim(ctx context.Context, queues []string, owner string,
	lease time.Duration, max int) ([]*Entry, error) {
	queues = distinct(queues)
	if max <= 0 || len(queues) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 5+len(queues))
	args = append(args, r.prefix, owner, newToken(), ms(lease), max)
	for _, q := range queues {
		args = append(args, q)
	}
	res, err := claimScript.Run(ctx, r.c, nil, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("queue: claim: %w", err)
	}
	out := make([]*Entry, 0, len(res))
	for _, item := range res {
		fields, ok := item.([]any)
		if !ok {
			return nil, fmt.Errorf("queue: claim: unexpected reply %T", item)
		}
		e, err := entryFromFields(fields)
		if err != nil {
			return nil, fmt.Errorf("queue: claim: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func entryFromFields(fields []any) (*Entry, error) {
	m := make(map[string]string, len(fields)/2)
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		m[k] = v
	}
	return entryFromMap(m)
}

func entryFromMap(m map[string]string) (*Entry, error) {
	if m["id"] == "" {
		return nil, errors.New("entry hash without id")
	}
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(m[k], 10, 64)
		return n
	}
	msTime := func(k string) time.Time {
		n := num(k)
		if n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	return &Entry{
		ID:          m["id"],
		Queue:       m["queue"],
		TaskID:      m["task"],
		Kind:        m["kind"],
		Payload:     []byte(m["payload"]),
		Priority:    int(num("prio")),
		RunAt:       msTime("run_at"),
		Attempts:    int(num("attempts")),
		MaxAttempts: int(num("max")),
		UniqueKey:   m["unique"],
		LeaseOwner:  m["owner"],
		LeaseUntil:  msTime("lease_until"),
		LastError:   m["error"],
		CreatedAt:   msTime("created"),
		token:       m["token"],
	}, nil
}

// Extend implements Backend.
func (r *Redis) Extend(ctx context.Context, e *Entry, lease time.Duration) error {
	n, err := extendScript.Run(ctx, r.c, nil, r.prefix, e.ID, e.token, ms(lease)).Int64()
	if err != nil {
		return fmt.Errorf("queue: extend: %w", err)
	}
	if n < 0 {
		return ErrLeaseLost
	}
	e.LeaseUntil = time.UnixMilli(n).UTC()
	return nil
}

func (r *Redis) settle(ctx context.Context, e *Entry, op string, delay time.Duration, errMsg string) error {
	n, err := settleScript.Run(ctx, r.c, nil, r.prefix, e.ID, e.token, op, ms(max(delay, 0)),
		truncateError(errMsg)).Int64()
	if err != nil {
		return fmt.Errorf("queue: %s: %w", op, err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	if n == 1 && op != "ack" && delay <= 0 {
		r.sig.Notify(e.Queue)
	}
	return nil
}

// Ack implements Backend.
func (r *Redis) Ack(ctx context.Context, e *Entry) error { return r.settle(ctx, e, "ack", 0, "") }

// Snooze implements Backend.
func (r *Redis) Snooze(ctx context.Context, e *Entry, delay time.Duration) error {
	return r.settle(ctx, e, "snooze", delay, "")
}

// Retry implements Backend.
func (r *Redis) Retry(ctx context.Context, e *Entry, delay time.Duration, errMsg string) error {
	return r.settle(ctx, e, "retry", delay, errMsg)
}

// Fail implements Backend.
func (r *Redis) Fail(ctx context.Context, e *Entry, errMsg string) error {
	return r.settle(ctx, e, "fail", 0, errMsg)
}

// Dead implements Backend.
func (r *Redis) Dead(ctx context.Context, queue string, limit int) ([]*Entry, error) {
	if limit <= 0 {
		limit = 100
	}
	queues := []string{queue}
	if queue == "" {
		var err error
		if queues, err = r.c.SMembers(ctx, r.prefix+":queues").Result(); err != nil {
			return nil, fmt.Errorf("queue: listing dead entries: %w", err)
		}
	}
	type dead struct {
		id string
		at float64
	}
	var ids []dead
	for _, q := range queues {
		zs, err := r.c.ZRevRangeWithScores(ctx, r.prefix+":q:"+q+":dead", 0, int64(limit-1)).Result()
		if err != nil {
			return nil, fmt.Errorf("queue: listing dead entries: %w", err)
		}
		for _, z := range zs {
			ids = append(ids, dead{id: z.Member.(string), at: z.Score})
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].at != ids[j].at {
			return ids[i].at > ids[j].at
		}
		return ids[i].id > ids[j].id
	})
	if len(ids) > limit {
		ids = ids[:limit]
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, d := range ids {
		cmds[i] = pipe.HGetAll(ctx, r.prefix+":e:"+d.id)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("queue: listing dead entries: %w", err)
	}
	out := make([]*Entry, 0, len(ids))
	for _, c := range cmds {
		m, err := c.Result()
		if err != nil || m["state"] != stateDead {
			continue // requeued since the listing
		}
		if e, err := entryFromMap(m); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// Requeue implements Backend. The entry comes back without its unique key,
// which was freed when it died.
func (r *Redis) Requeue(ctx context.Context, id string) error {
	n, err := requeueScript.Run(ctx, r.c, nil, r.prefix, id).Int64()
	if err != nil {
		return fmt.Errorf("queue: requeue: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Stats implements Backend. It lists every queue that ever had an entry.
func (r *Redis) Stats(ctx context.Context) (map[string]QueueStats, error) {
	res, err := statsScript.Run(ctx, r.c, nil, r.prefix).Slice()
	if err != nil {
		return nil, fmt.Errorf("queue: stats: %w", err)
	}
	if len(res) == 0 {
		return nil, errors.New("queue: stats: empty reply")
	}
	now, _ := strconv.ParseInt(fmt.Sprint(res[0]), 10, 64)
	out := make(map[string]QueueStats, len(res)-1)
	for _, item := range res[1:] {
		f, ok := item.([]any)
		if !ok || len(f) != 6 {
			return nil, fmt.Errorf("queue: stats: unexpected reply %v", item)
		}
		n := func(i int) int64 {
			v, _ := strconv.ParseInt(fmt.Sprint(f[i]), 10, 64)
			return v
		}
		s := QueueStats{Ready: n(1), Delayed: n(2), Running: n(3), Dead: n(4)}
		if oldest := n(5); oldest >= 0 && s.Ready > 0 {
			s.OldestReadyAge = time.Duration(max(now-oldest, 0)) * time.Millisecond
		}
		out[fmt.Sprint(f[0])] = s
	}
	return out, nil
}

// Wake implements Backend.
func (r *Redis) Wake(ctx context.Context, taskID string) error {
	if taskID == "" {
		return nil
	}
	if err := wakeScript.Run(ctx, r.c, nil, r.prefix, taskID).Err(); err != nil {
		return fmt.Errorf("queue: wake: %w", err)
	}
	return nil
}

// Notify implements Notifier for this process (other processes hear about
// entries through Redis pub/sub). It also makes this process's Relay run at
// once, so that rows just committed by EnqueueTx reach Redis (and, through
// pub/sub, every pool) without waiting for the relay's next look.
func (r *Redis) Notify(queue string) {
	poke(r.relayKick)
	r.sig.Notify(queue)
}

// Subscribe implements Notifier: the channel receives signals from this
// process and, through the P:wake pub/sub channel, from every process that
// makes an entry of the queues due.
func (r *Redis) Subscribe(queues []string) (<-chan struct{}, func()) {
	out := make(chan struct{}, 1)
	want := map[string]bool{}
	for _, q := range queues {
		want[q] = true
	}
	local, unsubscribe := r.sig.Subscribe(queues)
	ps := r.c.Subscribe(context.Background(), r.prefix+":wake")
	msgs := ps.Channel()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-local:
				poke(out)
			case m, ok := <-msgs:
				if !ok {
					return
				}
				if want[m.Payload] {
					poke(out)
				}
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(done)
			unsubscribe()
			_ = ps.Close()
		})
	}
}

// keysPattern returns the SCAN pattern matching every key of this store
// (tests use it to clean up).
func (r *Redis) keysPattern() string {
	return strings.NewReplacer("*", `\*`, "?", `\?`, "[", `\[`).Replace(r.prefix) + ":*"
}
