package netguard

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{
		"", "127.0.0.1", "127.0.0.0/8, relay.corp", "*.cdn.test", "::ffff:1.2.3.4/120",
		"fe80::1%eth0", "x:1", "*.", ",,, ,", "0x7f.1", "A.B.C.", "10.0.0.0/33",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseAllow(s)
		if err != nil {
			if entries != nil {
				t.Fatalf("entries %q returned with error %v", entries, err)
			}
			return
		}
		// Normalized output parses again to itself.
		again, err := ParseAllow(strings.Join(entries, ","))
		if err != nil {
			t.Fatalf("normalized %q does not parse: %v", entries, err)
		}
		if strings.Join(again, ",") != strings.Join(entries, ",") {
			t.Fatalf("normalizing is not stable: %q then %q", entries, again)
		}
		for _, e := range entries {
			if e == "" || strings.ContainsAny(e, ", \t:@[]") && !isIPv6Entry(e) {
				t.Fatalf("suspicious entry %q from %q", e, s)
			}
		}
	})
}

func isIPv6Entry(e string) bool {
	if p, err := netip.ParsePrefix(e); err == nil {
		return p.Addr().Is6()
	}
	a, err := netip.ParseAddr(e)
	return err == nil && a.Is6()
}

// oracleIPv4 decodes the numeric host spellings independently of
// parseLegacyIPv4, with strconv, to cross-check the guard.
func oracleIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		lp := strings.ToLower(p)
		if p == "" || strings.ContainsAny(p, "_+-") || strings.HasPrefix(lp, "0o") ||
			strings.HasPrefix(lp, "0b") {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var ip uint64
	for i, v := range vals {
		if i < len(vals)-1 {
			if v > 255 {
				return netip.Addr{}, false
			}
			ip |= v << (24 - 8*i)
			continue
		}
		if v >= 1<<(8*(5-len(vals))) {
			return netip.Addr{}, false
		}
		ip |= v
	}
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}),
		true
}

// loopbackLiteral reports whether host spells a loopback or unspecified
// address in any form a resolver might accept.
func loopbackLiteral(host string) (netip.Addr, bool) {
	h := strings.TrimSuffix(strings.Trim(strings.ToLower(host), "[]"), ".")
	a, err := netip.ParseAddr(h)
	if err != nil {
		var ok bool
		if a, ok = oracleIPv4(h); !ok {
			return netip.Addr{}, false
		}
	}
	a = a.WithZone("").Unmap()
	return a, a.IsLoopback() || a.IsUnspecified()
}

func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1", "2130706433", "0x7f.1", "017700000001", "[::1]", "::ffff:127.0.0.1",
		"localhost", "foo.localhost.", "0", "127.1", "example.com", "1.2.3.4", "0x7F.0.0.1",
		"fe80::1%lo", "64:ff9b::7f00:1", "0177.0.0.01", "127.0.0.1.",
	} {
		f.Add(s, "")
		f.Add(s, "127.0.0.2")
	}
	f.Add("127.0.0.1", "127.0.0.0/8")
	f.Add("localhost", "localhost")
	f.Fuzz(func(t *testing.T, host, allow string) {
		entries, err := ParseAllow(allow)
		if err != nil {
			entries = nil
		}
		g := newGuard(Policy{Allow: entries})
		tgt, err := g.checkHost(host)
		if err != nil {
			return
		}
		a, loop := loopbackLiteral(host)
		if !loop {
			if tgt.name != "" && blockedName(tgt.name) && !tgt.nameAllowed {
				t.Fatalf("blocked name %q passed", host)
			}
			return
		}
		if !tgt.literal || tgt.addr.WithZone("").Unmap() != a {
			t.Fatalf("host %q decoded as %+v, oracle says %v", host, tgt, a)
		}
		if !g.addrAllowed(a) {
			t.Fatalf("loopback literal %q (%v) passed with Allow %q", host, a, entries)
		}
	})
}
