package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors of the package itself (the Registry and the price parser).
var (
	// ErrUnknownProvider reports a provider name that is not registered or
	// not enabled; the wrapping message names it.
	ErrUnknownProvider = errors.New("provider: unknown provider")
	// ErrInvalidPriceOverride reports a malformed PRICE_OVERRIDES entry; the
	// wrapping message quotes it and says what is wrong.
	ErrInvalidPriceOverride = errors.New("provider: invalid price override")
)

// Code classifies a provider failure so that the engine can decide between
// retrying, backing off and giving up without knowing the vendor.
type Code string

// Error codes. Only CodeRateLimited, CodeTimeout and CodeProviderError are
// worth retrying.
const (
	// CodeRateLimited: too many requests or concurrent jobs; retry after
	// Error.RetryAfter or with backoff.
	CodeRateLimited Code = "rate_limited"
	// CodeAuthFailed: the credential is missing, invalid or lacks permission.
	CodeAuthFailed Code = "auth_failed"
	// CodeBadRequest: the vendor rejected the input (validation, content
	// policy, unknown model or job). Retrying the same request is useless.
	CodeBadRequest Code = "bad_request"
	// CodeTimeout: the call or the job ran out of time.
	CodeTimeout Code = "timeout"
	// CodeProviderError: the vendor failed on its side (5xx, network, a
	// failed generation without a more specific reason).
	CodeProviderError Code = "provider_error"
	// CodeQuotaExhausted: credits, resource packs or billing ran out. Only a
	// human can fix it, so it is not retried.
	CodeQuotaExhausted Code = "quota_exhausted"
)

// Error is a normalized provider failure. Message is safe to show to users
// and to log: constructors in this package strip credentials from it.
type Error struct {
	// Code is the class of the failure.
	Code Code
	// Message is a short human-readable explanation.
	Message string
	// RetryAfter is the vendor's requested wait (Retry-After), 0 if none.
	RetryAfter time.Duration
	// ProviderCode is the vendor's own code ("1303", "RESOURCE_EXHAUSTED",
	// "SAFETY.INPUT.TEXT"), kept for support and metrics.
	ProviderCode string
	// HTTPStatus is the vendor's HTTP status, 0 when there was none.
	HTTPStatus int
}

// Error formats the code, message and retry hint.
func (e *Error) Error() string {
	msg := "provider: " + string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Retryable reports whether the same request may succeed later: true only
// for rate_limited, timeout and provider_error.
func (e *Error) Retryable() bool {
	if e == nil {
		return false
	}
	switch e.Code {
	case CodeRateLimited, CodeTimeout, CodeProviderError:
		return true
	}
	return false
}

// NewError builds an Error with a sanitized message.
func NewError(code Code, msg string) *Error {
	return &Error{Code: code, Message: Sanitize(msg)}
}

// AsError normalizes any error returned by an adapter. An *Error found in
// the chain is returned as is; a *ValidationError becomes bad_request;
// context.DeadlineExceeded, context.Canceled and network timeouts become
// timeout; other network and I/O failures become provider_error, as does
// anything unknown. It returns nil for nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return &Error{Code: CodeBadRequest, Message: Sanitize(ve.Message)}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeTimeout, Message: "deadline exceeded"}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: CodeTimeout, Message: "request canceled"}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Code: CodeTimeout, Message: "network timeout: " + Sanitize(err.Error())}
	}
	switch {
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Code: CodeProviderError, Message: "network error: " + Sanitize(err.Error())}
	}
	return &Error{Code: CodeProviderError, Message: Sanitize(err.Error())}
}

// maxMessage bounds Error.Message so that a vendor's HTML error page does not
// end up in the database.
const maxMessage = 300

// FromHTTP maps a vendor's non-2xx HTTP response to an Error: 429 →
// rate_limited; 401, 403 → auth_failed; 402 → quota_exhausted; 400, 404,
// 422 and other 4xx → bad_request; 408, 504 → timeout; 5xx and anything
// else → provider_error. Retry-After (seconds or an HTTP date) is honoured
// for 429 and 503. The message and vendor code are read from the common JSON
// error shapes (Google, Runway, Replicate, Kling, DashScope). It returns nil
// for a 2xx status.
func FromHTTP(status int, header http.Header, body []byte) *Error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &Error{HTTPStatus: status}
	switch {
	case status == http.StatusTooManyRequests:
		e.Code = CodeRateLimited
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		e.Code = CodeAuthFailed
	case status == http.StatusPaymentRequired:
		e.Code = CodeQuotaExhausted
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		e.Code = CodeTimeout
	case status >= 400 && status < 500:
		e.Code = CodeBadRequest
	default:
		e.Code = CodeProviderError
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if d, ok := ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
			e.RetryAfter = d
		}
	}
	msg, code := bodyMessage(body)
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	}
	e.Message = Sanitize(msg)
	e.ProviderCode = Sanitize(code)
	return e
}

