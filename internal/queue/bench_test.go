package queue

// Benchmarks of dispatch, enqueue -> claim -> ack, on each backend beside a
// bare go-redis LPUSH/BRPOP loop measured in the same run. See
// BENCH_RESULTS.txt for the commands and the numbers on the reference
// machine.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	benchProducers   = 4
	benchConcurrency = 8
)

func benchName(s string) string { return strings.ReplaceAll(s, "/", "-") }

// reportLatency reports the median and 99th percentile of lat in µs.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func stampPayload() []byte {
	return []byte(`{"t":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`)
}

func stampAge(payload []byte) time.Duration {
	s := strings.TrimSuffix(strings.TrimPrefix(string(payload), `{"t":`), "}")
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Since(time.Unix(0, n))
}

// BenchmarkDispatch measures throughput: 4 producers enqueue b.N entries
// while a Pool of 8 handlers (no-op) claims and acks them; tasks/s counts
// from the first enqueue to the last ack, and the latency from each enqueue
// to its handler's start, backlog included.
func BenchmarkDispatch(b *testing.B) {
	for _, bc := range backendCases {
		b.Run(benchName(bc.name), func(b *testing.B) { benchDispatch(b, bc.new(b)) })
	}
	b.Run("bare-redis-lpush-brpop", benchBareDispatch)
}

func benchDispatch(b *testing.B, be Backend) {
	q := newQueue()
	n := b.N
	var (
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, n)
		done     atomic.Int64
		finished = make(chan struct{})
	)
	startPool(b, PoolConfig{Backend: be, Queues: []string{q}, Concurrency: benchConcurrency,
		PollInterval: 200 * time.Millisecond,
		Handler: func(ctx context.Context, e *Entry) error {
			age := stampAge(e.Payload)
			mu.Lock()
			lat = append(lat, age)
			mu.Unlock()
			if done.Add(1) == int64(n) {
				close(finished)
			}
			return nil
		}})
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range benchProducers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += benchProducers {
				if _, err := be.Enqueue(ctx, EnqueueParams{Queue: q, Kind: "run", Payload: stampPayload()}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d entries ran", done.Load(), n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "tasks/s")
	mu.Lock()
	reportLatency(b, lat)
	mu.Unlock()
}

// benchBareDispatch is the same shape on a bare Redis list: 4 producers
// LPUSH, 8 consumers BRPOP (no lease, no ack, no retry: the floor).
func benchBareDispatch(b *testing.B) {
	c := testRedisClient(b)
	key := "rftest:bare:" + newQueue()
	b.Cleanup(func() { c.Del(context.Background(), key) })
	n := b.N
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, n)
		done     atomic.Int64
		finished = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, err := c.BRPop(ctx, time.Second, key).Result()
				if err != nil {
					continue // timeout (redis.Nil) or cancelled
				}
				age := stampAge([]byte(res[1]))
				mu.Lock()
				lat = append(lat, age)
				mu.Unlock()
				if done.Add(1) == int64(n) {
					close(finished)
				}
			}
		}()
	}
	b.ResetTimer()
	start := time.Now()
	var pw sync.WaitGroup
	for w := range benchProducers {
		pw.Add(1)
		go func() {
			defer pw.Done()
			for i := w; i < n; i += benchProducers {
				if err := c.LPush(ctx, key, stampPayload()).Err(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	pw.Wait()
	<-finished
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	wg.Wait()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "tasks/s")
	mu.Lock()
	reportLatency(b, lat)
	mu.Unlock()
}

// BenchmarkLatency measures enqueue-to-claim latency with one entry in
// flight at a time (an idle pool). "local": the enqueue goes through the
// pool's own backend instance, which wakes it at once; "remote": through
// another instance, as from another process (the database backend is then
// found by polling every PollInterval, 200ms by default; the redis backend
// is woken through pub/sub).
func BenchmarkLatency(b *testing.B) {
	for _, bc := range backendCases {
		b.Run(benchName(bc.name)+"/local", func(b *testing.B) {
			be := bc.new(b)
			benchLatency(b, be, be)
		})
		b.Run(benchName(bc.name)+"/remote", func(b *testing.B) {
			consumer := bc.new(b)
			var producer Backend
			switch c := consumer.(type) {
			case *Database:
				producer = NewDatabase(c.db)
			case *Redis:
				producer = NewRedis(RedisConfig{Client: testRedisClient(b), Prefix: c.prefix})
			}
			benchLatency(b, producer, consumer)
		})
	}
	b.Run("bare-redis-lpush-brpop", benchBareLatency)
}

// idleGap waits, off the clock, 5ms (the previous entry is acked and the
// pool idle) plus a random part of the default poll interval, so that each
// entry arrives at a random point of the pool's poll cycle, as an entry from
// another process does.
func idleGap(b *testing.B) {
	b.StopTimer()
	time.Sleep(5*time.Millisecond + rand.N(200*time.Millisecond))
	b.StartTimer()
}

func benchLatency(b *testing.B, producer, consumer Backend) {
	q := newQueue()
	ran := make(chan time.Time, 1)
	startPool(b, PoolConfig{Backend: consumer, Queues: []string{q}, Concurrency: 1,
		PollInterval: 200 * time.Millisecond, // the default, not the tests' 20ms
		Handler: func(ctx context.Context, e *Entry) error {
			ran <- time.Now()
			return nil
		}})
	time.Sleep(50 * time.Millisecond) // the pool is idle
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		idleGap(b)
		start := time.Now()
		if _, err := producer.Enqueue(ctx, EnqueueParams{Queue: q, Kind: "run"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-ran).Sub(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

func benchBareLatency(b *testing.B) {
	c := testRedisClient(b)
	consumer := redis.NewClient(&redis.Options{Addr: redisAddr()})
	b.Cleanup(func() { _ = consumer.Close() })
	key := "rftest:bare:" + newQueue()
	b.Cleanup(func() { c.Del(context.Background(), key) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			if _, err := consumer.BRPop(ctx, time.Second, key).Result(); err == nil {
				ran <- time.Now()
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		idleGap(b)
		start := time.Now()
		if err := c.LPush(ctx, key, fmt.Sprint(i)).Err(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-ran).Sub(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}
