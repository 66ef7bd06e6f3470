package netguard

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Policy decides which destinations outbound requests may reach. The zero
// Policy allows only public addresses; loopback, private, link-local and the
// other ranges listed in the package documentation are refused.
type Policy struct {
	// Allow lists destinations that may be reached even if they are private
	// or loopback: exact host names ("relay.corp"), wildcard suffixes
	// ("*.relay.corp", which matches sub-domains but not relay.corp itself),
	// IP addresses and CIDRs. It is REELFORGE_OUTBOUND_ALLOW, empty by
	// default; tests and private relays use it to reach loopback.
	//
	// Names are matched against the host name in the URL, so an allowed name
	// may resolve to any address, and allowing a name is the only way to
	// reach a blocked name such as "localhost". Addresses and CIDRs are
	// matched against the address actually dialed. Entries that ParseAllow
	// would reject are ignored (they allow nothing), so validate the setting
	// with ParseAllow at startup.
	Allow []string
}

// ParseAllow splits a comma-separated REELFORGE_OUTBOUND_ALLOW value into
// normalized entries for Policy.Allow. Blank entries are skipped; each other
// entry must be a host name, a "*." wildcard suffix, an IP address (dotted
// decimal or IPv6, no zone) or a CIDR. The error wraps ErrInvalidAllow and
// quotes the first bad entry. An empty string yields no entries.
func ParseAllow(s string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(s, ",") {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		norm, reason := parseEntry(e)
		if reason != "" {
			return nil, fmt.Errorf("netguard: parsing allow entry %q: %s: %w",
				e, reason, ErrInvalidAllow)
		}
		out = append(out, norm)
	}
	return out, nil
}

// parseEntry normalizes one allow entry. It returns a non-empty reason when
// the entry is invalid.
func parseEntry(e string) (norm, reason string) {
	e = strings.ToLower(strings.TrimSpace(e))
	switch {
	case e == "":
		return "", "empty entry"
	case strings.Contains(e, "/"):
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return "", "not a valid CIDR"
		}
		return normalizePrefix(p).String(), ""
	case strings.Contains(e, ":"):
		a, err := netip.ParseAddr(e)
		if err != nil || a.Zone() != "" {
			return "", "not a valid IPv6 address (ports and zones are not allowed)"
		}
		return a.Unmap().String(), ""
	case strings.HasPrefix(e, "*."):
		name := strings.TrimSuffix(e[2:], ".")
		if !validName(name) || numericTLD(name) {
			return "", "wildcard must be \"*.\" followed by a host name"
		}
		return "*." + name, ""
	}
	name := strings.TrimSuffix(e, ".")
	if numericTLD(name) {
		a, err := netip.ParseAddr(name)
		if err != nil {
			return "", "not a dotted-decimal IPv4 address"
		}
		return a.String(), ""
	}
	if !validName(name) {
		return "", "not a host name, IP address or CIDR"
	}
	return name, ""
}

// normalizePrefix masks p and turns an IPv4-mapped IPv6 prefix into the IPv4
// prefix it covers, so that matching can always use unmapped addresses.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// CheckHost reports whether host (as in url.URL.Hostname, brackets optional)
// passes the guard's static check. It does no DNS lookup: a literal address
// is judged fully, a name only by the blocked-name list and the Allow list.
// Use it to reject an obviously bad URL early (for instance in an API
// handler); the binding check is still the one done at dial time.
func (p Policy) CheckHost(host string) error {
	_, err := newGuard(p).checkHost(host)
	return err
}

// CheckURL applies the static checks of CheckHost plus the scheme and
// userinfo rules to a raw URL. Like CheckHost it makes no network request.
// The error never contains the query string.
func (p Policy) CheckURL(raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	return newGuard(p).checkURL(u)
}

// guard is a Policy compiled for matching, together with the tables of
// blocked ranges.
type guard struct {
	names    map[string]bool
	suffixes []string // with the leading dot: ".relay.corp"
	prefixes []netip.Prefix
	rules4   []rangeRule
	rules6   []rangeRule
}

