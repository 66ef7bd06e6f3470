package ratelimit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedisTwoMachines shares buckets and caps between two clients with their
// own connection pools, as two worker machines would.
func TestRedisTwoMachines(t *testing.T) {
	t.Parallel()
	c1, c2 := testRedisClient(t), testRedisClient(t)
	prefix := testPrefix(t, c1)
	l1, l2 := NewRedis(c1, prefix), NewRedis(c2, prefix)
	lim := PerMinute(10)

	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		l := l1
		if i%2 == 1 {
			l = l2
		}
		wg.Go(func() {
			res, err := l.Allow(t.Context(), "provider:replicate", lim, 1)
			if err != nil {
				t.Error(err)
			}
			if res.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 10 {
		t.Fatalf("two machines allowed %d requests on a burst of 10", allowed.Load())
	}

	s1, s2 := NewRedisSemaphore(c1, prefix), NewRedisSemaphore(c2, prefix)
	var won atomic.Int32
	for i := range 20 {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			ok, err := s.Acquire(t.Context(), "provider:nano", 3, fmt.Sprint(i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 3 {
		t.Fatalf("two machines took %d slots of a cap of 3", won.Load())
	}
	if n := inUse(t, s2, "provider:nano"); n != 3 {
		t.Fatalf("InUse seen from the second machine = %d, want 3", n)
	}
	// A slot taken through one machine is renewed and released through the
	// other, as when a task moves between workers.
	if !acquire(t, s1, "org:1", 1, "task", time.Minute) {
		t.Fatal("Acquire on an empty cap refused")
	}
	if err := s2.Renew(t.Context(), "org:1", "task", time.Minute); err != nil {
		t.Fatalf("Renew from the other machine: %v", err)
	}
	if err := s2.Release(t.Context(), "org:1", "task"); err != nil {
		t.Fatal(err)
	}
	if !acquire(t, s1, "org:1", 1, "task-2", time.Minute) {
		t.Fatal("slot released by the other machine still taken")
	}
}

func TestRedisSemaphoreKeyExpires(t *testing.T) {
	t.Parallel()
	c := testRedisClient(t)
	prefix := testPrefix(t, c)
	s := NewRedisSemaphore(c, prefix)
	acquire(t, s, "k", 2, "a", 2*time.Second)
	acquire(t, s, "k", 2, "b", 5*time.Second)
	ttl, err := c.PTTL(t.Context(), prefix+":sem:k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 4*time.Second || ttl > 5*time.Second+10*time.Millisecond {
		t.Fatalf("cap key TTL = %s, want the last lease's 5s", ttl)
	}
}
