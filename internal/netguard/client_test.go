package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoopbackBlockedUnlessAllowed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, body("hello"), false)
	_, err := fetchString(client(t, nil, Options{}), srv.URL, 1<<20)
	wantIs(t, err, ErrBlocked)
	if n := srv.accepted(); n != 0 {
		t.Fatalf("blocked fetch made %d connections", n)
	}
	for _, allow := range []string{"127.0.0.1", "127.0.0.0/8", "::ffff:127.0.0.1"} {
		got, err := fetchString(client(t, nil, Options{}, allow), srv.URL, 1<<20)
		if err != nil || got != "hello" {
			t.Errorf("Allow %q: got %q, %v", allow, got, err)
		}
	}
}

func TestHostileURLsRefusedWithoutConnecting(t *testing.T) {
	t.Parallel()
	srv := startServer(t, body("secret"), false)
	p := srv.port
	cases := []struct {
		url  string
		want error
	}{
		{"file:///etc/passwd", ErrScheme},
		{"gopher://127.0.0.1:" + p + "/_GET", ErrScheme},
		{"ftp://127.0.0.1:" + p + "/", ErrScheme},
		{"HTTP+unix://127.0.0.1:" + p + "/", ErrScheme},
		{"//127.0.0.1:" + p + "/", ErrScheme},
		{"http://user:pass@127.0.0.1:" + p + "/", ErrBlocked},
		{"http://127.0.0.1:" + p + "/", ErrBlocked},
		{"https://127.0.0.1:" + p + "/", ErrBlocked},
		{"http://[::1]:" + p + "/", ErrBlocked},
		{"http://0.0.0.0:" + p + "/", ErrBlocked},
		{"http://0:" + p + "/", ErrBlocked},
		{"http://[::]:" + p + "/", ErrBlocked},
		{"http://169.254.169.254/latest/meta-data/", ErrBlocked},
		{"http://2130706433:" + p + "/", ErrBlocked},
		{"http://0x7f000001:" + p + "/", ErrBlocked},
		{"http://0X7F000001:" + p + "/", ErrBlocked},
		{"http://017700000001:" + p + "/", ErrBlocked},
		{"http://0x7f.1:" + p + "/", ErrBlocked},
		{"http://127.1:" + p + "/", ErrBlocked},
		{"http://0177.0.0.1:" + p + "/", ErrBlocked},
		{"http://127.0.0.1.:" + p + "/", ErrBlocked},
		{"http://127.000.000.001:" + p + "/", ErrBlocked},
		{"http://1.2.3.999/", ErrBlocked},
		{"http://08.0.0.1/", ErrBlocked},
		{"http://[::ffff:127.0.0.1]:" + p + "/", ErrBlocked},
		{"http://[::ffff:7f00:1]:" + p + "/", ErrBlocked},
		{"http://[::127.0.0.1]:" + p + "/", ErrBlocked},
		{"http://[64:ff9b::7f00:1]:" + p + "/", ErrBlocked},
		{"http://[64:ff9b::a9fe:a9fe]/", ErrBlocked},
		{"http://[2002:7f00:1::]:" + p + "/", ErrBlocked},
		{"http://[2002:a00:1::1]/", ErrBlocked},
		{"http://[fe80::1%25lo]:" + p + "/", ErrBlocked},
		{"http://[fd00::1]/", ErrBlocked},
		{"http://[ff02::1]/", ErrBlocked},
		{"http://10.0.0.1/", ErrBlocked},
		{"http://172.16.5.4/", ErrBlocked},
		{"http://192.168.1.1/", ErrBlocked},
		{"http://100.64.0.1/", ErrBlocked},
		{"http://224.0.0.1/", ErrBlocked},
		{"http://255.255.255.255/", ErrBlocked},
		{"http://localhost:" + p + "/", ErrBlocked},
		{"http://LocalHost.:" + p + "/", ErrBlocked},
		{"http://foo.localhost:" + p + "/", ErrBlocked},
		{"http://%6c%6fcalhost:" + p + "/", ErrScheme}, // url.Parse refuses it
		{"http://metadata.google.internal/computeMetadata/v1/", ErrBlocked},
		{"http://exa_mple%2e.com%00/", ErrScheme},
		// Circled letters that IDNA would map to "localhost".
		{"http://%E2%93%9B%E2%93%9E%E2%93%92%E2%93%90%E2%93%9B%E2%93%97" +
			"%E2%93%9E%E2%93%A2%E2%93%A3/", ErrBlocked},
		{"http://ｌｏｃａｌｈｏｓｔ:" + p + "/", ErrBlocked},
	}
	dns := newFakeDNS()
	c := client(t, dns, Options{})
	for _, tc := range cases {
		_, err := fetchString(c, tc.url, 1<<20)
		if testing.Verbose() {
			t.Logf("%s -> %v", tc.url, err)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("Fetch(%q) = %v, want %v", tc.url, err, tc.want)
		}
		// The plain client path (no Fetch pre-check) must refuse too.
		if resp, err := c.Get(tc.url); err == nil {
			resp.Body.Close()
			t.Errorf("Get(%q) succeeded", tc.url)
		} else if !errors.Is(err, ErrBlocked) && !errors.Is(err, ErrScheme) &&
			!strings.Contains(err.Error(), "unsupported protocol scheme") &&
			!strings.Contains(err.Error(), "invalid") {
			t.Errorf("Get(%q) = %v, want a refusal", tc.url, err)
		}
	}
	if n := srv.accepted(); n != 0 {
		t.Errorf("hostile URLs made %d connections", n)
	}
	if n := dns.count(); n != 0 {
		t.Errorf("hostile URLs made %d DNS lookups: %v", n, dns.calls)
	}
}

