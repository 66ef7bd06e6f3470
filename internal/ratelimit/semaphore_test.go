package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// acquire calls Acquire and fails the test on error.
func acquire(t *testing.T, s Semaphore, key string, max int, holder string,
	ttl time.Duration) bool {
	t.Helper()
	ok, err := s.Acquire(t.Context(), key, max, holder, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q, %d, %q): %v", key, max, holder, err)
	}
	return ok
}

// inUse calls InUse and fails the test on error.
func inUse(t *testing.T, s Semaphore, key string) int {
	t.Helper()
	n, err := s.InUse(t.Context(), key)
	if err != nil {
		t.Fatalf("InUse(%q): %v", key, err)
	}
	return n
}

func TestAcquireExactlyMax(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		var won atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Go(func() {
				<-start
				ok, err := s.Acquire(context.Background(), "provider:runway", 5,
					fmt.Sprintf("task-%d", i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if won.Load() != 5 {
			t.Fatalf("%d of 50 goroutines acquired a cap of 5", won.Load())
		}
		if n := inUse(t, s, "provider:runway"); n != 5 {
			t.Fatalf("InUse = %d, want 5", n)
		}
	})
}

func TestReleaseFreesSlot(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		if !acquire(t, s, "k", 1, "a", time.Minute) {
			t.Fatal("first Acquire of an empty cap refused")
		}
		if acquire(t, s, "k", 1, "b", time.Minute) {
			t.Fatal("second holder acquired a cap of 1")
		}
		if err := s.Release(t.Context(), "k", "a"); err != nil {
			t.Fatal(err)
		}
		if n := inUse(t, s, "k"); n != 0 {
			t.Fatalf("InUse after Release = %d, want 0", n)
		}
		if !acquire(t, s, "k", 1, "b", time.Minute) {
			t.Fatal("Acquire after Release refused")
		}
		// Releasing what one does not hold is harmless and frees nothing.
		if err := s.Release(t.Context(), "k", "a"); err != nil {
			t.Fatalf("Release of a slot not held: %v", err)
		}
		if n := inUse(t, s, "k"); n != 1 {
			t.Fatalf("InUse = %d after a stray Release, want 1", n)
		}
	})
}

func TestExpiredLeaseIsReclaimed(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		const ttl = 200 * time.Millisecond
		acquire(t, s, "crash", 1, "dead-worker", ttl)
		acquire(t, s, "renewed", 1, "live-worker", ttl)
		time.Sleep(ttl / 2)
		if err := s.Renew(t.Context(), "renewed", "live-worker", time.Minute); err != nil {
			t.Fatalf("Renew of a live lease: %v", err)
		}
		if acquire(t, s, "crash", 1, "other", time.Minute) {
			t.Fatal("slot taken from a holder whose lease is still live")
		}
		time.Sleep(ttl/2 + 50*time.Millisecond)
		if n := inUse(t, s, "crash"); n != 0 {
			t.Fatalf("InUse of an expired lease = %d, want 0", n)
		}
		if !acquire(t, s, "crash", 1, "other", time.Minute) {
			t.Fatal("slot of an expired lease not reclaimed")
		}
		err := s.Renew(t.Context(), "crash", "dead-worker", time.Minute)
		if !errors.Is(err, ErrNotHeld) {
			t.Fatalf("Renew after the slot was reclaimed: err = %v, want ErrNotHeld", err)
		}
		// The renewed lease outlived its first ttl.
		if acquire(t, s, "renewed", 1, "other", time.Minute) {
			t.Fatal("renewed lease lost its slot")
		}
	})
}

func TestReacquireIsIdempotent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		for range 3 {
			if !acquire(t, s, "org:1", 2, "task-1", time.Minute) {
				t.Fatal("holder refused its own slot")
			}
		}
		if n := inUse(t, s, "org:1"); n != 1 {
			t.Fatalf("InUse after 3 Acquires by one holder = %d, want 1", n)
		}
		if !acquire(t, s, "org:1", 2, "task-2", time.Minute) {
			t.Fatal("second holder refused with one slot free")
		}
		if acquire(t, s, "org:1", 2, "task-3", time.Minute) {
			t.Fatal("third holder acquired a cap of 2")
		}
		if !acquire(t, s, "org:1", 2, "task-1", time.Minute) {
			t.Fatal("holder refused its own slot when the cap is full")
		}
	})
}

