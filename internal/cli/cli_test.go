package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/db/dbtest"
)

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func login(addr, email, password string) (int, error) {
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json",
		strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestServeFirstStartAndCreateUserBesideIt starts serve on an empty data
// directory, reads the generated owner password it prints, and creates a
// second user with `admin create-user --data` while serve keeps running.
func TestServeFirstStartAndCreateUserBesideIt(t *testing.T) {
	t.Setenv("PASSWORD_HASH_COST", "4")
	t.Setenv("LOG_LEVEL", "error")
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"serve", "--addr", addr, "--data", dir}, &out, &errs) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errs.String())
		}
	}()
	var password string
	re := regexp.MustCompile(`password: (\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(out.String()); m != nil &&
			strings.Contains(out.String(), "running at") {
			password = m[1]
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if password == "" {
		t.Fatalf("serve did not print the owner password: %s %s", out.String(), errs.String())
	}
	if code, err := login(addr, "admin@reelforge.local", password); err != nil || code != 200 {
		t.Fatalf("owner login: %d %v", code, err)
	}

	var cout, cerr bytes.Buffer
	code := Run(context.Background(), []string{"admin", "create-user", "--data", dir,
		"--email", "Editor@Example.com", "--password", "correct-horse", "--name", "Ed"},
		&cout, &cerr)
	if code != 0 || !strings.Contains(cout.String(), "editor@example.com") {
		t.Fatalf("create-user: %d %s %s", code, cout.String(), cerr.String())
	}
	if code, err := login(addr, "editor@example.com", "correct-horse"); err != nil || code != 200 {
		t.Fatalf("new user login against the running server: %d %v", code, err)
	}
	cout.Reset()
	cerr.Reset()
	code = Run(context.Background(), []string{"admin", "create-user", "--data", dir,
		"--email", "editor@example.com", "--password", "another-one"}, &cout, &cerr)
	if code == 0 || !strings.Contains(cerr.String(), "email") {
		t.Fatalf("duplicate user: exit %d, stderr %q", code, cerr.String())
	}
	// A restart keeps the key, so the existing owner can still sign in.
	if !strings.Contains(out.String(), "shown only once") {
		t.Fatal("no first-start notice")
	}
}

func TestMigrateStatusDownUp(t *testing.T) {
	t.Setenv("LOG_LEVEL", "error")
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		if code := Run(context.Background(), append(args, "--data", dir), &out, &errs); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs.String())
		}
		return out.String()
	}
	if s := run("migrate", "status"); !strings.Contains(s, "pending") {
		t.Fatalf("fresh status: %s", s)
	}
	run("migrate", "up")
	if s := run("migrate", "status"); strings.Contains(s, "pending") {
		t.Fatalf("after up: %s", s)
	}
	run("migrate", "down")
	if s := run("migrate", "status"); !strings.Contains(s, "pending") {
		t.Fatalf("after down: %s", s)
	}
}

func TestInvalidSettingStopsWithOneLine(t *testing.T) {
	t.Setenv("DB_CONNECTION", "oracle")
	var out, errs bytes.Buffer
	code := Run(context.Background(), []string{"serve", "--data", t.TempDir()}, &out, &errs)
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], "DB_CONNECTION") {
		t.Fatalf("exit %d, stderr %q", code, errs.String())
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errs bytes.Buffer
	if Run(context.Background(), []string{"version"}, &out, &errs) != 0 ||
		!strings.HasPrefix(out.String(), "reelforge ") {
		t.Fatalf("version: %q", out.String())
	}
	if Run(context.Background(), []string{"frobnicate"}, &out, &errs) != 2 {
		t.Fatal("an unknown command should exit 2")
	}
}

// TestServeOnMySQL starts the same binary code on MySQL (MariaDB in tests)
// with the operators' variable names, and signs in the owner it seeded.
func TestServeOnMySQL(t *testing.T) {
	cfg := dbtest.EmptyMySQL(t)
	t.Setenv("DB_CONNECTION", "mysql")
	t.Setenv("DB_HOST", cfg.Host)
	t.Setenv("DB_PORT", strconv.Itoa(cfg.Port))
	t.Setenv("DB_DATABASE", cfg.Name)
	t.Setenv("DB_USERNAME", cfg.User)
	t.Setenv("DB_PASSWORD", cfg.Password)
	t.Setenv("REELFORGE_ADMIN_EMAIL", "Boss@Example.com")
	t.Setenv("REELFORGE_ADMIN_PASSWORD", "mysql-owner-pw")
	t.Setenv("PASSWORD_HASH_COST", "4")
	t.Setenv("LOG_LEVEL", "error")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", addr, "--data", t.TempDir()}, &out, &errs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errs.String())
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if strings.Contains(out.String(), "running at") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(out.String(), "password:") {
		t.Fatal("printed a generated password although one was configured")
	}
	if code, err := login(addr, "boss@example.com", "mysql-owner-pw"); err != nil || code != 200 {
		t.Fatalf("owner login on MySQL: %d %v (%s)", code, err, errs.String())
	}
	var sout, serr bytes.Buffer
	if Run(context.Background(), []string{"migrate", "status"}, &sout, &serr) != 0 ||
		strings.Contains(sout.String(), "pending") {
		t.Fatalf("migrate status on MySQL: %s %s", sout.String(), serr.String())
	}
}
