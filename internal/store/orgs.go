package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db"
)

// Organization owns projects, members, API keys, provider accounts and a
// monthly budget.
type Organization struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Slug               string          `json:"slug"`
	Personal           bool            `json:"personal"`
	OwnerID            string          `json:"owner_id"`
	MonthlyBudgetCents *int64          `json:"monthly_budget_cents"`
	Settings           json.RawMessage `json:"settings"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
	// Role is the caller's role, filled in by list and read queries.
	Role auth.Role `json:"role,omitempty"`
}

const orgColumns = `o.id, o.name, o.slug, o.personal, o.owner_id, o.monthly_budget_cents,
	o.settings_json, o.created_at, o.updated_at`

func scanOrg(row interface{ Scan(...any) error }, extra ...any) (*Organization, error) {
	o := &Organization{}
	var budget *int64
	dst := []any{&o.ID, &o.Name, &o.Slug, &o.Personal, &o.OwnerID, &budget,
		rawJSON{&o.Settings}, db.ScanTime(&o.CreatedAt), db.ScanTime(&o.UpdatedAt)}
	err := row.Scan(append(dst, extra...)...)
	o.MonthlyBudgetCents = budget
	return o, err
}

// CreateOrganization inserts an organization and makes its owner a member
// with the owner role.
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	now := db.Now()
	o.ID, o.CreatedAt, o.UpdatedAt = NewID(), now, now
	if o.Slug == "" {
		o.Slug = o.ID
	}
	if len(o.Settings) == 0 {
		o.Settings = json.RawMessage("{}")
	}
	return s.InTx(ctx, func(tx *Store) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO organizations (id, name, slug, personal,
			owner_id, monthly_budget_cents, settings_json, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.Name, o.Slug, o.Personal, o.OwnerID, o.MonthlyBudgetCents,
			jsonText(o.Settings), db.Time(now), db.Time(now))
		if err != nil {
			return wrap(err, "creating organization")
		}
		o.Role = auth.RoleOwner
		return tx.PutOrgMember(ctx, o.ID, o.OwnerID, auth.RoleOwner)
	})
}

// OrganizationFor returns an organization with the user's role in it, or
// ErrNotFound when the user is not a member.
func (s *Store) OrganizationFor(ctx context.Context, orgID, userID string) (*Organization, error) {
	var role string
	o, err := scanOrg(s.queryRow(ctx, `SELECT `+orgColumns+`, m.role
		FROM organizations o JOIN organization_members m ON m.org_id = o.id
		WHERE o.id = ? AND m.user_id = ?`, orgID, userID), &role)
	o.Role = auth.Role(role)
	return o, wrap(err, "reading organization")
}

// OrganizationByID returns an organization regardless of membership.
func (s *Store) OrganizationByID(ctx context.Context, orgID string) (*Organization, error) {
	o, err := scanOrg(s.queryRow(ctx,
		`SELECT `+orgColumns+` FROM organizations o WHERE o.id = ?`, orgID))
	return o, wrap(err, "reading organization")
}

// OrganizationsOf lists the organizations a user belongs to.
func (s *Store) OrganizationsOf(ctx context.Context, userID string) ([]*Organization, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+orgColumns+`, m.role
		FROM organizations o JOIN organization_members m ON m.org_id = o.id
		WHERE m.user_id = ? ORDER BY o.personal DESC, o.name, o.id`, userID)
	if err != nil {
		return nil, wrap(err, "listing organizations")
	}
	defer rows.Close()
	var out []*Organization
	for rows.Next() {
		var role string
		o, err := scanOrg(rows, &role)
		if err != nil {
			return nil, wrap(err, "listing organizations")
		}
		o.Role = auth.Role(role)
		out = append(out, o)
	}
	return out, wrap(rows.Err(), "listing organizations")
}

// UpdateOrganization saves name, budget and settings.
func (s *Store) UpdateOrganization(ctx context.Context, o *Organization) error {
	o.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE organizations SET name = ?,
		monthly_budget_cents = ?, settings_json = ?, owner_id = ?, updated_at = ? WHERE id = ?`,
		o.Name, o.MonthlyBudgetCents, jsonText(o.Settings), o.OwnerID, db.Time(o.UpdatedAt), o.ID)
	return affected(res, err, "updating organization")
}

// DeleteOrganization deletes an organization and, by cascade, everything in
// it.
func (s *Store) DeleteOrganization(ctx context.Context, orgID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM organizations WHERE id = ?`, orgID)
	return affected(res, err, "deleting organization")
}

// PutOrgMember adds a member or changes their role.
func (s *Store) PutOrgMember(ctx context.Context, orgID, userID string, role auth.Role) error {
	return s.upsertMember(ctx, "organization_members", "org_id", orgID, userID, role)
}

// upsertMember inserts a membership or updates its role in one statement.
// Two statements (update, then insert when nothing matched) deadlock on
// MySQL when concurrent transactions take gap locks on the same range.
func (s *Store) upsertMember(ctx context.Context, table, scopeCol, scopeID, userID string,
	role auth.Role) error {
	query := `INSERT INTO ` + table + ` (` + scopeCol + `, user_id, role, created_at)
		VALUES (?, ?, ?, ?) `
	if s.db.Dialect == db.MySQL {
		query += `ON DUPLICATE KEY UPDATE role = VALUES(role)`
	} else {
		query += `ON CONFLICT (` + scopeCol + `, user_id) DO UPDATE SET role = excluded.role`
	}
	_, err := s.q.ExecContext(ctx, query, scopeID, userID, role, db.Time(db.Now()))
	return wrap(err, "saving member")
}

// OrgRole returns a user's role in an organization, or "" when none.
func (s *Store) OrgRole(ctx context.Context, orgID, userID string) (auth.Role, error) {
	var role string
	err := s.queryRow(ctx, `SELECT role FROM organization_members
		WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&role)
	if err = wrap(err, "reading role"); err == ErrNotFound {
		return "", nil
	}
	return auth.Role(role), err
}

// OrgMembers lists an organization's members.
func (s *Store) OrgMembers(ctx context.Context, orgID string) ([]*Member, error) {
	return s.members(ctx, `SELECT u.id, u.email, u.name, m.role, m.created_at
		FROM organization_members m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY m.created_at, u.id`, orgID)
}

// RemoveOrgMember removes a member from an organization and from its
// projects.
func (s *Store) RemoveOrgMember(ctx context.Context, orgID, userID string) error {
	return s.InTx(ctx, func(tx *Store) error {
		_, err := tx.q.ExecContext(ctx, `DELETE FROM project_members WHERE user_id = ?
			AND project_id IN (SELECT id FROM projects WHERE org_id = ?)`, userID, orgID)
		if err != nil {
			return wrap(err, "removing project memberships")
		}
		res, err := tx.q.ExecContext(ctx, `DELETE FROM organization_members
			WHERE org_id = ? AND user_id = ?`, orgID, userID)
		return affected(res, err, "removing member")
	})
}

func (s *Store) members(ctx context.Context, query string, args ...any) ([]*Member, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "listing members")
	}
	defer rows.Close()
	out := []*Member{}
	for rows.Next() {
		m := &Member{}
		var role string
		if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &role,
			db.ScanTime(&m.CreatedAt)); err != nil {
			return nil, wrap(err, "listing members")
		}
		m.Role = auth.Role(role)
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "listing members")
}
