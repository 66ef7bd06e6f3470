package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/db/dbtest"
)

// The crash test re-executes the test binary as a worker (TestHelperProcess)
// configured through these variables.
const (
	helperEnv        = "REELFORGE_QUEUE_HELPER"
	helperBackendEnv = "REELFORGE_QUEUE_HELPER_BACKEND" // sqlite | mysql | redis
	helperTargetEnv  = "REELFORGE_QUEUE_HELPER_TARGET"  // SQLite path, MySQL database or Redis prefix
	helperQueueEnv   = "REELFORGE_QUEUE_HELPER_QUEUE"
	helperLogEnv     = "REELFORGE_QUEUE_HELPER_LOG"
	crashLease       = time.Second
)

// ackRecorder wraps a backend to log every Ack: "try ID" before the call and
// "ack ID" once it succeeded, so that after a SIGKILL an ack that may or may
// not have happened shows as a try without an ack.
type ackRecorder struct {
	Backend
	mu  sync.Mutex
	log func(line string)
}

func (r *ackRecorder) Ack(ctx context.Context, e *Entry) error {
	r.log("try " + e.ID)
	err := r.Backend.Ack(ctx, e)
	if err == nil {
		r.log("ack " + e.ID)
	}
	return err
}

// TestHelperProcess is the worker of TestCrashRecovery; it does nothing when
// run as a test.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return
	}
	os.Exit(runHelperProcess())
}

// runHelperProcess runs a pool until it is killed (or for a minute, should
// its parent die first).
func runHelperProcess() int {
	ctx := context.Background()
	var b Backend
	target := os.Getenv(helperTargetEnv)
	switch os.Getenv(helperBackendEnv) {
	case "sqlite":
		d, err := db.Open(ctx, db.Config{Dialect: db.SQLite, Path: target})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		b = NewDatabase(d)
	case "mysql":
		cfg := testMySQLBase()
		cfg.Name = target
		d, err := db.Open(ctx, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		b = NewDatabase(d)
	case "redis":
		b = NewRedis(RedisConfig{Client: redis.NewClient(&redis.Options{Addr: redisAddr()}), Prefix: target})
	default:
		fmt.Fprintln(os.Stderr, "unknown backend")
		return 2
	}
	f, err := os.OpenFile(os.Getenv(helperLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rec := &ackRecorder{Backend: b}
	rec.log = func(line string) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		_, _ = f.WriteString(line + "\n") // one write(2): survives SIGKILL
	}
	p, err := NewPool(PoolConfig{Backend: rec, Queues: []string{os.Getenv(helperQueueEnv)},
		Concurrency: 4, Lease: crashLease, PollInterval: 10 * time.Millisecond, Logger: quietLogger,
		Handler: func(ctx context.Context, e *Entry) error {
			// 10-40ms, so that the four handlers finish at different times.
			n, _ := strconv.Atoi(e.TaskID)
			time.Sleep(time.Duration(10+n%4*10) * time.Millisecond)
			return nil
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := p.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	time.Sleep(time.Minute)
	return 3
}

// testMySQLBase is the MySQL server of dbtest, from the same variables.
func testMySQLBase() db.Config {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	port, _ := strconv.Atoi(get("REELFORGE_TEST_MYSQL_PORT", "3306"))
	return db.Config{Dialect: db.MySQL, Host: get("REELFORGE_TEST_MYSQL_HOST", "127.0.0.1"), Port: port,
		User: get("REELFORGE_TEST_MYSQL_USER", "root"), Password: os.Getenv("REELFORGE_TEST_MYSQL_PASSWORD")}
}

// TestCrashRecovery: a worker process claims entries and is SIGKILLed in the
// middle of its work; a pool in this process then finishes every entry, and
// every entry is acked exactly once over both processes.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "mysql", "redis"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var (
				b      Backend
				target string
			)
			switch kind {
			case "sqlite":
				target = filepath.Join(t.TempDir(), "crash.db")
				d, err := db.Open(context.Background(), db.Config{Dialect: db.SQLite, Path: target})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = d.Close() })
				if _, err := d.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				b = NewDatabase(d)
			case "mysql":
				d := dbtest.Open(t, db.MySQL)
				if err := d.QueryRow("SELECT DATABASE()").Scan(&target); err != nil {
					t.Fatal(err)
				}
				b = NewDatabase(d)
			case "redis":
				r := newRedisBackend(t)
				b, target = r, r.prefix
			}
			runCrash(t, b, kind, target)
		})
	}
}