// maxRetryAfter caps a vendor's Retry-After so a bogus header cannot park a
// job for days.
const maxRetryAfter = time.Hour

// ParseRetryAfter reads a Retry-After header value: delay seconds ("30") or
// an HTTP date, relative to now. Dates in the past give 0. Values are capped
// at one hour. ok is false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, false
		}
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	switch {
	case d < 0:
		d = 0
	case d > maxRetryAfter:
		d = maxRetryAfter
	}
	return d.Round(time.Second), true
}

// bodyMessage extracts a message and a vendor code from a JSON error body,
// or returns the start of a plain-text body. HTML pages yield nothing.
func bodyMessage(body []byte) (msg, code string) {
	text := strings.TrimSpace(string(body))
	if text == "" || strings.HasPrefix(text, "<") {
		return "", ""
	}
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return firstLine(text), ""
	}
	// Google: {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}
	if inner, ok := m["error"].(map[string]any); ok {
		return str(inner["message"]), firstNonEmpty(str(inner["status"]), str(inner["code"]))
	}
	// Runway {"error":"…"}, Replicate {"title","detail"}, Kling
	// {"code":1303,"message":"…"}, DashScope {"code":"Throttling","message"}.
	msg = firstNonEmpty(str(m["error"]), str(m["message"]), str(m["detail"]), str(m["title"]))
	code = firstNonEmpty(str(m["code"]), str(m["failureCode"]), str(m["type"]))
	return msg, code
}

// str renders a JSON scalar as text ("" for objects, arrays and null).
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

var (
	bearerRe = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[^\s"',;]+`)
	paramRe  = regexp.MustCompile(`(?i)\b((?:[a-z0-9_-]*(?:key|token|secret|signature|sig|` +
		`password|credential)[a-z0-9_-]*)["']?\s*[=:]\s*["']?)[^\s"'&,;}]+`)
	skRe = regexp.MustCompile(`\b(sk|r8|key|whsec)_?-?[A-Za-z0-9]{16,}\b`)
)

// Sanitize makes text from a vendor or a transport error safe to store and
// show: it removes bearer tokens, key=value credentials, URL query strings
// (Gemini takes ?key=) and long key-like tokens, drops control characters
// and cuts the result to 300 bytes on a rune boundary.
func Sanitize(s string) string {
	s = stripQueries(s)
	s = bearerRe.ReplaceAllString(s, "$1 [redacted]")
	s = paramRe.ReplaceAllString(s, "$1[redacted]")
	s = skRe.ReplaceAllString(s, "[redacted]")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.TrimSpace(s)
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// stripQueries removes the query string of every http(s) URL in s.
func stripQueries(s string) string {
	var b strings.Builder
	for {
		i := indexURL(s)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexAny(s, " \t\r\n\"'<>")
		if end < 0 {
			end = len(s)
		}
		raw := s[:end]
		if u, err := url.Parse(raw); err == nil && u.RawQuery != "" {
			u.RawQuery = ""
			u.User = nil
			raw = u.String() + "?[redacted]"
		} else if err == nil && u.User != nil {
			u.User = nil
			raw = u.String()
		}
		b.WriteString(raw)
		s = s[end:]
	}
}

func indexURL(s string) int {
	i := strings.Index(s, "http://")
	j := strings.Index(s, "https://")
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	}
	return min(i, j)
}

// ValidationError reports a Request that a provider's Capabilities reject.
// The API layer turns it into a 422 whose detail is Message, for example
// "provider runway model gen4_turbo does not support duration 7; allowed 5,
// 10".
type ValidationError struct {
	// Field is the request field at fault ("duration_seconds").
	Field string
	// Message is the full sentence shown to the user.
	Message string
}

// Error returns Message, which already starts with "provider".
func (e *ValidationError) Error() string { return e.Message }

// ErrWebhookRejected is wrapped by every Webhooker error: the push was not
// proven to come from the vendor, or was seen before.
var ErrWebhookRejected = errors.New("provider: webhook rejected")
