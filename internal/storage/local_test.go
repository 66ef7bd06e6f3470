package storage

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testSigningKey = []byte("0123456789abcdef0123456789abcdef")

// newTestLocal returns a Local over a temp dir whose Handler is served by an
// httptest server at BaseURL.
func newTestLocal(t testing.TB) *Local {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	l, err := NewLocal(LocalConfig{
		Root: t.TempDir(), BaseURL: srv.URL + "/", SigningKey: testSigningKey,
	})
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	h = l.Handler()
	return l
}

func TestLocalDisk(t *testing.T) {
	testDisk(t, newTestLocal(t))
}

func TestNewLocalConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []LocalConfig{
		{Root: "", SigningKey: testSigningKey},
		{Root: dir, SigningKey: []byte("short")},
		{Root: dir, SigningKey: testSigningKey, BaseURL: "ftp://x"},
		{Root: dir, SigningKey: testSigningKey, BaseURL: "http://x/?q=1"},
	}
	for _, c := range cases {
		if _, err := NewLocal(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewLocal(%v) = %v, want ErrInvalidConfig", c, err)
		}
	}
	c := LocalConfig{Root: dir, SigningKey: testSigningKey}
	for _, s := range []string{c.String(), (&c).GoString()} {
		if strings.Contains(s, string(testSigningKey)) {
			t.Errorf("config string leaks the signing key: %s", s)
		}
	}
}

