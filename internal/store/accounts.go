package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// ProviderAccount is an organization's own credentials for a provider. The
// secret is stored sealed (see package secret) and never leaves the server.
type ProviderAccount struct {
	ID               string          `json:"id"`
	OrgID            string          `json:"org_id"`
	Provider         string          `json:"provider"`
	Name             string          `json:"name"`
	SecretCiphertext []byte          `json:"-"`
	WrappedKey       []byte          `json:"-"`
	KeyVersion       int             `json:"-"`
	Config           json.RawMessage `json:"config"`
	Status           string          `json:"status"`
	LastUsedAt       time.Time       `json:"last_used_at,omitzero"`
	CreatedBy        string          `json:"created_by,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
}

const accountColumns = `id, org_id, provider, name, secret_ciphertext, wrapped_key,
	key_version, config_json, status, last_used_at, created_by, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (*ProviderAccount, error) {
	a := &ProviderAccount{}
	var by *string
	err := row.Scan(&a.ID, &a.OrgID, &a.Provider, &a.Name, &a.SecretCiphertext, &a.WrappedKey,
		&a.KeyVersion, rawJSON{&a.Config}, &a.Status, db.ScanTime(&a.LastUsedAt), &by,
		db.ScanTime(&a.CreatedAt), db.ScanTime(&a.UpdatedAt))
	a.CreatedBy = deref(by)
	return a, err
}

// CreateProviderAccount inserts an account; the caller has sealed the
// secret with the account's id as associated data, so ID must be set.
func (s *Store) CreateProviderAccount(ctx context.Context, a *ProviderAccount) error {
	now := db.Now()
	a.CreatedAt, a.UpdatedAt = now, now
	if a.Status == "" {
		a.Status = "active"
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO provider_accounts (`+accountColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.OrgID, a.Provider, a.Name,
		a.SecretCiphertext, a.WrappedKey, a.KeyVersion, jsonText(a.Config), a.Status,
		db.NullTime(a.LastUsedAt), nullString(a.CreatedBy), db.Time(now), db.Time(now))
	return wrap(err, "creating provider account")
}

// ProviderAccounts lists an organization's accounts, or every account when
// orgID is empty (for key rotation).
func (s *Store) ProviderAccounts(ctx context.Context, orgID string) ([]*ProviderAccount, error) {
	query := `SELECT ` + accountColumns + ` FROM provider_accounts`
	var args []any
	if orgID != "" {
		query += ` WHERE org_id = ?`
		args = append(args, orgID)
	}
	rows, err := s.q.QueryContext(ctx, query+` ORDER BY provider, created_at, id`, args...)
	if err != nil {
		return nil, wrap(err, "listing provider accounts")
	}
	defer rows.Close()
	out := []*ProviderAccount{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrap(err, "listing provider accounts")
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "listing provider accounts")
}

// ActiveProviderAccount returns the organization's newest active account
// for a provider.
func (s *Store) ActiveProviderAccount(ctx context.Context, orgID, provider string) (*ProviderAccount, error) {
	a, err := scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+`
		FROM provider_accounts WHERE org_id = ? AND provider = ? AND status = 'active'
		ORDER BY created_at DESC, id DESC LIMIT 1`, orgID, provider))
	return a, wrap(err, "reading provider account")
}

// DeleteProviderAccount removes an organization's account.
func (s *Store) DeleteProviderAccount(ctx context.Context, orgID, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM provider_accounts WHERE id = ? AND org_id = ?`,
		id, orgID)
	return affected(res, err, "deleting provider account")
}

// RewrapProviderAccount stores a re-wrapped data key after APP_KEY rotation.
func (s *Store) RewrapProviderAccount(ctx context.Context, id string, wrapped []byte,
	version int) error {
	res, err := s.q.ExecContext(ctx, `UPDATE provider_accounts SET wrapped_key = ?,
		key_version = ?, updated_at = ? WHERE id = ?`, wrapped, version, db.Time(db.Now()), id)
	return affected(res, err, "re-wrapping provider account")
}
