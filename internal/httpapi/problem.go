package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/reelforge/reelforge/internal/store"
)

// Problem is an RFC 9457 problem detail with Reelforge's stable machine
// code. Handlers return it as an error; the renderer writes it.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
	// RetryAfter, when set, becomes a Retry-After header (seconds).
	RetryAfter int `json:"-"`
	// cause is logged, never sent.
	cause error
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	if p.cause != nil {
		return fmt.Sprintf("%s: %s: %v", p.Code, p.Detail, p.cause)
	}
	return p.Code + ": " + p.Detail
}

func (p *Problem) Unwrap() error { return p.cause }

func problem(status int, code, detail string) *Problem {
	return &Problem{
		Type:   "https://reelforge.dev/problems/" + code,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: detail,
	}
}

// Common problems.
func errNotFound(what string) *Problem {
	return problem(http.StatusNotFound, "not_found", what+" not found")
}

func errForbidden(detail string) *Problem {
	return problem(http.StatusForbidden, "forbidden", detail)
}

func errUnauthorized(detail string) *Problem {
	return problem(http.StatusUnauthorized, "unauthorized", detail)
}

func errBadRequest(code, detail string) *Problem {
	return problem(http.StatusBadRequest, code, detail)
}

func errConflict(detail string, fields ...FieldError) *Problem {
	p := problem(http.StatusConflict, "conflict", detail)
	p.Errors = fields
	return p
}

func errValidation(fields ...FieldError) *Problem {
	p := problem(http.StatusUnprocessableEntity, "validation_failed",
		"the request has invalid fields")
	p.Errors = fields
	return p
}

func errRateLimited(retryAfter int) *Problem {
	p := problem(http.StatusTooManyRequests, "rate_limited",
		"too many attempts; try again later")
	p.RetryAfter = retryAfter
	return p
}

// toProblem maps any error to the problem sent to the client. Unknown
// errors become a bare 500 whose cause stays in the log.
func toProblem(err error) *Problem {
	var p *Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("resource")
	case errors.Is(err, store.ErrInvalidSort):
		return errValidation(FieldError{Field: "sort", Code: "invalid", Message: "unsupported sort"})
	case errors.Is(err, store.ErrConflict):
		return errConflict("a resource with the same unique fields already exists")
	}
	p = problem(http.StatusInternalServerError, "internal_error",
		"the server failed to handle the request")
	p.cause = err
	return p
}

// writeProblem renders err and logs it at the level STYLE.md gives: Error
// for 5xx, Warn for 4xx.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := toProblem(err)
	attrs := []slog.Attr{
		slog.String("request_id", requestID(r.Context())),
		slog.Int("status", p.Status),
		slog.String("code", p.Code),
	}
	if p.Status >= 500 {
		attrs = append(attrs, slog.String("error", err.Error()))
		s.log.LogAttrs(r.Context(), slog.LevelError, "httpapi: request failed", attrs...)
	} else if p.Status != http.StatusNotFound && p.Status != http.StatusUnauthorized {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "httpapi: request refused", attrs...)
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
