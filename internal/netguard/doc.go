// Package netguard is Reelforge's guard against server-side request forgery
// (SSRF). Every download of a URL that came from outside the process (video
// and image URLs returned by providers, image URLs supplied by users) goes
// through a client built by [NewClient], usually via [Fetch].
//
// The guard has two layers:
//
//   - A cheap check of the URL before any network activity: only http and
//     https, no user:password part, and a host that is not a blocked literal
//     address or a blocked name such as "localhost". The same check runs on
//     every redirect hop.
//   - The binding check at dial time: the client's dialer resolves the host
//     itself, refuses the connection if any resolved address is loopback,
//     private, link-local, multicast or otherwise non-public, and then dials
//     exactly the address it checked. A DNS answer that changes between checks
//     (rebinding) therefore cannot slip through, and a redirect to an internal
//     host fails at the dial even if the URL check missed it.
//
// Operators open holes with [Policy.Allow] (REELFORGE_OUTBOUND_ALLOW), for
// example to reach a private relay or an httptest server on loopback. Entries
// are checked with [ParseAllow].
//
// Errors returned by [Fetch] never contain the query string or the userinfo of
// the URL, because signed download URLs carry their credentials there.
package netguard
