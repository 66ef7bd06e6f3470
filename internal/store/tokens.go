package store

import (
	"context"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db"
)

// RefreshToken is the stored, hashed form of an opaque refresh token. Tokens
// rotate on every use; all tokens descended from one login share a family,
// so that a reused token can revoke the whole family.
type RefreshToken struct {
	ID        string
	UserID    string
	FamilyID  string
	TokenHash string
	ExpiresAt time.Time
	UsedAt    time.Time
	RevokedAt time.Time
	IP        string
	UserAgent string
	CreatedAt time.Time
}

// CreateRefreshToken inserts a refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, t *RefreshToken) error {
	t.ID, t.CreatedAt = NewID(), db.Now()
	if t.FamilyID == "" {
		t.FamilyID = t.ID
	}
	if len(t.UserAgent) > 300 {
		t.UserAgent = t.UserAgent[:300]
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO refresh_tokens (id, user_id, family_id,
		token_hash, expires_at, ip, user_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.FamilyID, t.TokenHash, db.Time(t.ExpiresAt), t.IP, t.UserAgent,
		db.Time(t.CreatedAt))
	return wrap(err, "creating refresh token")
}

// RefreshTokenByHash returns a refresh token by its hash.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*RefreshToken, error) {
	t := &RefreshToken{}
	err := s.queryRow(ctx, `SELECT id, user_id, family_id, token_hash, expires_at,
		used_at, revoked_at, ip, user_agent, created_at FROM refresh_tokens
		WHERE token_hash = ?`, hash).Scan(&t.ID, &t.UserID, &t.FamilyID, &t.TokenHash,
		db.ScanTime(&t.ExpiresAt), db.ScanTime(&t.UsedAt), db.ScanTime(&t.RevokedAt),
		&t.IP, &t.UserAgent, db.ScanTime(&t.CreatedAt))
	return t, wrap(err, "reading refresh token")
}

// MarkRefreshTokenUsed marks a token used, only if it was not used or
// revoked already; it reports whether this call won, so that two concurrent
// refreshes with the same token cannot both succeed.
func (s *Store) MarkRefreshTokenUsed(ctx context.Context, id string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`, db.Time(db.Now()), id)
	if err != nil {
		return false, wrap(err, "using refresh token")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "using refresh token")
}

// RevokeRefreshFamily revokes every token of a family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?
		WHERE family_id = ? AND revoked_at IS NULL`, db.Time(db.Now()), familyID)
	return wrap(err, "revoking refresh tokens")
}

// APIKey is an organization's key for server-to-server calls, acting with one
// role in that organization only.
type APIKey struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	KeyHash    string    `json:"-"`
	Role       auth.Role `json:"role"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

const apiKeyColumns = `id, org_id, name, prefix, key_hash, role, created_by, created_at,
	last_used_at, expires_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	k := &APIKey{}
	var role string
	err := row.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &k.KeyHash, &role, &k.CreatedBy,
		db.ScanTime(&k.CreatedAt), db.ScanTime(&k.LastUsedAt), db.ScanTime(&k.ExpiresAt),
		db.ScanTime(&k.RevokedAt))
	k.Role = auth.Role(role)
	return k, err
}

// CreateAPIKey inserts an API key.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	k.ID, k.CreatedAt = NewID(), db.Now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.OrgID, k.Name, k.Prefix, k.KeyHash,
		k.Role, k.CreatedBy, db.Time(k.CreatedAt), db.NullTime(k.LastUsedAt),
		db.NullTime(k.ExpiresAt), db.NullTime(k.RevokedAt))
	return wrap(err, "creating API key")
}

// APIKeyByPrefix returns a key by its visible prefix.
func (s *Store) APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error) {
	k, err := scanAPIKey(s.queryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
	return k, wrap(err, "reading API key")
}

// ListAPIKeys lists an organization's keys, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string) ([]*APIKey, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org_id = ? ORDER BY created_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, wrap(err, "listing API keys")
	}
	defer rows.Close()
	out := []*APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, wrap(err, "listing API keys")
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "listing API keys")
}

// RevokeAPIKey revokes a key of an organization.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ?
		WHERE id = ? AND org_id = ? AND revoked_at IS NULL`, db.Time(db.Now()), id, orgID)
	return affected(res, err, "revoking API key")
}

// TouchAPIKey records a key's use. Callers throttle it, since it writes.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`,
		db.Time(at), id)
	return wrap(err, "recording API key use")
}
