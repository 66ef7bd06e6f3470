package netguard

import (
	"net/netip"
	"strings"
)

// rangeRule is one blocked address range and the reason shown in errors.
type rangeRule struct {
	prefix netip.Prefix
	reason string
}

// blockedRanges returns the IPv4 and IPv6 ranges that are never reached
// without an Allow entry: every special-purpose range that is not globally
// reachable and could lead into the host, its network or a cloud metadata
// service. More specific entries come first so that errors name them.
func blockedRanges() (v4, v6 []rangeRule) {
	mk := func(pairs ...string) []rangeRule {
		rules := make([]rangeRule, 0, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			rules = append(rules, rangeRule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
		}
		return rules
	}
	v4 = mk(
		"169.254.169.254/32", "cloud metadata",
		"255.255.255.255/32", "broadcast",
		"0.0.0.0/8", "unspecified (this network)",
		"10.0.0.0/8", "private",
		"100.64.0.0/10", "carrier-grade NAT",
		"127.0.0.0/8", "loopback",
		"169.254.0.0/16", "link-local",
		"172.16.0.0/12", "private",
		"192.0.0.0/24", "IETF protocol assignment",
		"192.0.2.0/24", "documentation",
		"192.168.0.0/16", "private",
		"198.18.0.0/15", "benchmarking",
		"198.51.100.0/24", "documentation",
		"203.0.113.0/24", "documentation",
		"224.0.0.0/4", "multicast",
		"240.0.0.0/4", "reserved",
	)
	v6 = mk(
		"::/128", "unspecified",
		"::1/128", "loopback",
		"64:ff9b:1::/48", "local-use NAT64",
		"100::/64", "discard-only",
		"2001:db8::/32", "documentation",
		"3fff::/20", "documentation",
		"fc00::/7", "unique local (private)",
		"fe80::/10", "link-local",
		"fec0::/10", "site-local",
		"ff00::/8", "multicast",
	)
	return v4, v6
}

// blockedReason says why a may not be dialed, or "" if it is public. IPv6
// forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo)
// are judged by the IPv4 address as well, because a gateway may deliver the
// packets there.
func (g *guard) blockedReason(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	if !a.IsValid() {
		return "invalid address"
	}
	if a.Is4() {
		for _, r := range g.rules4 {
			if r.prefix.Contains(a) {
				return r.reason
			}
		}
		return ""
	}
	for _, r := range g.rules6 {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	for _, e := range embeddedIPv4(a) {
		if reason := g.blockedReason(e.addr); reason != "" {
			return e.form + " of " + reason + " " + e.addr.String()
		}
	}
	return ""
}

// embedded is an IPv4 address found inside an IPv6 address.
type embedded struct {
	form string
	addr netip.Addr
}

// embeddedIPv4 extracts the IPv4 addresses that an IPv6 address hands to a
// translator or tunnel.
func embeddedIPv4(a netip.Addr) []embedded {
	b := a.As16()
	v4at := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{b[i], b[i+1], b[i+2], b[i+3]})
	}
	zero := func(from, to int) bool {
		for _, x := range b[from:to] {
			if x != 0 {
				return false
			}
		}
		return true
	}
	switch {
	case zero(0, 12):
		// ::a.b.c.d, the deprecated IPv4-compatible form.
		return []embedded{{"IPv4-compatible form", v4at(12)}}
	case zero(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0:
		// ::ffff:0:a.b.c.d, the SIIT IPv4-translated form.
		return []embedded{{"IPv4-translated form", v4at(12)}}
	case b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12):
		return []embedded{{"NAT64 form", v4at(12)}}
	case b[0] == 0x20 && b[1] == 0x02:
		return []embedded{{"6to4 form", v4at(2)}}
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0:
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []embedded{{"Teredo server", v4at(4)}, {"Teredo client", client}}
	}
	return nil
}

// blockedName reports the names that lead to the local host or to a cloud
// metadata service whatever DNS says. name is lower case without a trailing
// dot.
func blockedName(name string) bool {
	return name == "localhost" || strings.HasSuffix(name, ".localhost") ||
		name == "metadata.google.internal"
}

// validName reports whether name (lower case, no trailing dot) is a plain
// ASCII host name: dot-separated labels of letters, digits, '-' and '_', each
// 1 to 63 bytes and not starting or ending with '-'. Internationalized names
// must arrive in their xn-- form.
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

// numericTLD reports whether the last label of host starts with a digit. No
// top-level domain does, so such a host is an address spelling, never a name.
func numericTLD(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	return last != "" && last[0] >= '0' && last[0] <= '9'
}

// parseLegacyIPv4 decodes the IPv4 spellings of the BSD inet_aton family:
// one to four dot-separated parts, each decimal, octal (leading 0) or
// hexadecimal (leading 0x); the last part fills the remaining bytes. So
// "2130706433", "0x7f.1" and "0177.0.0.1" are all 127.0.0.1. Anything
// else, including empty parts, is rejected.
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseLegacyPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var ip uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		ip |= v << (24 - 8*i)
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	ip |= last
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

// parseLegacyPart decodes one part of a legacy IPv4 spelling; values above
// 2^32-1 are rejected.
func parseLegacyPart(p string) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	if p == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		d, ok := digitValue(p[i])
		if !ok || d >= base {
			return 0, false
		}
		v = v*base + d
		if v > 0xffffffff {
			return 0, false
		}
	}
	return v, true
}

// digitValue decodes one hexadecimal digit.
func digitValue(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
