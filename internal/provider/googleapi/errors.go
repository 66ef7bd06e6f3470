// Package googleapi maps the error answers of Google's APIs (the Gemini API
// and Vertex AI), which Veo and Nano Banana share, to normalized provider
// errors.
package googleapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// maxRetryDelay caps a RetryInfo hint the same way provider.ParseRetryAfter
// caps the header, so a bogus value cannot park a task for days.
const maxRetryDelay = time.Hour

// googleError is the JSON error envelope every Google API answers with.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type       string `json:"@type"`
			Reason     string `json:"reason"`
			RetryDelay string `json:"retryDelay"`
		} `json:"details"`
	} `json:"error"`
}

// MapHTTP turns a non-2xx Google answer into a *provider.Error. It starts
// from provider.FromHTTP and corrects what the status code alone gets
// wrong: the Gemini API answers an invalid key with 400 API_KEY_INVALID
// (auth, not a bad request), disabled billing arrives as 403 with reason
// BILLING_DISABLED (only a human can fix it), and 429 answers carry their
// wait in a RetryInfo detail rather than in Retry-After.
func MapHTTP(status int, header http.Header, body []byte) *provider.Error {
	e := provider.FromHTTP(status, header, body)
	if e == nil {
		return nil
	}
	var g googleError
	if json.Unmarshal(body, &g) != nil {
		return e
	}
	for _, d := range g.Error.Details {
		switch d.Reason {
		case "API_KEY_INVALID", "API_KEY_EXPIRED", "ACCESS_TOKEN_EXPIRED":
			e.Code = provider.CodeAuthFailed
			e.ProviderCode = d.Reason
		case "BILLING_DISABLED":
			e.Code = provider.CodeQuotaExhausted
			e.ProviderCode = d.Reason
		}
		if d.RetryDelay != "" && e.RetryAfter == 0 && status == http.StatusTooManyRequests {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				e.RetryAfter = min(v, maxRetryDelay).Round(time.Second)
			}
		}
	}
	if e.Code == provider.CodeAuthFailed &&
		strings.Contains(strings.ToLower(g.Error.Message), "billing") {
		e.Code = provider.CodeQuotaExhausted
	}
	return e
}

// OpError maps the google.rpc.Status of a failed long-running operation by
// its gRPC code.
func OpError(code int, msg string) *provider.Error {
	var c provider.Code
	switch code {
	case 3, 5, 9, 11: // INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, OUT_OF_RANGE
		c = provider.CodeBadRequest
	case 7, 16: // PERMISSION_DENIED, UNAUTHENTICATED
		c = provider.CodeAuthFailed
	case 8: // RESOURCE_EXHAUSTED
		c = provider.CodeRateLimited
	case 4: // DEADLINE_EXCEEDED
		c = provider.CodeTimeout
	case 1: // CANCELLED
		c = provider.CodeTimeout
	default: // 2 UNKNOWN, 13 INTERNAL, 14 UNAVAILABLE and anything new
		c = provider.CodeProviderError
	}
	if strings.TrimSpace(msg) == "" {
		msg = "the operation failed"
	}
	e := provider.NewError(c, msg)
	e.ProviderCode = grpcName(code)
	return e
}

// grpcName names a gRPC code for Error.ProviderCode.
func grpcName(code int) string {
	names := map[int]string{1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT",
		4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
		9: "FAILED_PRECONDITION", 11: "OUT_OF_RANGE", 13: "INTERNAL", 14: "UNAVAILABLE",
		16: "UNAUTHENTICATED"}
	if n, ok := names[code]; ok {
		return n
	}
	return "CODE_" + strconv.Itoa(code)
}