func TestAllowDoesNotOpenOtherRules(t *testing.T) {
	t.Parallel()
	srv := startServer(t, body("ok"), false)
	p := srv.port
	c := client(t, nil, Options{}, "127.0.0.1")
	refused := []string{
		"http://user:pass@127.0.0.1:" + p + "/",
		"http://localhost:" + p + "/",
		"http://foo.localhost:" + p + "/",
		"http://[64:ff9b::7f00:1]:" + p + "/",
		"http://127.0.0.2:" + p + "/",
		"gopher://127.0.0.1:" + p + "/",
	}
	for _, u := range refused {
		if _, err := fetchString(c, u, 1<<20); err == nil {
			t.Errorf("Fetch(%q) with Allow 127.0.0.1 succeeded", u)
		}
	}
	if n := srv.accepted(); n != 0 {
		t.Errorf("refused URLs made %d connections", n)
	}
	// Legacy spellings are judged by the address they denote.
	for _, u := range []string{"http://2130706433:" + p + "/", "http://0x7f.1:" + p + "/"} {
		if got, err := fetchString(c, u, 1<<20); err != nil || got != "ok" {
			t.Errorf("Fetch(%q) = %q, %v; want the allowed 127.0.0.1", u, got, err)
		}
	}
	// Allowing the name is the way to reach localhost.
	lc := newClient(Policy{Allow: []string{"localhost"}}, Options{},
		newFakeDNS("localhost", "127.0.0.1").lookup)
	if got, err := fetchString(lc, "http://localhost:"+p+"/", 1<<20); err != nil || got != "ok" {
		t.Errorf("Allow localhost: %q, %v", got, err)
	}
}

func TestResolvedAddressesChecked(t *testing.T) {
	t.Parallel()
	srv := startServer(t, body("inside"), false)
	p := srv.port
	dns := newFakeDNS(
		"rebind.test", "127.0.0.1",
		"mixed.test", "93.184.215.14,127.0.0.1",
		"meta.test", "169.254.169.254",
		"v6.test", "::ffff:127.0.0.1",
		"relay.test", "127.0.0.1",
		"a.relay.test", "127.0.0.1",
	)
	c := client(t, dns, Options{})
	for _, host := range []string{"rebind.test", "mixed.test", "meta.test", "v6.test"} {
		_, err := fetchString(c, "http://"+host+":"+p+"/", 1<<20)
		wantIs(t, err, ErrBlocked)
	}
	if n := srv.accepted(); n != 0 {
		t.Fatalf("names resolving to loopback made %d connections", n)
	}
	for _, tc := range []struct {
		allow, host string
		ok          bool
	}{
		{"relay.test", "relay.test", true},
		{"RELAY.test.", "relay.test", true},
		{"*.relay.test", "a.relay.test", true},
		{"*.relay.test", "relay.test", false},
		{"127.0.0.0/8", "rebind.test", true},
		{"relay.test", "rebind.test", false},
	} {
		allow, err := ParseAllow(tc.allow)
		if err != nil {
			t.Fatal(err)
		}
		c := client(t, dns, Options{}, allow...)
		got, err := fetchString(c, "http://"+tc.host+":"+p+"/", 1<<20)
		if tc.ok && (err != nil || got != "inside") {
			t.Errorf("Allow %q, host %s: %q, %v", tc.allow, tc.host, got, err)
		}
		if !tc.ok && !errors.Is(err, ErrBlocked) {
			t.Errorf("Allow %q, host %s: %v, want ErrBlocked", tc.allow, tc.host, err)
		}
	}
}

