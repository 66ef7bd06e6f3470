package provider

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestJSONCall(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":"no key"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 200)))
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/echo":
			if r.Header.Get("Content-Type") != "application/json" {
				http.Error(w, "want json", http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	call := func(path string, mod func(*JSONCall)) ([]byte, *Error) {
		c := JSONCall{Name: "test", Method: http.MethodPost, URL: srv.URL + path,
			Body: []byte(`{}`), Header: http.Header{"Authorization": {"Bearer k"}},
			MaxBytes: 100}
		if mod != nil {
			mod(&c)
		}
		raw, err := c.Do(context.Background(), srv.Client())
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("%s: %T is not a *provider.Error", path, err)
		}
		return raw, pe
	}
	if raw, e := call("/echo", nil); e != nil || string(raw) != `{"ok":true}` {
		t.Fatalf("echo: %q %v", raw, e)
	}
	if _, e := call("/big", nil); e == nil || e.Code != CodeProviderError {
		t.Fatalf("oversize answer: %v", e)
	}
	if _, e := call("/busy", nil); e == nil || e.Code != CodeRateLimited ||
		e.RetryAfter.Seconds() != 7 {
		t.Fatalf("429: %+v", e)
	}
	if _, e := call("/echo", func(c *JSONCall) { c.Header = nil }); e == nil ||
		e.Code != CodeAuthFailed {
		t.Fatalf("no key: %v", e)
	}
	quota := func(int, http.Header, []byte) *Error { return NewError(CodeQuotaExhausted, "q") }
	if _, e := call("/busy", func(c *JSONCall) { c.MapError = quota }); e == nil ||
		e.Code != CodeQuotaExhausted {
		t.Fatalf("custom mapping: %v", e)
	}
	refuse := func(*http.Request) *Error { return NewError(CodeAuthFailed, "no token") }
	if _, e := call("/echo", func(c *JSONCall) { c.Prepare = refuse }); e == nil ||
		e.Message != "no token" {
		t.Fatalf("prepare: %v", e)
	}
	srv.Close()
	if _, e := call("/echo", nil); e == nil || e.Code != CodeProviderError {
		t.Fatalf("server gone: %v", e)
	}
}
