package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Defaults applied by NewClient to zero Options fields.
const (
	// DefaultTimeout bounds a whole request, body included: long enough for
	// a large video over a slow link, short enough to free a stuck worker.
	DefaultTimeout = 2 * time.Minute
	// DefaultDialTimeout bounds DNS resolution plus the TCP connect.
	DefaultDialTimeout = 10 * time.Second
	// DefaultMaxRedirects is the longest redirect chain followed; CDNs and
	// signed-URL services rarely need more than two hops.
	DefaultMaxRedirects = 5
)

// Options tunes the client built by NewClient. The zero value gives the
// defaults above.
type Options struct {
	// Timeout bounds the whole request including reading the body
	// (http.Client.Timeout); zero or negative means DefaultTimeout.
	Timeout time.Duration
	// DialTimeout bounds resolving the host and connecting to it; zero or
	// negative means DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxRedirects is the number of redirects followed before failing with
	// ErrTooManyRedirects; zero means DefaultMaxRedirects and a negative
	// value follows none.
	MaxRedirects int
	// UserAgent is sent on requests that do not set one; empty leaves Go's
	// default.
	UserAgent string
}

// lookupFunc resolves a host name; network is "ip", "ip4" or "ip6". It has
// the shape of (*net.Resolver).LookupNetIP so tests can fake DNS.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// NewClient returns an HTTP client that enforces p on every request and on
// every redirect hop. It never uses a proxy from the environment (a proxy
// would make the dialed address meaningless), keeps no cookies, and checks
// at dial time every address the host resolves to before connecting to
// exactly that address.
//
// Errors from the client's own Do and Get methods are *url.Error values whose
// text includes the full URL, query string included; use Fetch, which strips
// it, when the URL may be signed.
func NewClient(p Policy, opts Options) *http.Client {
	var r net.Resolver
	return newClient(p, opts, r.LookupNetIP)
}

// newClient is NewClient with a replaceable resolver.
func newClient(p Policy, opts Options, lookup lookupFunc) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	maxRedirects := max(opts.MaxRedirects, 0)
	g := newGuard(p)
	d := &dialer{g: g, lookup: lookup, timeout: opts.DialTimeout}
	base := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opts.DialTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: &guardedTransport{g: g, base: base, userAgent: opts.UserAgent},
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("netguard: following redirect %d (limit %d): %w",
					len(via), maxRedirects, ErrTooManyRedirects)
			}
			return g.checkURL(req.URL)
		},
	}
}

// guardedTransport checks each request's URL before handing it to the
// transport whose dialer does the binding address check.
type guardedTransport struct {
	g         *guard
	base      *http.Transport
	userAgent string
}

// RoundTrip implements http.RoundTripper.
func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.g.checkURL(req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	if t.userAgent != "" && req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// underlying transport.
func (t *guardedTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// dialer resolves, checks and connects.
type dialer struct {
	g       *guard
	lookup  lookupFunc
	timeout time.Duration
}

// DialContext is the transport's dial function. addr is the URL's host and
// port because no proxy is ever used.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netguard: dialing %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("netguard: dialing %q: bad port: %w", addr, err)
	}
	var ipNet string
	switch network {
	case "tcp":
		ipNet = "ip"
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	default:
		return nil, fmt.Errorf("netguard: dialing %s over %q: unsupported network: %w",
			host, network, ErrBlocked)
	}
	t, err := d.g.checkHost(host)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	addrs := []netip.Addr{t.addr}
	if !t.literal {
		addrs, err = d.lookup(ctx, ipNet, t.name)
		if err != nil {
			return nil, fmt.Errorf("netguard: resolving %s: %w", t.name, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("netguard: resolving %s: no addresses", t.name)
		}
	}
	// Every address is checked before any is tried: a name with one public
	// and one private record is refused outright.
	for _, a := range addrs {
		if err := d.g.checkAddr(a, t.nameAllowed); err != nil {
			return nil, fmt.Errorf("netguard: dialing %s: %w", host, err)
		}
	}
	nd := &net.Dialer{
		// Control sees the address the socket connects to; checking it again
		// guards against a future change that dials something unchecked.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netguard: checking socket address %q: %w",
					address, ErrBlocked)
			}
			return d.g.checkAddr(ap.Addr(), t.nameAllowed)
		},
	}
	var firstErr error
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(port))
		conn, err := nd.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("netguard: dialing %s: %w", host, firstErr)
}
