package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db"
)

// Project groups prompts, documents, jobs and assets of one production.
type Project struct {
	ID          string          `json:"id"`
	OrgID       string          `json:"org_id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Settings    json.RawMessage `json:"settings"`
	CreatedBy   string          `json:"created_by,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Role is the caller's effective role in the project.
	Role auth.Role `json:"role,omitempty"`
}

const projectColumns = `p.id, p.org_id, p.name, p.description, p.settings_json,
	p.created_by, p.created_at, p.updated_at`

func scanProject(row interface{ Scan(...any) error }, extra ...any) (*Project, error) {
	p := &Project{}
	var createdBy *string
	dst := []any{&p.ID, &p.OrgID, &p.Name, &p.Description, rawJSON{&p.Settings},
		&createdBy, db.ScanTime(&p.CreatedAt), db.ScanTime(&p.UpdatedAt)}
	err := row.Scan(append(dst, extra...)...)
	if createdBy != nil {
		p.CreatedBy = *createdBy
	}
	return p, err
}

// CreateProject inserts a project.
func (s *Store) CreateProject(ctx context.Context, p *Project) error {
	now := db.Now()
	p.ID, p.CreatedAt, p.UpdatedAt = NewID(), now, now
	if len(p.Settings) == 0 {
		p.Settings = json.RawMessage("{}")
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO projects (id, org_id, name, description,
		settings_json, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrgID, p.Name, p.Description, jsonText(p.Settings), nullString(p.CreatedBy),
		db.Time(now), db.Time(now))
	return wrap(err, "creating project")
}

// ProjectByID returns a project without access checks; callers check access
// with ProjectRole first.
func (s *Store) ProjectByID(ctx context.Context, id string) (*Project, error) {
	p, err := scanProject(s.queryRow(ctx,
		`SELECT `+projectColumns+` FROM projects p WHERE p.id = ?`, id))
	return p, wrap(err, "reading project")
}

// ProjectForUser returns a project with the user's effective role in it,
// the greater of their organization role and their project role, in one
// query; Role is "" when they have neither.
func (s *Store) ProjectForUser(ctx context.Context, projectID, userID string) (*Project, error) {
	var orgRole, projRole *string
	p, err := scanProject(s.queryRow(ctx, `SELECT `+projectColumns+`,
		(SELECT role FROM organization_members om WHERE om.org_id = p.org_id AND om.user_id = ?),
		(SELECT role FROM project_members pm WHERE pm.project_id = p.id AND pm.user_id = ?)
		FROM projects p WHERE p.id = ?`, userID, userID, projectID), &orgRole, &projRole)
	if err != nil {
		return nil, wrap(err, "reading project")
	}
	if orgRole != nil {
		p.Role = auth.Role(*orgRole)
	}
	if projRole != nil {
		p.Role = auth.Max(p.Role, auth.Role(*projRole))
	}
	return p, nil
}

// ProjectFilter narrows a project list.
type ProjectFilter struct {
	// UserID lists projects the user can see; APIKeyOrgID instead lists all
	// projects of the key's organization.
	UserID      string
	APIKeyOrgID string
	// OrgID restricts the list to one organization.
	OrgID string
	ListParams
}

// ListProjects returns one page of visible projects and the total count.
func (s *Store) ListProjects(ctx context.Context, f ProjectFilter) ([]*Project, int, error) {
	order, err := f.orderBy("p.", []string{"name", "created_at", "updated_at"}, "-created_at")
	if err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	if f.APIKeyOrgID != "" {
		where = append(where, "p.org_id = ?")
		args = append(args, f.APIKeyOrgID)
	} else {
		where = append(where, `(p.org_id IN (SELECT org_id FROM organization_members
			WHERE user_id = ?) OR p.id IN (SELECT project_id FROM project_members
			WHERE user_id = ?))`)
		args = append(args, f.UserID, f.UserID)
	}
	if f.OrgID != "" {
		where = append(where, "p.org_id = ?")
		args = append(args, f.OrgID)
	}
	if f.Q != "" {
		where = append(where, `LOWER(p.name) LIKE ? ESCAPE '!'`)
		args = append(args, likePattern(f.Q))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM projects p`+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects p`+cond+order+
		f.limitOffset(), args...)
	if err != nil {
		return nil, 0, wrap(err, "listing projects")
	}
	defer rows.Close()
	out := []*Project{}
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, 0, wrap(err, "listing projects")
		}
		out = append(out, p)
	}
	return out, total, wrap(rows.Err(), "listing projects")
}

// UpdateProject saves a project's name, description and settings.
func (s *Store) UpdateProject(ctx context.Context, p *Project) error {
	p.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE projects SET name = ?, description = ?,
		settings_json = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Description, jsonText(p.Settings), db.Time(p.UpdatedAt), p.ID)
	return affected(res, err, "updating project")
}

// DeleteProject deletes a project and, by cascade, its content.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM projects WHERE id = ?`, id)
	return affected(res, err, "deleting project")
}

// PutProjectMember adds a project member or changes their role.
func (s *Store) PutProjectMember(ctx context.Context, projectID, userID string, role auth.Role) error {
	return s.upsertMember(ctx, "project_members", "project_id", projectID, userID, role)
}

// ProjectMembers lists the members added to a project directly.
func (s *Store) ProjectMembers(ctx context.Context, projectID string) ([]*Member, error) {
	return s.members(ctx, `SELECT u.id, u.email, u.name, m.role, m.created_at
		FROM project_members m JOIN users u ON u.id = m.user_id
		WHERE m.project_id = ? ORDER BY m.created_at, u.id`, projectID)
}

// RemoveProjectMember removes a direct project member.
func (s *Store) RemoveProjectMember(ctx context.Context, projectID, userID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM project_members
		WHERE project_id = ? AND user_id = ?`, projectID, userID)
	return affected(res, err, "removing project member")
}
