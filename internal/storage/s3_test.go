package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	testS3Access = "reelforge-test"
	testS3Secret = "s3cr3t-reelforge-test-key-0123456789"
	testS3Bucket = "reelforge-test"
)

// testS3Config returns a config for a real S3-compatible server: the one
// named by REELFORGE_TEST_S3_ENDPOINT (+ _ACCESS_KEY, _SECRET_KEY, _BUCKET,
// optional _REGION), or else a versitygw gateway started for this test. It
// skips when neither is available outside CI and fails inside CI.
func testS3Config(t testing.TB) S3Config {
	t.Helper()
	if ep := os.Getenv("REELFORGE_TEST_S3_ENDPOINT"); ep != "" {
		region := os.Getenv("REELFORGE_TEST_S3_REGION")
		if region == "" {
			region = "us-east-1"
		}
		return S3Config{
			Endpoint:        ep,
			Region:          region,
			Bucket:          os.Getenv("REELFORGE_TEST_S3_BUCKET"),
			AccessKeyID:     os.Getenv("REELFORGE_TEST_S3_ACCESS_KEY"),
			SecretAccessKey: os.Getenv("REELFORGE_TEST_S3_SECRET_KEY"),
			PathStyle:       true,
			CreateBucket:    true,
			PartSize:        MinPartSize,
		}
	}
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		msg := "no S3 server for tests: install versitygw on PATH or set " +
			"REELFORGE_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY and _BUCKET"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return S3Config{
		Endpoint:        startVersityGW(t, bin),
		Region:          "us-east-1",
		Bucket:          testS3Bucket,
		AccessKeyID:     testS3Access,
		SecretAccessKey: testS3Secret,
		PathStyle:       true,
		PartSize:        MinPartSize,
	}
}

// startVersityGW runs a versitygw posix gateway over a temp dir holding one
// bucket directory, waits until it accepts connections, and stops it when
// the test ends. It returns the gateway's host:port.
func startVersityGW(t testing.TB, bin string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, testS3Bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--access", testS3Access, "--secret", testS3Secret,
		"--port", addr, "posix", dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return addr
		}
		select {
		case werr := <-exited:
			exited <- werr
			out, _ := os.ReadFile(logPath)
			t.Fatalf("versitygw exited early (%v):\n%s", werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("versitygw did not listen on %s within 30s:\n%s", addr, out)
		}
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func newTestS3(t testing.TB) *S3 {
	t.Helper()
	s, err := NewS3(t.Context(), testS3Config(t))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

func TestS3Disk(t *testing.T) {
	testDisk(t, newTestS3(t))
}

func TestCopyBetweenDisks(t *testing.T) {
	ctx := t.Context()
	hot, cold := newTestLocal(t), newTestS3(t)
	key := "copy-" + randomHex(t, 6) + "/render.mp4"
	t.Cleanup(func() { _ = cold.Delete(context.Background(), key) })
	const size = 7<<20 + 123 // larger than one 5 MiB part
	if _, err := hot.Put(ctx, key, patterned(3, size), size, ""); err != nil {
		t.Fatal(err)
	}
	obj, err := Copy(ctx, cold, hot, key)
	if err != nil {
		t.Fatalf("Copy hot to cold: %v", err)
	}
	if obj.Size != size || obj.ContentType != "video/mp4" {
		t.Fatalf("copied object %+v", obj)
	}
	if err := hot.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, hot, cold, key); err != nil {
		t.Fatalf("Copy cold to hot: %v", err)
	}
	p, _ := hot.Path(key)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	got, want := sumReader(t, f), patternSum(3, size)
	if !bytes.Equal(got, want) {
		t.Fatal("round-tripped file differs")
	}
	_, err = Copy(ctx, cold, hot, "copy-missing/none.mp4")
	mustIs(t, "Copy of missing key", err, ErrNotFound)
}

func TestS3SecretNeverInErrors(t *testing.T) {
	cfg := testS3Config(t)
	cfg.SecretAccessKey = "wrong-" + cfg.SecretAccessKey
	cfg.CreateBucket = false // NewS3 then needs no request and must succeed
	s, err := NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	_, err = s.Put(t.Context(), "x/y.bin", strings.NewReader("abc"), 3, "")
	errs = append(errs, err)
	_, err = s.Stat(t.Context(), "x/y.bin")
	errs = append(errs, err)
	_, _, err = s.Open(t.Context(), "x/y.bin")
	errs = append(errs, err)
	cfg.CreateBucket = true
	_, err = NewS3(t.Context(), cfg)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded with a wrong secret", i)
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
			if strings.Contains(s, cfg.SecretAccessKey) || strings.Contains(s, testS3Secret) {
				t.Fatalf("error leaks the secret: %s", s)
			}
		}
	}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(s, cfg.SecretAccessKey) {
			t.Fatalf("config string leaks the secret: %s", s)
		}
	}
}

func TestS3CDNURL(t *testing.T) {
	s, err := NewS3(t.Context(), S3Config{Endpoint: "127.0.0.1:1", Bucket: "b",
		CDNBaseURL: "https://cdn.example.com/media/"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.URL(t.Context(), "a/b.mp4", time.Hour, "")
	if err != nil || u != "https://cdn.example.com/media/a/b.mp4" {
		t.Fatalf("URL = %q, %v", u, err)
	}
}

func TestNewS3Config(t *testing.T) {
	ok := S3Config{Endpoint: "127.0.0.1:9000", Bucket: "b"}
	bad := []func(c *S3Config){
		func(c *S3Config) { c.Endpoint = "" },
		func(c *S3Config) { c.Endpoint = "host/path" },
		func(c *S3Config) { c.Endpoint = "ftp://host" },
		func(c *S3Config) { c.Endpoint = "https://host/path" },
		func(c *S3Config) { c.Bucket = "" },
		func(c *S3Config) { c.AccessKeyID = "only-id" },
		func(c *S3Config) { c.PartSize = MinPartSize - 1 },
		func(c *S3Config) { c.CDNBaseURL = "cdn.example.com" },
	}
	for i, edit := range bad {
		c := ok
		edit(&c)
		if _, err := NewS3(t.Context(), c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: NewS3(%v) = %v, want ErrInvalidConfig", i, c, err)
		}
	}
	host, secure, err := parseEndpoint("https://s3.example.com:9443", false)
	if err != nil || host != "s3.example.com:9443" || !secure {
		t.Fatalf("parseEndpoint = %q %v %v", host, secure, err)
	}
}

func TestOSSPreset(t *testing.T) {
	for _, r := range []string{"cn-hangzhou", "oss-cn-hangzhou"} {
		c := OSSPreset(r)
		if c.Endpoint != "oss-cn-hangzhou.aliyuncs.com" || c.Region != "cn-hangzhou" ||
			!c.UseSSL || c.PathStyle || c.PartSize != DefaultPartSize {
			t.Fatalf("OSSPreset(%q) = %v", r, c)
		}
	}
}
