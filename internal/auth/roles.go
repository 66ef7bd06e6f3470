// Package auth holds Reelforge's identity primitives: password hashes, access
// tokens, refresh tokens, API keys, and the role ladder that every
// authorization decision is made against.
package auth

import "fmt"

// Role is a member's role in an organization or a project, as it appears on
// the wire.
type Role string

// Roles from least to most powerful. Viewer reads; Editor writes content;
// Admin manages members and settings; Owner also deletes and transfers.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
	RoleOwner  Role = "owner"
)

// Roles lists every role from least to most powerful.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin, RoleOwner}

// ParseRole validates a role received from a client.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("auth: unknown role %q", s)
}

// rank orders roles; the zero role ranks below viewer, meaning no access.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Max returns the more powerful of two roles; a user's role in a project is
// the greater of their organization role and their project role.
func Max(a, b Role) Role {
	if b.rank() > a.rank() {
		return b
	}
	return a
}
