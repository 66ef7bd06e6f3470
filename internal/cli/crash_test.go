package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/db/dbtest"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/provider/sim"
	"github.com/reelforge/reelforge/internal/store"
)

// TestWorkerKilledMidRunLosesNothing runs 100 tasks on two worker processes
// that share a database, a queue and a remote simulator, SIGKILLs one of
// them mid-run, and checks that every task still ends, succeeded, and that
// the simulator saw exactly one create per task: the survivor resumed the
// dead worker's provider jobs instead of creating them again. It runs on
// SQLite with the database queue and on MySQL with the Redis queue.
func TestWorkerKilledMidRunLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	for _, backend := range []string{"sqlite+database", "mysql+redis"} {
		t.Run(backend, func(t *testing.T) { crashRun(t, backend) })
	}
}

func crashRun(t *testing.T, backend string) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sim.New(sim.Config{QueueDelay: 200 * time.Millisecond,
		RenderDelay: 300 * time.Millisecond, Preset: "ultrafast", MaxParallelRenders: 2,
		OutputDir: filepath.Join(dir, "sim"), BaseURL: "http://placeholder.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Start()
	defer srv.Close()
	defer s.Close()
	s2, err := sim.New(sim.Config{QueueDelay: 200 * time.Millisecond,
		RenderDelay: 300 * time.Millisecond, Preset: "ultrafast", MaxParallelRenders: 2,
		OutputDir: filepath.Join(dir, "sim"), BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	srv.Config.Handler = s2.Handler()

	key, _, _ := config.GenerateAppKey()
	vars := map[string]string{
		"APP_KEY": key, "REELFORGE_DATA": filepath.Join(dir, "data"), "LOG_LEVEL": "warn",
		"PROVIDER_SIM_BASE_URL": srv.URL, "REELFORGE_OUTBOUND_ALLOW": "127.0.0.1",
		"WORKER_CONCURRENCY": "8", "PROVIDER_CONCURRENCY": "sim=100", "QUEUE_LEASE": "3s",
		"PASSWORD_HASH_COST": "4",
	}
	if backend == "mysql+redis" {
		mc := dbtest.EmptyMySQL(t)
		vars["DB_CONNECTION"], vars["DB_HOST"] = "mysql", mc.Host
		vars["DB_PORT"], vars["DB_DATABASE"] = strconv.Itoa(mc.Port), mc.Name
		vars["DB_USERNAME"], vars["DB_PASSWORD"] = mc.User, mc.Password
		vars["QUEUE_CONNECTION"] = "redis"
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.Load(config.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(ctx, &env{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	owner, err := createUser(ctx, a.db, cfg, "crash@example.com", "", "crash-test-pw")
	if err != nil {
		t.Fatal(err)
	}
	orgs, _ := a.store.OrganizationsOf(ctx, owner.ID)
	proj := &store.Project{OrgID: orgs[0].ID, Name: "crash"}
	if err := a.store.CreateProject(ctx, proj); err != nil {
		t.Fatal(err)
	}
	var tasks []string
	for j := range 5 {
		var variants []engine.Variant
		for i := range 20 {
			variants = append(variants, engine.Variant{Provider: "sim", Kind: "text_to_image",
				Prompt: fmt.Sprintf("frame %d of batch %d", i, j)})
		}
		job, _, err := a.engine.Submit(ctx, engine.Submission{Project: proj,
			Actor:   engine.Actor{UserID: owner.ID, OrgID: proj.OrgID},
			Request: engine.Request{ProjectID: proj.ID, Variants: variants, Duration: 1}})
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := a.store.JobTasks(ctx, job.ID)
		for _, tk := range ts {
			tasks = append(tasks, tk.ID)
		}
	}
	if len(tasks) != 100 {
		t.Fatalf("%d tasks, want 100", len(tasks))
	}

	victim := startWorker(t)
	survivor := startWorker(t)
	// Kill one worker once work is under way but far from done.
	waitFor(t, 120*time.Second, func() bool { return s2.TotalCreates() >= 20 })
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	done := waitFor(t, 360*time.Second, func() bool {
		n := 0
		for _, id := range tasks {
			if tk, err := a.store.TaskByID(ctx, id); err == nil && store.Terminal(tk.Status) {
				n++
			}
		}
		return n == len(tasks)
	})
	_ = survivor.Process.Signal(syscall.SIGTERM)
	_ = survivor.Wait()
	if !done {
		counts := map[string]int{}
		for _, id := range tasks {
			if tk, err := a.store.TaskByID(ctx, id); err == nil {
				counts[tk.Status+"/"+tk.ErrorCode]++
			}
		}
		t.Fatalf("not every task reached a final status after the kill: %v", counts)
	}
	for _, id := range tasks {
		tk, _ := a.store.TaskByID(ctx, id)
		if tk.Status != store.StatusSucceeded {
			t.Errorf("task %s ended %s: %s %s", id, tk.Status, tk.ErrorCode, tk.ErrorMessage)
		}
		if n := s2.Creates(id); n != 1 {
			t.Errorf("task %s was created %d times at the provider, want exactly 1", id, n)
		}
	}
}

// startWorker runs `reelforge worker` as a child process of this test
// binary, with the environment set by the test.
func startWorker(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REELFORGE_TEST_RUN=worker")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("worker %d output:\n%s", cmd.Process.Pid, out.String())
		}
	})
	return cmd
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		if cond() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cond()
}
