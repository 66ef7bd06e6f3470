package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Fetch downloads url with a GET into w and returns the number of bytes
// written and the response's Content-Type. c must come from NewClient: any
// other client is refused with ErrBlocked, so that no download can skip the
// guard. max caps the body: a body of exactly max bytes is fine; a larger one
// fails with ErrTooLarge, before reading if Content-Length declares it and
// otherwise after max bytes were written.
//
// On any error w may already hold part of the body (n says how much): write
// to a temporary file or buffer and discard it on error. A non-2xx response
// fails with a *StatusError. Error texts carry the scheme, host and path of
// url but never its query string, fragment or user:password part.
func Fetch(ctx context.Context, c *http.Client, url string, w io.Writer,
	max int64) (n int64, contentType string, err error) {
	u, err := parseURL(url)
	if err != nil {
		return 0, "", err
	}
	safe := redact(u)
	if max <= 0 {
		return 0, "", fmt.Errorf("netguard: fetching %s: size cap %d is not positive",
			safe, max)
	}
	var gt *guardedTransport
	if c != nil {
		gt, _ = c.Transport.(*guardedTransport)
	}
	if gt == nil {
		return 0, "", fmt.Errorf("netguard: fetching %s: client not built by NewClient: %w",
			safe, ErrBlocked)
	}
	if err := gt.g.checkURL(u); err != nil {
		return 0, "", fmt.Errorf("netguard: fetching %s: %w", safe, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, "", fmt.Errorf("netguard: fetching %s: %w", safe, stripURLError(err))
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("netguard: fetching %s: %w", safe, stripURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, "", fmt.Errorf("netguard: fetching %s: %w", safe,
			&StatusError{StatusCode: resp.StatusCode})
	}
	if resp.ContentLength > max {
		return 0, "", fmt.Errorf("netguard: fetching %s: %d bytes declared, cap %d: %w",
			safe, resp.ContentLength, max, ErrTooLarge)
	}
	n, err = io.Copy(w, io.LimitReader(resp.Body, max))
	if err != nil {
		return n, "", fmt.Errorf("netguard: copying body of %s: %w", safe, err)
	}
	// The cap is reached or the body ended: one more byte decides which.
	var one [1]byte
	m, err := io.ReadFull(resp.Body, one[:])
	if m > 0 {
		return n, "", fmt.Errorf("netguard: fetching %s: body over cap %d: %w",
			safe, max, ErrTooLarge)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, "", fmt.Errorf("netguard: copying body of %s: %w", safe, err)
	}
	return n, resp.Header.Get("Content-Type"), nil
}

// parseURL parses raw without letting url.Parse's error, which quotes the
// whole URL, escape.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("netguard: parsing URL: %v: %w", stripURLError(err), ErrScheme)
	}
	return u, nil
}
