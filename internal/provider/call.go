package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// JSONCall is one request to a vendor's JSON API. Every adapter sends its
// requests through it, so they all read answers with the same size cap,
// turn every failure into an *Error, and log refusals the same way.
type JSONCall struct {
	// Name prefixes log messages and errors ("runway").
	Name string
	// Method and URL of the request.
	Method, URL string
	// Body is sent as application/json when non-nil.
	Body []byte
	// Header holds the vendor's authentication and version headers.
	Header http.Header
	// Prepare, when set, finishes the request before it is sent, for
	// credentials that are fetched per call (OAuth2 tokens).
	Prepare func(*http.Request) *Error
	// MaxBytes caps the answer; a larger one is a provider_error.
	MaxBytes int64
	// MapError turns a non-2xx answer into an Error. Defaults to FromHTTP.
	MapError func(status int, header http.Header, body []byte) *Error
	// Logger receives a Debug line for each refused call; nil discards.
	Logger *slog.Logger
}

// Do sends the call with client and returns the body of a 2xx answer.
// Anything else is an *Error: transport failures through AsError, non-2xx
// answers through MapError, an oversized answer as provider_error.
func (c JSONCall) Do(ctx context.Context, client *http.Client) ([]byte, error) {
	var rd io.Reader
	if c.Body != nil {
		rd = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, rd)
	if err != nil {
		return nil, AsError(fmt.Errorf("%s: building request: %w", c.Name, err))
	}
	req.Header.Set("Accept", "application/json")
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	if c.Prepare != nil {
		if e := c.Prepare(req); e != nil {
			return nil, e
		}
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, AsError(err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, c.MaxBytes+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		mapError := c.MapError
		if mapError == nil {
			mapError = FromHTTP
		}
		e := mapError(resp.StatusCode, resp.Header, raw)
		if e == nil {
			e = NewError(CodeProviderError, fmt.Sprintf("%s: unexpected HTTP %d", c.Name,
				resp.StatusCode))
			e.HTTPStatus = resp.StatusCode
		}
		if c.Logger != nil {
			c.Logger.DebugContext(ctx, c.Name+": call refused", slog.String("provider", c.Name),
				slog.String("method", c.Method), slog.Int("status", resp.StatusCode),
				slog.String("code", string(e.Code)),
				slog.Int64("duration_ms", time.Since(start).Milliseconds()))
		}
		return nil, e
	}
	if readErr != nil {
		return nil, AsError(fmt.Errorf("%s: reading response: %w", c.Name, readErr))
	}
	if int64(len(raw)) > c.MaxBytes {
		return nil, NewError(CodeProviderError,
			fmt.Sprintf("%s: response over %d bytes", c.Name, c.MaxBytes))
	}
	return raw, nil
}