// redirectTo answers every request with a 302 to target.
func redirectTo(target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	})
}

func TestRedirectToBlockedRefused(t *testing.T) {
	t.Parallel()
	inner := startServer(t, body("internal"), false)
	targets := []string{
		inner.URL + "/admin?sig=SECRETSIG",
		"http://2130706433:" + inner.port + "/",
		"http://localhost:" + inner.port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"file:///etc/passwd",
		"gopher://public.test/",
		"http://user:pw@public.test/",
	}
	for _, target := range targets {
		outer := startServer(t, redirectTo(target), false)
		dns := newFakeDNS("public.test", "127.0.0.1")
		// Only the outer server's name is allowed; the inner address is not.
		c := client(t, dns, Options{}, "public.test")
		_, err := fetchString(c, "http://public.test:"+outer.port+"/start?token=TOPSECRET", 1<<20)
		wantIs(t, err, ErrBlocked, ErrScheme)
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("error leaks a secret: %v", err)
		}
		if outer.accepted() != 1 {
			t.Errorf("outer server accepted %d connections, want 1", outer.accepted())
		}
	}
	if n := inner.accepted(); n != 0 {
		t.Errorf("redirects reached the blocked server %d times", n)
	}
}

func TestRedirectHTTPSToHTTPAllowed(t *testing.T) {
	t.Parallel()
	plain := startServer(t, body("landed"), false)
	secure := startServer(t, redirectTo(plain.URL+"/file.mp4"), true)
	c := client(t, nil, Options{UserAgent: "reelforge-test"}, "127.0.0.0/8")
	trust(c, secure)
	var b strings.Builder
	n, ct, err := Fetch(context.Background(), c, secure.URL+"/start", &b, 1<<20)
	if err != nil || b.String() != "landed" || n != 6 || ct != "text/plain" {
		t.Fatalf("Fetch = %d, %q, %v, body %q", n, ct, err, b.String())
	}
}

// chain redirects /r/N to /r/N-1 and serves a body at /r/0.
func chain() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			_, _ = w.Write([]byte("end"))
			return
		}
		http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), http.StatusFound)
	})
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	srv := startServer(t, chain(), false)
	for _, tc := range []struct {
		max, hops int
		ok        bool
	}{
		{0, 5, true}, {0, 6, false}, {3, 3, true}, {3, 4, false}, {-1, 0, true}, {-1, 1, false},
	} {
		c := client(t, nil, Options{MaxRedirects: tc.max}, "127.0.0.1")
		got, err := fetchString(c, srv.URL+"/r/"+strconv.Itoa(tc.hops), 1<<20)
		if tc.ok && (err != nil || got != "end") {
			t.Errorf("max %d, %d hops: %q, %v", tc.max, tc.hops, got, err)
		}
		if !tc.ok {
			wantIs(t, err, ErrTooManyRedirects)
		}
	}
}