// newGuard compiles p. Invalid Allow entries are skipped.
func newGuard(p Policy) *guard {
	g := &guard{names: map[string]bool{}}
	g.rules4, g.rules6 = blockedRanges()
	for _, e := range p.Allow {
		norm, reason := parseEntry(e)
		if reason != "" {
			continue
		}
		if strings.Contains(norm, "/") {
			g.prefixes = append(g.prefixes, netip.MustParsePrefix(norm))
			continue
		}
		if a, err := netip.ParseAddr(norm); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if strings.HasPrefix(norm, "*.") {
			g.suffixes = append(g.suffixes, norm[1:])
			continue
		}
		g.names[norm] = true
	}
	return g
}

// nameAllowed reports whether the normalized name matches an Allow name.
func (g *guard) nameAllowed(name string) bool {
	if g.names[name] {
		return true
	}
	for _, s := range g.suffixes {
		if len(name) > len(s) && strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// addrAllowed reports whether a matches an Allow address or CIDR.
func (g *guard) addrAllowed(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, p := range g.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// target is the outcome of checkHost: either a literal address to dial as is,
// or a name to resolve.
type target struct {
	literal     bool
	addr        netip.Addr // when literal
	name        string     // normalized, when not literal
	nameAllowed bool       // the name is on the Allow list: any address goes
}

// checkHost normalizes host and applies the static rules. Literal addresses
// include the legacy IPv4 spellings (2130706433, 0x7f.1, 0177.0.0.1) which
// C resolvers accept: they are decoded here and judged by the address they
// denote, and that address is what the dialer connects to.
func (g *guard) checkHost(host string) (target, error) {
	h := strings.ToLower(host)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if h == "" {
		return target{}, fmt.Errorf("netguard: checking host: empty host: %w", ErrBlocked)
	}
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return target{}, fmt.Errorf("netguard: checking host %q: invalid IPv6 literal: %w",
				host, ErrBlocked)
		}
		return target{literal: true, addr: a}, g.checkAddr(a, false)
	}
	h = strings.TrimSuffix(h, ".")
	if numericTLD(h) {
		a, ok := parseLegacyIPv4(h)
		if !ok {
			return target{}, fmt.Errorf(
				"netguard: checking host %q: numeric name is not an IPv4 address: %w",
				host, ErrBlocked)
		}
		return target{literal: true, addr: a}, g.checkAddr(a, false)
	}
	if !validName(h) {
		return target{}, fmt.Errorf("netguard: checking host %q: invalid host name: %w",
			host, ErrBlocked)
	}
	t := target{name: h, nameAllowed: g.nameAllowed(h)}
	if !t.nameAllowed && blockedName(h) {
		return target{}, fmt.Errorf("netguard: checking host %q: internal name: %w",
			host, ErrBlocked)
	}
	return t, nil
}

// checkAddr refuses a non-public address unless the Allow list covers it or
// the host name it was resolved from is allowed.
func (g *guard) checkAddr(a netip.Addr, nameAllowed bool) error {
	if nameAllowed || (a.IsValid() && g.addrAllowed(a)) {
		return nil
	}
	if reason := g.blockedReason(a); reason != "" {
		return fmt.Errorf("netguard: checking address %s: %s: %w", a, reason, ErrBlocked)
	}
	return nil
}

// checkURL applies the scheme, userinfo and static host rules to u.
func (g *guard) checkURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("netguard: checking URL scheme %q: %w", u.Scheme, ErrScheme)
	}
	if u.User != nil {
		return fmt.Errorf("netguard: checking URL %s: credentials in URL: %w",
			redact(u), ErrBlocked)
	}
	if u.Opaque != "" || u.Host == "" {
		return fmt.Errorf("netguard: checking URL %s: no host: %w", redact(u), ErrBlocked)
	}
	_, err := g.checkHost(u.Hostname())
	return err
}
