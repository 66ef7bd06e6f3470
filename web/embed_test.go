package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/httpapi"
	"github.com/reelforge/reelforge/internal/store"
	"github.com/reelforge/reelforge/web"
)

// get serves one GET request and returns the recorded response and body.
func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return res, string(body)
}

// assetBase finds the hashed asset directory that index.html refers to.
func assetBase(t *testing.T, index string) string {
	t.Helper()
	m := regexp.MustCompile(`/assets/[0-9a-f]{12}/`).FindString(index)
	if m == "" {
		t.Fatalf("index.html refers to no hashed asset path:\n%s", index)
	}
	return m
}

func TestIndexForRootAndClientRoutes(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	for _, path := range []string{"/", "/projects", "/jobs/0193-abc", "/templates/new?x=1",
		"/login"} {
		res, body := get(t, h, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if !strings.Contains(body, `<div id="app">`) {
			t.Errorf("GET %s: not index.html", path)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, cc)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self'",
			"style-src 'self'", "img-src 'self' data: blob:", "media-src 'self' blob:",
			"connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'",
			"form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q is not strict", path, csp)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, got)
		}
	}
}

func TestIndexHasNoInlineCode(t *testing.T) {
	t.Parallel()
	_, body := get(t, web.Handler(), "/")
	for _, tag := range regexp.MustCompile(`(?is)<script\b[^>]*>(.*?)</script>`).
		FindAllStringSubmatch(body, -1) {
		if !strings.Contains(tag[0], " src=") || strings.TrimSpace(tag[1]) != "" {
			t.Errorf("inline script in index.html: %s", tag[0])
		}
	}
	if regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=`).MatchString(body) {
		t.Error("index.html has an inline style or event handler")
	}
}

func TestAssetsAndVendoredFiles(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	_, index := get(t, h, "/")
	base := assetBase(t, index)
	cases := []struct {
		path, ctype, cache string
	}{
		{base + "vendor/preact.mjs", "text/javascript", "immutable"},
		{base + "vendor/hooks.mjs", "text/javascript", "immutable"},
		{base + "vendor/htm.mjs", "text/javascript", "immutable"},
		{base + "js/main.js", "text/javascript", "immutable"},
		{base + "app.css", "text/css", "immutable"},
		{base + "i18n/zh-CN.json", "application/json", "immutable"},
		{"/vendor/preact.mjs", "text/javascript", "no-cache"},
		{"/i18n/en.json", "application/json", "no-cache"},
		{"/assets/000000000000/app.css", "text/css", "no-cache"},
	}
	for _, c := range cases {
		res, body := get(t, h, c.path)
		if res.StatusCode != http.StatusOK || body == "" {
			t.Fatalf("GET %s: status %d, %d bytes", c.path, res.StatusCode, len(body))
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", c.path, ct, c.ctype)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, c.cache) {
			t.Errorf("GET %s: Cache-Control %q, want %s", c.path, cc, c.cache)
		}
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP", c.path)
		}
		if res.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", c.path)
		}
	}
}

func TestRevalidationAnswersNotModified(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	res, _ := get(t, h, "/app.css")
	req := httptest.NewRequest(http.MethodGet, "/app.css", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("status %d, want 304", rec.Code)
	}
}

func TestReservedPathsAndMissingFilesAreNotTheApp(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	for _, path := range []string{"/api/v1/nope", "/files/x", "/sim/y", "/metrics",
		"/healthz", "/readyz", "/ws", "/favicon.ico", "/assets/abc/nothing.js"} {
		res, body := get(t, h, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		if strings.Contains(body, `<div id="app">`) {
			t.Errorf("GET %s: served index.html", path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", rec.Code)
	}
}

func TestMediaOriginsJoinTheCSP(t *testing.T) {
	t.Parallel()
	h := web.Handler("http://127.0.0.1:8080", "https://cdn.example.com/videos/x.mp4?sig=1", "",
		"not a url")
	res, _ := get(t, h, "/")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{
		"img-src 'self' data: blob: http://127.0.0.1:8080 https://cdn.example.com;",
		"media-src 'self' blob: http://127.0.0.1:8080 https://cdn.example.com;",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "sig=") || strings.Contains(csp, "/videos") {
		t.Errorf("CSP %q carries more than origins", csp)
	}
}

// TestUnknownAPIPathStaysProblemJSON mounts the API and the console the
// way the serve command does: the console owns "/", yet an unknown /api/
// path is still the API's problem+json 404.
func TestUnknownAPIPathStaysProblemJSON(t *testing.T) {
	t.Parallel()
	api := httpapi.New(httpapi.Config{Version: "test"}, &store.Store{},
		auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Minute),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	mux.Handle("/api/", api.Handler())
	mux.Handle("/", web.Handler())
	for _, path := range []string{"/api/v1/no-such-route", "/api/nothing"} {
		res, body := get(t, mux, path)
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("GET %s: Content-Type %q, want application/problem+json", path, ct)
		}
		if !strings.Contains(body, `"code":"not_found"`) {
			t.Errorf("GET %s: body %s", path, body)
		}
	}
	res, _ := get(t, mux, "/jobs/123")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("a client route behind the mux is not the console")
	}
}
