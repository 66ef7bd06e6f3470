package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFromHTTP(t *testing.T) {
	t.Parallel()
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		code      Code
		retry     time.Duration
		retryTol  time.Duration
		msg       string
		provCode  string
		retryable bool
	}{
		{"replicate throttled", 429, hdr("Retry-After", "30"),
			`{"detail":"Request was throttled. Your rate limit resets in ~30s."}`,
			CodeRateLimited, 30 * time.Second, 0, "Request was throttled", "", true},
		{"retry-after date", 429, hdr("Retry-After", future), "", CodeRateLimited,
			90 * time.Second, 2 * time.Second, "HTTP 429 Too Many Requests", "", true},
		{"503 honours retry-after", 503, hdr("Retry-After", "7"), "", CodeProviderError,
			7 * time.Second, 0, "Service Unavailable", "", true},
		{"500 ignores retry-after", 500, hdr("Retry-After", "7"), "", CodeProviderError,
			0, 0, "Internal Server Error", "", true},
		{"runway invalid key", 401, nil, `{"error":"Invalid API key"}`, CodeAuthFailed, 0, 0,
			"Invalid API key", "", false},
		{"google permission", 403, nil,
			`{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`,
			CodeAuthFailed, 0, 0, "denied", "PERMISSION_DENIED", false},
		{"replicate credit", 402, nil, `{"title":"Payment required","detail":"no credit"}`,
			CodeQuotaExhausted, 0, 0, "no credit", "", false},
		{"runway 400", 400, nil, `{"error":"promptText too long"}`, CodeBadRequest, 0, 0,
			"promptText too long", "", false},
		{"kling not found", 404, nil, `{"code":1203,"message":"model not found"}`,
			CodeBadRequest, 0, 0, "model not found", "1203", false},
		{"replicate 422", 422, nil, `{"detail":"duration must be 5 or 8"}`, CodeBadRequest,
			0, 0, "duration must be 5 or 8", "", false},
		{"dashscope throttling", 429, nil, `{"code":"Throttling","message":"slow down"}`,
			CodeRateLimited, 0, 0, "slow down", "Throttling", true},
		{"408", 408, nil, "", CodeTimeout, 0, 0, "Request Timeout", "", true},
		{"504", 504, nil, `{"error":{"code":504,"status":"DEADLINE_EXCEEDED"}}`, CodeTimeout,
			0, 0, "", "DEADLINE_EXCEEDED", true},
		{"502 html page", 502, nil, "<html><body>Bad gateway</body></html>",
			CodeProviderError, 0, 0, "HTTP 502 Bad Gateway", "", true},
		{"plain text", 500, nil, "upstream exploded\nstack...", CodeProviderError, 0, 0,
			"upstream exploded", "", true},
		{"409 is bad request", 409, nil, "", CodeBadRequest, 0, 0, "Conflict", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := FromHTTP(tc.status, tc.header, []byte(tc.body))
			if e == nil {
				t.Fatal("FromHTTP returned nil for an error status")
			}
			if e.Code != tc.code || e.HTTPStatus != tc.status {
				t.Errorf("code %s status %d, want %s %d", e.Code, e.HTTPStatus, tc.code, tc.status)
			}
			if d := e.RetryAfter - tc.retry; d < -tc.retryTol || d > tc.retryTol {
				t.Errorf("RetryAfter %s, want %s±%s", e.RetryAfter, tc.retry, tc.retryTol)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.msg)
			}
			if e.ProviderCode != tc.provCode {
				t.Errorf("provider code %q, want %q", e.ProviderCode, tc.provCode)
			}
			if e.Retryable() != tc.retryable {
				t.Errorf("Retryable() = %v, want %v", e.Retryable(), tc.retryable)
			}
		})
	}
}

func TestFromHTTPSuccessIsNil(t *testing.T) {
	t.Parallel()
	if e := FromHTTP(200, nil, []byte(`{}`)); e != nil {
		t.Fatalf("FromHTTP(200) = %v, want nil", e)
	}
}