func TestRenewNotHeld(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		err := s.Renew(t.Context(), "k", "nobody", time.Minute)
		if !errors.Is(err, ErrNotHeld) {
			t.Fatalf("Renew of a slot never held: err = %v, want ErrNotHeld", err)
		}
		acquire(t, s, "k", 1, "a", time.Minute)
		if err := s.Release(t.Context(), "k", "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.Renew(t.Context(), "k", "a", time.Minute); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("Renew after Release: err = %v, want ErrNotHeld", err)
		}
	})
}

func TestAcquireAllOrNothing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		reqs := []SlotRequest{{Key: "provider:veo", Max: 3}, {Key: "org:4", Max: 1}}
		acquire(t, s, "org:4", 1, "other-task", time.Minute)
		ok, err := AcquireAll(t.Context(), s, reqs, "task", time.Minute)
		if err != nil || ok {
			t.Fatalf("AcquireAll with the org cap full: %v, %v, want false", ok, err)
		}
		if n := inUse(t, s, "provider:veo"); n != 0 {
			t.Fatalf("refused AcquireAll left %d provider slots taken, want 0", n)
		}
		if err := s.Release(t.Context(), "org:4", "other-task"); err != nil {
			t.Fatal(err)
		}
		ok, err = AcquireAll(t.Context(), s, reqs, "task", time.Minute)
		if err != nil || !ok {
			t.Fatalf("AcquireAll with room: %v, %v, want true", ok, err)
		}
		for _, r := range reqs {
			if n := inUse(t, s, r.Key); n != 1 {
				t.Errorf("InUse(%q) = %d, want 1", r.Key, n)
			}
		}
	})
}

func TestAcquireAllFallbackUndoes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		inner := b.semaphore(t)
		s := plainSemaphore{inner}
		acquire(t, inner, "c", 1, "other-task", time.Minute)
		reqs := []SlotRequest{{Key: "a", Max: 2}, {Key: "b", Max: 2}, {Key: "c", Max: 1}}
		ok, err := AcquireAll(t.Context(), s, reqs, "task", time.Minute)
		if err != nil || ok {
			t.Fatalf("fallback AcquireAll with c full: %v, %v, want false", ok, err)
		}
		for _, k := range []string{"a", "b"} {
			if n := inUse(t, inner, k); n != 0 {
				t.Errorf("fallback left %d slots of %q taken, want 0", n, k)
			}
		}
	})
}

func TestAcquireUncapped(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		for i := range 20 {
			if !acquire(t, s, "provider:sim", 0, fmt.Sprint(i), time.Minute) {
				t.Fatalf("holder %d refused by an uncapped key", i)
			}
		}
		if n := inUse(t, s, "provider:sim"); n != 20 {
			t.Fatalf("InUse of an uncapped key = %d, want 20", n)
		}
	})
}

func TestSemaphoreInvalid(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.semaphore(t)
		ctx := t.Context()
		_, err1 := s.Acquire(ctx, "", 1, "h", time.Minute)
		_, err2 := s.Acquire(ctx, "k", 1, "", time.Minute)
		_, err3 := s.Acquire(ctx, "k", 1, "h", 0)
		err4 := s.Renew(ctx, "k", "h", time.Microsecond)
		_, err5 := s.InUse(ctx, "")
		for i, err := range []error{err1, err2, err3, err4, err5} {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("case %d: err = %v, want ErrInvalidRequest", i+1, err)
			}
		}
	})
}

func TestMemorySemaphoreEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	s := NewMemorySemaphore()
	s.sweepEvery = 20 * time.Millisecond
	for i := range 100 {
		acquire(t, s, fmt.Sprintf("org:%d", i), 1, "h", 10*time.Millisecond)
	}
	if s.Len() != 100 {
		t.Fatalf("Len = %d after 100 keys, want 100", s.Len())
	}
	time.Sleep(30 * time.Millisecond)
	acquire(t, s, "org:new", 1, "h", time.Minute)
	if s.Len() != 1 {
		t.Fatalf("Len = %d after the expired keys' sweep, want 1", s.Len())
	}
}