func TestLocalLayoutAndPath(t *testing.T) {
	l := newTestLocal(t)
	ctx := t.Context()
	if _, err := l.Put(ctx, "a/b/c.mp4", strings.NewReader("video"), 5, ""); err != nil {
		t.Fatal(err)
	}
	p, err := l.Path("a/b/c.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p) || !strings.HasPrefix(p, l.abs+string(filepath.Separator)) {
		t.Fatalf("Path = %q, not under %q", p, l.abs)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "video" {
		t.Fatalf("reading %s: %q, %v", p, b, err)
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory holds %v (%v); temp files left behind?", entries, err)
	}
	if _, err := l.Path("../etc/passwd"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Path traversal: %v", err)
	}
	// A directory is not a file; a file is not a directory.
	_, err = l.Stat(ctx, "a/b")
	mustIs(t, "Stat of directory", err, ErrNotFound)
	_, err = l.Stat(ctx, "a/b/c.mp4/d")
	mustIs(t, "Stat below a file", err, ErrNotFound)
	if err := l.Delete(ctx, "a/b"); err != nil {
		t.Fatalf("Delete of directory name: %v", err)
	}
	if _, err := l.Stat(ctx, "a/b/c.mp4"); err != nil {
		t.Fatalf("file vanished: %v", err)
	}
}

func TestLocalSymlinkEscape(t *testing.T) {
	l := newTestLocal(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(l.abs, "link")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if _, _, err := l.Open(t.Context(), "link/secret.txt"); err == nil {
		t.Fatal("Open followed a symlink out of the root")
	}
	_, err := l.Put(t.Context(), "link/planted.txt", strings.NewReader("x"), 1, "")
	if err == nil {
		t.Fatal("Put wrote through a symlink out of the root")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.txt")); err == nil {
		t.Fatal("file planted outside the root")
	}
}

func TestLocalVerify(t *testing.T) {
	l := newTestLocal(t)
	now := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return now }
	const key = "v/clip.mp4"
	good, err := l.URL(t.Context(), key, time.Minute, "clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(good)
	base := u.Query()
	if err := l.Verify(key, base); err != nil {
		t.Fatalf("Verify(good) = %v", err)
	}
	with := func(edit func(q url.Values)) url.Values {
		q := url.Values{}
		for k, v := range base {
			q[k] = append([]string(nil), v...)
		}
		edit(q)
		return q
	}
	cases := []struct {
		name string
		key  string
		q    url.Values
		want error
	}{
		{"missing exp", key, with(func(q url.Values) { q.Del("exp") }), ErrBadSignature},
		{"missing sig", key, with(func(q url.Values) { q.Del("sig") }), ErrBadSignature},
		{"empty query", key, url.Values{}, ErrBadSignature},
		{"non-numeric exp", key, with(func(q url.Values) { q.Set("exp", "soon") }),
			ErrBadSignature},
		{"signed exp", key, with(func(q url.Values) { q.Set("exp", "+"+q.Get("exp")) }),
			ErrBadSignature},
		{"zero-padded exp", key, with(func(q url.Values) { q.Set("exp", "0"+q.Get("exp")) }),
			ErrBadSignature},
		{"later exp", key, with(func(q url.Values) { q.Set("exp", "1700009999") }),
			ErrBadSignature},
		{"repeated exp", key, with(func(q url.Values) { q.Add("exp", q.Get("exp")) }),
			ErrBadSignature},
		{"wrong dl", key, with(func(q url.Values) { q.Set("dl", "other.mp4") }),
			ErrBadSignature},
		{"dropped dl", key, with(func(q url.Values) { q.Del("dl") }), ErrBadSignature},
		{"repeated dl", key, with(func(q url.Values) { q.Add("dl", "x.mp4") }),
			ErrBadSignature},
		{"padded sig", key, with(func(q url.Values) { q.Set("sig", q.Get("sig")+"=") }),
			ErrBadSignature},
		{"short sig", key, with(func(q url.Values) { q.Set("sig", q.Get("sig")[:20]) }),
			ErrBadSignature},
		{"std base64 sig", key, with(func(q url.Values) { q.Set("sig", "++++") }),
			ErrBadSignature},
		{"other key", "v/other.mp4", base, ErrBadSignature},
		{"invalid key", "../v/clip.mp4", base, ErrInvalidKey},
	}
	for _, c := range cases {
		if err := l.Verify(c.key, c.q); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}

	other, err := NewLocal(LocalConfig{Root: t.TempDir(),
		SigningKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	if err := other.Verify(key, base); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify with another key = %v", err)
	}

	now = now.Add(time.Minute) // exactly at expiry: still valid
	if err := l.Verify(key, base); err != nil {
		t.Errorf("Verify at expiry = %v", err)
	}
	now = now.Add(time.Second)
	if err := l.Verify(key, base); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify after expiry = %v, want ErrExpired", err)
	}
}

func TestLocalHandler(t *testing.T) {
	l := newTestLocal(t)
	ctx := t.Context()
	data := []byte("<html><script>alert(1)</script></html>")
	if _, err := l.Put(ctx, "h/page.html", bytes.NewReader(data), int64(len(data)), ""); err != nil {
		t.Fatal(err)
	}
	u, err := l.URL(ctx, "h/page.html", time.Minute, "résumé \"v2\".html")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := fetch(t, u, nil)
	h := resp.Header
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET = %d %q", resp.StatusCode, body)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Cache-Control"), "private") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("ETag") == "" ||
		!strings.Contains(h.Get("Content-Disposition"), "filename*=utf-8''r%C3%A9sum%C3%A9") {
		t.Fatalf("headers: %v", h)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = hr.Body.Close()
	if hr.StatusCode != 200 || hr.ContentLength != int64(len(data)) {
		t.Fatalf("HEAD = %d, length %d", hr.StatusCode, hr.ContentLength)
	}

	post, err := http.Post(u, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST = %d", post.StatusCode)
	}

	missing, _ := l.URL(ctx, "h/missing.mp4", time.Minute, "")
	resp, body = fetch(t, missing, nil)
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(body), `"status":404`) {
		t.Fatalf("missing: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	unsigned := strings.SplitN(u, "?", 2)[0]
	resp, body = fetch(t, unsigned, nil)
	if resp.StatusCode != 403 || !strings.Contains(string(body), `"status":403`) {
		t.Fatalf("unsigned: %d %q", resp.StatusCode, body)
	}
	resp, _ = fetch(t, l.baseURL+"/files/h/..%2f..%2fetc/passwd?exp=1&sig=x", nil)
	if resp.StatusCode != 404 && resp.StatusCode != 403 {
		t.Fatalf("traversal: %d", resp.StatusCode)
	}
}

func TestLocalEmptyBaseURL(t *testing.T) {
	l, err := NewLocal(LocalConfig{Root: t.TempDir(), SigningKey: testSigningKey})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	u, err := l.URL(t.Context(), "x/y.mp4", time.Minute, "")
	if err != nil || !strings.HasPrefix(u, "/files/x/y.mp4?exp=") {
		t.Fatalf("URL = %q, %v", u, err)
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range invalidKeys {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"a", "a.b", "a/b/c.mp4", ".hidden", "a/..b/c", "x...",
		"A-Z_0-9", strings.Repeat("a", MaxSegmentLen),
		strings.Repeat("b", MaxSegmentLen) + "/" + strings.Repeat("c", 254) + "/d"} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
}

// FuzzValidateKey checks that every key ValidateKey accepts is a local path
// that stays inside the root, both lexically and when actually written.
func FuzzValidateKey(f *testing.F) {
	longest := strings.Repeat("b", MaxSegmentLen) + "/" + strings.Repeat("c", 254) + "/d"
	seeds := []string{"a", "a/b.mp4", "..a", "a/.b", "a/b/", longest}
	for _, k := range append(seeds, invalidKeys...) {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(key)) {
			t.Fatalf("accepted non-local key %q", key)
		}
		root := t.TempDir()
		l, err := NewLocal(LocalConfig{Root: root, SigningKey: testSigningKey})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = l.Close() }()
		p, err := l.Path(key)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(l.abs, p)
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("Path(%q) = %q escapes %q", key, p, l.abs)
		}
		if _, err := l.Put(t.Context(), key, strings.NewReader("x"), 1, ""); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != "x" {
			t.Fatalf("file for %q not at %q: %v", key, p, err)
		}
	})
}
