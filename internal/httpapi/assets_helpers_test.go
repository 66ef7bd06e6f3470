package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/storage"
)

// ffmpegFile renders a test file with ffmpeg's lavfi sources and returns
// its bytes.
func ffmpegFile(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	full := append([]string{"-v", "error", "-y"}, args...)
	if msg, err := exec.Command("ffmpeg", append(full, out)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testClip is a one-second 320x180 H.264 MP4 with AAC audio.
func testClip(t testing.TB) []byte {
	return ffmpegFile(t, "clip.mp4", "-f", "lavfi", "-i",
		"testsrc2=size=320x180:rate=25:duration=1", "-f", "lavfi", "-i",
		"sine=frequency=440:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
}

// testStill is a 64x48 PNG.
func testStill(t testing.TB) []byte {
	return ffmpegFile(t, "still.png", "-f", "lavfi", "-i", "testsrc=size=64x48",
		"-frames:v", "1")
}

// multipartUpload builds an upload body: project_id first, then the file.
func multipartUpload(t testing.TB, projectID, name string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("project_id", projectID); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// upload posts a file to POST /api/v1/assets; the exchange is checked
// against the OpenAPI document like every other.
func (b *testBundle) upload(t testing.TB, token, projectID, name string,
	content []byte) *result {
	t.Helper()
	raw, ct := multipartUpload(t, projectID, name, content)
	return b.do(t, "POST", "/api/v1/assets", token, raw, map[string]string{"Content-Type": ct},
		false)
}

const (
	coldAccess = "reelforge-cold"
	coldSecret = "cold-secret-reelforge-0123456789abcdef"
	coldBucket = "reelforge-cold"
)

// startColdDisk runs a versitygw S3 gateway over a temp directory, the
// same real server the storage package tests against, and returns an S3
// disk on its bucket. It skips without versitygw outside CI.
func startColdDisk(t *testing.T) storage.Disk {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("versitygw is required under CI")
		}
		t.Skip("versitygw not on PATH")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, coldBucket), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logFile, err := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--access", coldAccess, "--secret", coldSecret, "--port", addr,
		"posix", dir)
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
			break
		}
		select {
		case werr := <-exited:
			out, _ := os.ReadFile(logFile.Name())
			t.Fatalf("versitygw exited early (%v):\n%s", werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s", addr)
		}
	}
	disk, err := storage.NewS3(context.Background(), storage.S3Config{Endpoint: addr,
		Region: "us-east-1", Bucket: coldBucket, AccessKeyID: coldAccess,
		SecretAccessKey: coldSecret, PathStyle: true, PartSize: storage.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	return disk
}

// filesUnder lists the regular files below dir, relative to it.
func filesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// zipEntries opens a ZIP, extracts every entry into a temp dir and maps
// each entry name to its extracted file.
func zipEntries(t testing.TB, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("opening the export: %v", err)
	}
	defer zr.Close()
	dir := t.TempDir()
	out := map[string]string{}
	for i, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, fmt.Sprintf("%d%s", i, filepath.Ext(f.Name)))
		w, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatalf("reading %s: %v", f.Name, err)
		}
		rc.Close()
		w.Close()
		out[f.Name] = dst
	}
	return out
}

// rbacPNG is a small real PNG made with the standard library, cheap enough
// for every RBAC fixture.
func rbacPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
