package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

// invalidKeys are keys every disk must refuse before touching storage.
var invalidKeys = []string{
	"", ".", "..", "../x", "a/../../b", "x/../y", "a/./b", "a/.", "/abs", "a//b", "a/",
	"a\\b", "..\\x", "a\x00b", "a\nb", "a b", "caf\u00e9.mp4", "%2e%2e/x", "a?b", "a#b",
	"a:b", "~/x", strings.Repeat("a", MaxSegmentLen+1),
	strings.Repeat(strings.Repeat("b", 200)+"/", 3)[:MaxKeyLen+1],
}

// testDisk is the behaviour every Disk must share. It only uses keys under a
// fresh random prefix, so it can run against a shared remote bucket.
func testDisk(t *testing.T, d Disk) {
	ctx := t.Context()
	prefix := "t-" + randomHex(t, 6) + "/"
	t.Cleanup(func() {
		for _, k := range []string{"small/hello.txt", "big/stream.bin", "media/clip.mp4",
			"media/short.mp4", "guard/a.bin"} {
			_ = d.Delete(context.Background(), prefix+k)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		for _, k := range invalidKeys {
			_, err := d.Put(ctx, k, strings.NewReader("x"), 1, "text/plain")
			mustIs(t, "Put "+fmt.Sprintf("%q", k), err, ErrInvalidKey)
			_, _, err = d.Open(ctx, k)
			mustIs(t, "Open", err, ErrInvalidKey)
			_, err = d.Stat(ctx, k)
			mustIs(t, "Stat", err, ErrInvalidKey)
			mustIs(t, "Delete", d.Delete(ctx, k), ErrInvalidKey)
			_, err = d.URL(ctx, k, time.Minute, "")
			mustIs(t, "URL", err, ErrInvalidKey)
		}
	})

	t.Run("MissingKey", func(t *testing.T) {
		k := prefix + "missing/nothing.bin"
		_, _, err := d.Open(ctx, k)
		mustIs(t, "Open", err, ErrNotFound)
		_, err = d.Stat(ctx, k)
		mustIs(t, "Stat", err, ErrNotFound)
		if err := d.Delete(ctx, k); err != nil {
			t.Fatalf("Delete of missing key: %v", err)
		}
	})

	t.Run("PutOpenStatOverwriteDelete", func(t *testing.T) {
		k := prefix + "small/hello.txt"
		before := time.Now().Add(-time.Minute)
		first := []byte("hello, reelforge\n")
		obj, err := d.Put(ctx, k, bytes.NewReader(first), int64(len(first)), "text/plain")
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if obj.Key != k || obj.Size != int64(len(first)) || obj.ETag == "" ||
			!strings.HasPrefix(obj.ContentType, "text/plain") || obj.ModTime.Before(before) {
			t.Fatalf("Put returned %+v", obj)
		}
		st, err := d.Stat(ctx, k)
		if err != nil || st.Size != obj.Size || st.ETag != obj.ETag {
			t.Fatalf("Stat = %+v, %v; want %+v", st, err, obj)
		}
		mustContent(t, d, k, first)

		second := bytes.Repeat([]byte("overwritten "), 1000)
		obj2, err := d.Put(ctx, k, bytes.NewReader(second), int64(len(second)), "text/plain")
		if err != nil {
			t.Fatalf("overwrite: %v", err)
		}
		if obj2.Size != int64(len(second)) || obj2.ETag == obj.ETag {
			t.Fatalf("overwrite returned %+v after %+v", obj2, obj)
		}
		mustContent(t, d, k, second)

		if err := d.Delete(ctx, k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err = d.Stat(ctx, k)
		mustIs(t, "Stat after Delete", err, ErrNotFound)
		if err := d.Delete(ctx, k); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})

	t.Run("SizeMismatchKeepsOldFile", func(t *testing.T) {
		k := prefix + "guard/a.bin"
		old := []byte("old content")
		if _, err := d.Put(ctx, k, bytes.NewReader(old), int64(len(old)), ""); err != nil {
			t.Fatalf("Put: %v", err)
		}
		_, err := d.Put(ctx, k, hideType(strings.NewReader("short")), 100, "")
		mustIs(t, "Put with short reader", err, ErrSizeMismatch)
		_, err = d.Put(ctx, k, hideType(strings.NewReader("much too long")), 4, "")
		mustIs(t, "Put with long reader", err, ErrSizeMismatch)
		mustContent(t, d, k, old)

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = d.Put(cctx, k, strings.NewReader("new"), 3, "")
		mustIs(t, "Put with canceled context", err, context.Canceled)
		mustContent(t, d, k, old)
	})

	t.Run("UnknownSizeStream", func(t *testing.T) {
		const size = 20 << 20
		k := prefix + "big/stream.bin"
		var obj Object
		var err error
		alloc := allocatedDuring(func() {
			obj, err = d.Put(ctx, k, patterned(1, size), -1, "application/octet-stream")
		})
		if err != nil {
			t.Fatalf("Put of unknown size: %v", err)
		}
		if obj.Size != size {
			t.Fatalf("stored %d bytes, want %d", obj.Size, size)
		}
		// A disk that buffered the whole stream would allocate at least its size.
		if alloc >= size {
			t.Errorf("Put allocated %d bytes for a %d-byte stream", alloc, size)
		}
		t.Logf("%s: 20 MiB unknown-size Put allocated %.1f MiB, etag %s",
			d.Name(), float64(alloc)/(1<<20), obj.ETag)
		if d.Name() == "s3" && !strings.Contains(obj.ETag, "-") {
			t.Errorf("etag %q does not look like a multipart upload", obj.ETag)
		}
		rc, got, err := d.Open(ctx, k)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer func() { _ = rc.Close() }()
		h := sha256.New()
		n, err := io.Copy(h, rc)
		if err != nil || n != size || got.Size != size {
			t.Fatalf("read %d bytes (Object.Size %d), err %v", n, got.Size, err)
		}
		if !bytes.Equal(h.Sum(nil), patternSum(1, size)) {
			t.Fatal("stored stream differs from what was written")
		}
	})

	t.Run("SignedURL", func(t *testing.T) {
		k := prefix + "media/clip.mp4"
		const size = 1 << 20
		data, _ := io.ReadAll(patterned(2, size))
		if _, err := d.Put(ctx, k, bytes.NewReader(data), size, "video/mp4"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		u, err := d.URL(ctx, k, time.Minute, "")
		if err != nil {
			t.Fatalf("URL: %v", err)
		}
		resp, body := fetch(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET = %d with %d bytes, want 200 with %d", resp.StatusCode,
				len(body), size)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Errorf("Content-Type = %q", ct)
		}

		resp, body = fetch(t, u, http.Header{"Range": {"bytes=1000-1999"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) {
			t.Fatalf("Range GET = %d with %d bytes, want 206 with bytes 1000-1999",
				resp.StatusCode, len(body))
		}
		if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 1000-1999/%d", size) {
			t.Errorf("Content-Range = %q", cr)
		}
		resp, body = fetch(t, u, http.Header{"Range": {"bytes=-10"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[size-10:]) {
			t.Fatalf("suffix Range GET = %d with %d bytes", resp.StatusCode, len(body))
		}

		du, err := d.URL(ctx, k, time.Minute, "final cut.mp4")
		if err != nil {
			t.Fatalf("URL with download: %v", err)
		}
		resp, body = fetch(t, du, nil)
		cd := resp.Header.Get("Content-Disposition")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) ||
			!strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "final cut.mp4") {
			t.Fatalf("download GET = %d, Content-Disposition %q", resp.StatusCode, cd)
		}

		resp, _ = fetch(t, tamper(t, u), nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("tampered signature: status %d, want 403", resp.StatusCode)
		}
		for _, bad := range []time.Duration{0, -time.Second, MaxURLTTL + time.Second} {
			_, err := d.URL(ctx, k, bad, "")
			mustIs(t, fmt.Sprintf("URL with ttl %v", bad), err, ErrInvalidArgument)
		}
		_, err = d.URL(ctx, k, time.Minute, "a/b.mp4")
		mustIs(t, "URL with slash in download name", err, ErrInvalidArgument)
	})

	t.Run("ExpiredURL", func(t *testing.T) {
		k := prefix + "media/short.mp4"
		if _, err := d.Put(ctx, k, strings.NewReader("tiny"), 4, "video/mp4"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		u, err := d.URL(ctx, k, time.Second, "")
		if err != nil {
			t.Fatalf("URL: %v", err)
		}
		if resp, body := fetch(t, u, nil); resp.StatusCode != http.StatusOK ||
			string(body) != "tiny" {
			t.Fatalf("fresh URL: status %d", resp.StatusCode)
		}
		time.Sleep(2500 * time.Millisecond)
		if resp, _ := fetch(t, u, nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("expired URL: status %d, want 403", resp.StatusCode)
		}
	})
}

func mustIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func mustContent(t *testing.T, d Disk, key string, want []byte) {
	t.Helper()
	rc, obj, err := d.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer func() { _ = rc.Close() }()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	if !bytes.Equal(got, want) || obj.Size != int64(len(want)) {
		t.Fatalf("content of %q: %d bytes (Size %d), want %d bytes", key, len(got),
			obj.Size, len(want))
	}
}

// fetch GETs u with a plain client and returns the response and its body.
func fetch(t *testing.T, u string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, body
}

// tamper flips one character of the URL's signature parameter.
func tamper(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for _, name := range []string{"sig", "X-Amz-Signature"} {
		if s := q.Get(name); s != "" {
			c := byte('A')
			if s[0] == 'A' {
				c = 'B'
			}
			q.Set(name, string(c)+s[1:])
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	t.Fatalf("no signature parameter in %s", raw)
	return ""
}

// patterned returns n deterministic pseudo-random bytes from seed, hidden
// behind a plain io.Reader so disks cannot learn the size or seek.
func patterned(seed uint64, n int64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return hideType(io.LimitReader(mrand.NewChaCha8(s), n))
}

func patternSum(seed uint64, n int64) []byte {
	h := sha256.New()
	_, _ = io.Copy(h, patterned(seed, n))
	return h.Sum(nil)
}

type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

func hideType(r io.Reader) io.Reader { return plainReader{r} }

func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