func TestFetchSizeCap(t *testing.T) {
	t.Parallel()
	const limit = 1000
	payload := strings.Repeat("x", limit)
	mux := http.NewServeMux()
	mux.Handle("/exact", body(payload))
	mux.Handle("/over", body(payload+"y"))
	chunked := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			// Flushing first forces chunked encoding: no Content-Length.
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(s))
		}
	}
	mux.Handle("/chunked-exact", chunked(payload))
	mux.Handle("/chunked-over", chunked(payload+"y"))
	srv := startServer(t, mux, false)
	c := client(t, nil, Options{}, "127.0.0.1")
	for _, path := range []string{"/exact", "/chunked-exact"} {
		var b strings.Builder
		n, _, err := Fetch(context.Background(), c, srv.URL+path, &b, limit)
		if err != nil || n != limit || b.Len() != limit {
			t.Errorf("%s: n=%d len=%d err=%v", path, n, b.Len(), err)
		}
	}
	for _, path := range []string{"/over", "/chunked-over"} {
		var b strings.Builder
		n, ct, err := Fetch(context.Background(), c, srv.URL+path, &b, limit)
		wantIs(t, err, ErrTooLarge)
		if n > limit || b.Len() > limit || ct != "" {
			t.Errorf("%s: wrote %d (n=%d, ct %q) past a cap of %d", path, b.Len(), n, ct, limit)
		}
	}
	_, _, err := Fetch(context.Background(), c, srv.URL+"/exact", &strings.Builder{}, 0)
	if err == nil {
		t.Error("a zero cap was accepted")
	}
}

func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}), false)
	defer close(release)
	c := client(t, nil, Options{Timeout: 200 * time.Millisecond}, "127.0.0.1")
	start := time.Now()
	_, err := fetchString(c, srv.URL+"/slow?X-Amz-Signature=SECRETSIG", 1<<20)
	if err == nil {
		t.Fatal("slow server did not time out")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a timeout", err)
	}
	if strings.Contains(err.Error(), "SECRETSIG") {
		t.Errorf("error leaks the query: %v", err)
	}
}

func TestErrorsOmitSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t, http.NotFoundHandler(), false)
	c := client(t, nil, Options{}, "127.0.0.1")
	cases := []string{
		srv.URL + "/missing?token=SECRET1&sig=SECRET2#SECRET3",
		"http://10.0.0.1/x?token=SECRET1",
		"http://admin:SECRET1@127.0.0.1:" + srv.port + "/?a=SECRET2",
		"gopher://h/?SECRET1",
		"http://h/%zz?token=SECRET1",
		"http://[::1/?token=SECRET1",
	}
	for _, u := range cases {
		_, err := fetchString(c, u, 1<<20)
		if err == nil {
			t.Errorf("Fetch(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("Fetch(%q) error leaks a secret: %v", u, err)
		}
	}
	_, err := fetchString(c, cases[0], 1<<20)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
		t.Errorf("404: got %v, want a *StatusError", err)
	}
	if !strings.Contains(err.Error(), "/missing") {
		t.Errorf("error %q does not name the path", err)
	}
}

func TestFetchRequiresGuardedClient(t *testing.T) {
	t.Parallel()
	srv := startServer(t, body("x"), false)
	_, err := fetchString(srv.Client(), srv.URL, 10)
	wantIs(t, err, ErrBlocked)
	_, err = fetchString(nil, srv.URL, 10)
	wantIs(t, err, ErrBlocked)
	if n := srv.accepted(); n != 0 {
		t.Errorf("unguarded clients made %d connections", n)
	}
}

func TestClientSettings(t *testing.T) {
	t.Parallel()
	c := NewClient(Policy{}, Options{})
	gt, ok := c.Transport.(*guardedTransport)
	if !ok {
		t.Fatalf("transport is %T", c.Transport)
	}
	if gt.base.Proxy != nil {
		t.Error("the transport uses a proxy")
	}
	if c.Timeout != DefaultTimeout || c.Jar != nil {
		t.Errorf("timeout %v, jar %v", c.Timeout, c.Jar)
	}
	gotUA := make(chan string, 1)
	srv := startServer(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		gotUA <- r.UserAgent()
	}), false)
	uc := client(t, nil, Options{UserAgent: "reelforge/1"}, "127.0.0.1")
	if _, err := fetchString(uc, srv.URL, 10); err != nil {
		t.Fatal(err)
	}
	if ua := <-gotUA; ua != "reelforge/1" {
		t.Errorf("User-Agent %q", ua)
	}
}
