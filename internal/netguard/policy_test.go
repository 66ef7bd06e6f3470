package netguard

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseAllow(t *testing.T) {
	t.Parallel()
	got, err := ParseAllow(" Relay.Corp. ,*.CDN.test, 127.0.0.1,, 10.0.0.0/8 ,::1," +
		"::ffff:10.1.2.3, ::ffff:10.0.0.0/104, 192.168.1.7/16, my_host ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"relay.corp", "*.cdn.test", "127.0.0.1", "10.0.0.0/8", "::1",
		"10.1.2.3", "10.0.0.0/8", "192.168.0.0/16", "my_host"}
	if !slices.Equal(got, want) {
		t.Errorf("ParseAllow = %q, want %q", got, want)
	}
	if got, err := ParseAllow(""); err != nil || len(got) != 0 {
		t.Errorf("ParseAllow(\"\") = %q, %v", got, err)
	}
	for _, bad := range []string{
		"*", "*.", "**.x", "a.*.b", "http://x", "x:8080", "127.0.0.1:80", "[::1]",
		"fe80::1%eth0", "10.0.0.0/33", "2130706433", "0x7f.1", "1.2.3", "-x.test",
		"a..b", "exa mple", "ｌｏｃａｌｈｏｓｔ", "x/y", "*.1.2", strings.Repeat("a", 64),
	} {
		_, err := ParseAllow("ok.test," + bad)
		if !errors.Is(err, ErrInvalidAllow) {
			t.Errorf("ParseAllow(%q) = %v, want ErrInvalidAllow", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not name %q", err, bad)
		}
	}
}

func TestBlockedReason(t *testing.T) {
	t.Parallel()
	g := newGuard(Policy{})
	blocked := []string{
		"127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.1.1.1", "172.31.255.255",
		"192.168.0.1", "169.254.169.254", "169.254.1.1", "100.64.0.1", "100.127.255.255",
		"224.0.0.251", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.0.8",
		"198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fdff::1", "ff02::fb", "fec0::1",
		"::ffff:10.0.0.1", "::ffff:0:10.0.0.1", "::10.0.0.1", "64:ff9b::192.168.0.1",
		"64:ff9b:1::8.8.8.8", "2002:c0a8:0101::1", "2001:db8::1",
		// Teredo with client 127.0.0.1 obfuscated (bits inverted): 80ff:fffe.
		"2001:0:4136:e378:8000:63bf:80ff:fffe",
	}
	for _, s := range blocked {
		if r := g.blockedReason(netip.MustParseAddr(s)); r == "" {
			t.Errorf("%s is not blocked", s)
		}
	}
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.215.14", "100.63.255.255", "100.128.0.0",
		"172.15.255.255", "172.32.0.0", "192.169.0.0", "2606:4700:4700::1111",
		"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1",
		"2001:0:4136:e378:8000:63bf:f7f7:f7f7",
	}
	for _, s := range public {
		if r := g.blockedReason(netip.MustParseAddr(s)); r != "" {
			t.Errorf("%s is blocked: %s", s, r)
		}
	}
	if g.blockedReason(netip.Addr{}) == "" {
		t.Error("the zero Addr is not blocked")
	}
}

func TestParseLegacyIPv4(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "017700000001": "127.0.0.1",
		"0x7f.1": "127.0.0.1", "127.1": "127.0.0.1", "0177.0.0.1": "127.0.0.1",
		"127.0.1": "127.0.0.1", "0": "0.0.0.0", "1.2.3.4": "1.2.3.4",
		"0xA9.0xFE.0xA9.0xFE": "169.254.169.254", "4294967295": "255.255.255.255",
		"10.0x10000": "10.1.0.0", "00": "0.0.0.0",
	}
	for in, want := range good {
		a, ok := parseLegacyIPv4(in)
		if !ok || a.String() != want {
			t.Errorf("parseLegacyIPv4(%q) = %v, %v; want %s", in, a, ok, want)
		}
	}
	for _, in := range []string{
		"", ".", "1.", "1..2", "4294967296", "256.1.1.1", "1.2.3.256", "1.2.65536",
		"1.16777216", "08", "0x", "0xg", "1.2.3.4.5", "1_0", "0b1", "0o7", "+1", "-1",
		"99999999999999999999999",
	} {
		if a, ok := parseLegacyIPv4(in); ok {
			t.Errorf("parseLegacyIPv4(%q) = %v, want failure", in, a)
		}
	}
}

func TestPolicyChecks(t *testing.T) {
	t.Parallel()
	p := Policy{Allow: []string{"relay.corp", "*.relay.corp", "10.0.0.0/8", "bad entry"}}
	for host, ok := range map[string]bool{
		"example.com": true, "relay.corp": true, "x.relay.corp": true, "10.2.3.4": true,
		"[::ffff:10.2.3.4]": true, "0x0a.1": true, "127.0.0.1": false, "localhost": false,
		"": false, "[::1]": false, "bad entry": false, "xrelay.corp": true, "a b": false,
	} {
		if err := p.CheckHost(host); (err == nil) != ok {
			t.Errorf("CheckHost(%q) = %v, want ok=%v", host, err, ok)
		}
	}
	for raw, want := range map[string]error{
		"https://example.com/a?b=c":         nil,
		"HTTPS://EXAMPLE.COM/":              nil,
		"http://10.9.9.9/":                  nil,
		"ftp://example.com/":                ErrScheme,
		"http://u@example.com/":             ErrBlocked,
		"http:example.com":                  ErrBlocked,
		"http:///path":                      ErrBlocked,
		"http://169.254.169.254/?k=SECRET":  ErrBlocked,
		"http://[::1/":                      ErrScheme,
		"https://metadata.google.internal/": ErrBlocked,
	} {
		err := p.CheckURL(raw)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("CheckURL(%q) = %v, want %v", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("CheckURL(%q) leaks the query: %v", raw, err)
		}
	}
}