func runCrash(t *testing.T, b Backend, kind, target string) {
	const n = 300
	q := newQueue()
	for i := range n {
		enqueue(t, b, EnqueueParams{Queue: q, TaskID: strconv.Itoa(i), Kind: "run"})
	}
	logPath := filepath.Join(t.TempDir(), "acks.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperBackendEnv+"="+kind, helperTargetEnv+"="+target,
		helperQueueEnv+"="+q, helperLogEnv+"="+logPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	childAcks := func() int {
		data, _ := os.ReadFile(logPath)
		return strings.Count(string(data), "ack ")
	}
	// Kill the worker in the middle of its work: with acks done and entries
	// leased.
	eventually(t, 30*time.Second, "the worker process to ack 40 entries and hold leases", func() bool {
		if cmd.ProcessState != nil {
			t.Fatalf("worker exited early: %s", stderr.String())
		}
		return childAcks() >= 40 && statsOf(t, b, q).Running > 0
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	st := statsOf(t, b, q)
	t.Logf("worker killed after %d acks; %d entries leased to the dead worker, %d ready",
		childAcks(), st.Running, st.Ready)

	var (
		mu           sync.Mutex
		parentAcks   = map[string]int{}
		reclaimed    int
		handledAfter = map[string]bool{}
	)
	rec := &ackRecorder{Backend: b}
	rec.log = func(line string) {
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			mu.Lock()
			parentAcks[id]++
			mu.Unlock()
		}
	}
	p := startPool(t, PoolConfig{Backend: rec, Queues: []string{q}, Concurrency: 4, Lease: crashLease,
		PollInterval: 20 * time.Millisecond,
		Handler: func(ctx context.Context, e *Entry) error {
			mu.Lock()
			handledAfter[e.ID] = true
			if e.Attempts > 0 {
				if e.Attempts != 1 || e.LastError != lastErrorLeaseExpired {
					t.Errorf("reclaimed entry %+v: want 1 attempt, lease expired", e)
				}
				reclaimed++
			}
			mu.Unlock()
			return nil
		}})
	eventually(t, 60*time.Second, "the pool to finish every entry", func() bool {
		return statsOf(t, b, q) == (QueueStats{})
	})
	// The last ack may be committed but not yet recorded: drain first.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Stop(sctx); err != nil {
		t.Fatal(err)
	}

	// Every entry acked exactly once over both processes. An ack the worker
	// tried but did not confirm before the kill counts once if neither
	// process confirmed one (it happened just before the kill).
	childTried, childAcked := map[string]int{}, map[string]int{}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		op, id, _ := strings.Cut(sc.Text(), " ")
		if op == "ack" {
			childAcked[id]++
		} else {
			childTried[id]++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	all := map[string]bool{}
	for _, m := range []map[string]int{childTried, childAcked, parentAcks} {
		for id := range m {
			all[id] = true
		}
	}
	unconfirmed := 0
	for id := range all {
		acks := childAcked[id] + parentAcks[id]
		switch {
		case acks == 1:
		case acks == 0 && childTried[id] > 0:
			unconfirmed++
		default:
			t.Errorf("entry %s acked %d times by the worker and %d times here", id, childAcked[id], parentAcks[id])
		}
		if childAcked[id] > 0 && handledAfter[id] {
			t.Errorf("entry %s ran again after the worker acked it", id)
		}
	}
	if len(all) != n {
		t.Errorf("%d entries acked, want %d", len(all), n)
	}
	if unconfirmed > 4 {
		t.Errorf("%d acks unconfirmed, but the worker ran only 4 at a time", unconfirmed)
	}
	if reclaimed == 0 {
		t.Error("no entry was reclaimed from the killed worker's expired leases")
	}
	t.Logf("worker acked %d, this pool acked %d (%d reclaimed after lease expiry), %d unconfirmed at the kill",
		len(childAcked), len(parentAcks), reclaimed, unconfirmed)
}
