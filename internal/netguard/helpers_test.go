package netguard

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countingListener counts accepted connections, to prove that a refused
// request never reached the server.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// testServer is an httptest server on 127.0.0.1 with a connection counter.
type testServer struct {
	*httptest.Server
	ln   *countingListener
	port string
}

func startServer(t *testing.T, h http.Handler, useTLS bool) *testServer {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	ln := &countingListener{Listener: s.Listener}
	s.Listener = ln
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, ln: ln, port: port}
}

func (s *testServer) accepted() int64 { return s.ln.accepted.Load() }

// body serves a fixed text.
func body(text string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, text)
	})
}

// fakeDNS answers lookups from a table and counts them.
type fakeDNS struct {
	mu    sync.Mutex
	calls []string
	table map[string][]netip.Addr
}

func newFakeDNS(pairs ...string) *fakeDNS {
	f := &fakeDNS{table: map[string][]netip.Addr{}}
	for i := 0; i < len(pairs); i += 2 {
		for _, a := range strings.Split(pairs[i+1], ",") {
			f.table[pairs[i]] = append(f.table[pairs[i]], netip.MustParseAddr(a))
		}
	}
	return f
}

func (f *fakeDNS) lookup(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, host)
	if a, ok := f.table[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeDNS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// client builds a guarded client with fake DNS and, if servers are TLS,
// trust in their certificates.
func client(t *testing.T, dns *fakeDNS, opts Options, allow ...string) *http.Client {
	t.Helper()
	if dns == nil {
		dns = newFakeDNS()
	}
	return newClient(Policy{Allow: allow}, opts, dns.lookup)
}

func trust(c *http.Client, servers ...*testServer) {
	pool := x509.NewCertPool()
	for _, s := range servers {
		pool.AddCert(s.Certificate())
	}
	gt := c.Transport.(*guardedTransport)
	gt.base.TLSClientConfig = &tls.Config{RootCAs: pool}
}

// fetchString fetches into a string.
func fetchString(c *http.Client, url string, max int64) (string, error) {
	var b strings.Builder
	_, _, err := Fetch(context.Background(), c, url, &b, max)
	return b.String(), err
}

func wantIs(t *testing.T, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	t.Fatalf("error %v, want one of %v", err, targets)
}