func TestFromHTTPRedactsSecrets(t *testing.T) {
	t.Parallel()
	body := `{"error":"bad header Authorization: Bearer sk-abcdefghijklmnopqrstuv for ` +
		`https://generativelanguage.googleapis.com/v1beta/models/x?key=AIzaSECRET123 ` +
		`api_key=hunter2hunter2"}`
	e := FromHTTP(401, nil, []byte(body))
	for _, secret := range []string{"sk-abcdefghijklmnopqrstuv", "AIzaSECRET123", "hunter2"} {
		if strings.Contains(e.Message, secret) || strings.Contains(e.Error(), secret) {
			t.Errorf("message leaks %q: %q", secret, e.Message)
		}
	}
	if !strings.Contains(e.Message, "generativelanguage.googleapis.com") {
		t.Errorf("message lost the useful part: %q", e.Message)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{" 120 ", 2 * time.Minute, true},
		{"99999999999999999999", 0, false},
		{"86400", time.Hour, true},
		{"Sun, 01 Mar 2026 12:00:45 GMT", 45 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"Mon, 09 Mar 2026 12:00:00 GMT", time.Hour, true},
		{"", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"30", "Sun, 01 Mar 2026 12:00:45 GMT", "", "x", "1e9"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || d > maxRetryAfter || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", s, d, ok)
		}
	})
}

type fakeNetErr struct{ timeout bool }

func (e fakeNetErr) Error() string   { return "dial tcp 10.0.0.1:443: i/o trouble" }
func (e fakeNetErr) Timeout() bool   { return e.timeout }
func (e fakeNetErr) Temporary() bool { return false }

var _ net.Error = fakeNetErr{}

func TestAsError(t *testing.T) {
	t.Parallel()
	rl := &Error{Code: CodeRateLimited, RetryAfter: time.Second}
	tests := []struct {
		name string
		err  error
		code Code
	}{
		{"wrapped provider error", fmt.Errorf("runway: create: %w", rl), CodeRateLimited},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), CodeTimeout},
		{"canceled", context.Canceled, CodeTimeout},
		{"net timeout", fakeNetErr{timeout: true}, CodeTimeout},
		{"net error", &net.OpError{Op: "dial", Err: fakeNetErr{}}, CodeProviderError},
		{"validation", &ValidationError{Field: "model", Message: "provider x has no model"},
			CodeBadRequest},
		{"unknown", errors.New("boom"), CodeProviderError},
	}
	for _, tc := range tests {
		got := AsError(tc.err)
		if got == nil || got.Code != tc.code {
			t.Errorf("%s: AsError = %v, want code %s", tc.name, got, tc.code)
		}
	}
	if AsError(fmt.Errorf("w: %w", rl)) != rl {
		t.Error("AsError did not return the *Error from the chain")
	}
	if AsError(nil) != nil {
		t.Error("AsError(nil) != nil")
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	want := map[Code]bool{CodeRateLimited: true, CodeTimeout: true, CodeProviderError: true,
		CodeAuthFailed: false, CodeBadRequest: false, CodeQuotaExhausted: false}
	for code, r := range want {
		if got := (&Error{Code: code}).Retryable(); got != r {
			t.Errorf("%s.Retryable() = %v, want %v", code, got, r)
		}
	}
	var nilErr *Error
	if nilErr.Retryable() {
		t.Error("nil *Error is retryable")
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("Bearer abc.def https://x.test/a?key=SECRET token=t0k")
	f.Add("\x00\xff" + strings.Repeat("é", 400))
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if len(out) > maxMessage+len("…") {
			t.Fatalf("Sanitize output %d bytes", len(out))
		}
		if !utf8.ValidString(out) || strings.ContainsAny(out, "\x00\n\r") {
			t.Fatalf("control characters left in %q", out)
		}
	})
}
