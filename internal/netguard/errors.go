package netguard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Sentinel errors. Callers match them with errors.Is; the package always wraps
// them with what was refused (host, address, scheme), never with a query
// string or credentials.
var (
	// ErrBlocked reports a destination the policy refuses: a non-public
	// address, a blocked host name, a malformed or ambiguous host, a URL with
	// a user:password part, or a client that was not built by NewClient.
	ErrBlocked = errors.New("netguard: destination blocked")
	// ErrScheme reports a URL that is not http or https (on the first request
	// or on a redirect hop) or that cannot be parsed at all.
	ErrScheme = errors.New("netguard: unsupported URL scheme")
	// ErrTooLarge reports a response body over the cap given to Fetch, either
	// declared by Content-Length or found while reading.
	ErrTooLarge = errors.New("netguard: response body over size cap")
	// ErrTooManyRedirects reports a redirect chain longer than
	// Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("netguard: too many redirects")
	// ErrInvalidAllow reports a REELFORGE_OUTBOUND_ALLOW entry that is not a
	// host name, a "*.suffix" wildcard, an IP address or a CIDR; the wrapping
	// message quotes the entry.
	ErrInvalidAllow = errors.New("netguard: invalid allow entry")
)

// StatusError reports a response whose status is not 2xx. Fetch returns it so
// that callers can tell a missing object (404) from a retryable server
// failure (5xx) with errors.As.
type StatusError struct {
	// StatusCode is the HTTP status code of the final response.
	StatusCode int
}

// Error names the status; the URL is added by the wrapping error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("netguard: unexpected HTTP status %d %s",
		e.StatusCode, http.StatusText(e.StatusCode))
}

// redact renders u for error messages: scheme, host and path only. The query
// and fragment are dropped because signed URLs keep their secrets there, and
// the userinfo is dropped because it is a password.
func redact(u *url.URL) string {
	if u == nil {
		return "<nil URL>"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.Opaque != "" {
		return u.Scheme + ":<opaque>"
	}
	return r.String()
}

// stripURLError removes the *url.Error layers that net/http puts around
// request errors: their text repeats the full URL, query included.
func stripURLError(err error) error {
	for {
		ue, ok := err.(*url.Error)
		if !ok || ue.Err == nil {
			return err
		}
		err = ue.Err
	}
}
