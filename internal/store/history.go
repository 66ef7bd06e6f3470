package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// Version is a named snapshot of a project's prompts and documents.
type Version struct {
	ID        string          `json:"id"`
	ProjectID string          `json:"project_id"`
	Name      string          `json:"name"`
	Note      string          `json:"note"`
	Snapshot  json.RawMessage `json:"snapshot,omitempty"`
	CreatedBy string          `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// CreateVersion inserts a version.
func (s *Store) CreateVersion(ctx context.Context, v *Version) error {
	v.ID, v.CreatedAt = NewID(), db.Now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO versions (id, project_id, name, note,
		snapshot_json, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.ProjectID, v.Name, v.Note, jsonText(v.Snapshot), nullString(v.CreatedBy),
		db.Time(v.CreatedAt))
	return wrap(err, "creating version")
}

// VersionByID returns a version of a project with its snapshot.
func (s *Store) VersionByID(ctx context.Context, projectID, id string) (*Version, error) {
	v := &Version{}
	var createdBy *string
	err := s.queryRow(ctx, `SELECT id, project_id, name, note, snapshot_json,
		created_by, created_at FROM versions WHERE id = ? AND project_id = ?`, id, projectID).
		Scan(&v.ID, &v.ProjectID, &v.Name, &v.Note, rawJSON{&v.Snapshot}, &createdBy,
			db.ScanTime(&v.CreatedAt))
	if createdBy != nil {
		v.CreatedBy = *createdBy
	}
	return v, wrap(err, "reading version")
}

// ListVersions returns one page of a project's versions, without snapshots.
func (s *Store) ListVersions(ctx context.Context, projectID string, lp ListParams) ([]*Version, int, error) {
	order, err := lp.orderBy("", []string{"name", "created_at"}, "-created_at")
	if err != nil {
		return nil, 0, err
	}
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM versions WHERE project_id = ?`,
		projectID)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id, project_id, name, note, created_by,
		created_at FROM versions WHERE project_id = ?`+order+lp.limitOffset(), projectID)
	if err != nil {
		return nil, 0, wrap(err, "listing versions")
	}
	defer rows.Close()
	out := []*Version{}
	for rows.Next() {
		v := &Version{}
		var createdBy *string
		if err := rows.Scan(&v.ID, &v.ProjectID, &v.Name, &v.Note, &createdBy,
			db.ScanTime(&v.CreatedAt)); err != nil {
			return nil, 0, wrap(err, "listing versions")
		}
		if createdBy != nil {
			v.CreatedBy = *createdBy
		}
		out = append(out, v)
	}
	return out, total, wrap(rows.Err(), "listing versions")
}

// Change is one entry of a project's change log: who changed what, when.
type Change struct {
	ID        int64           `json:"id"`
	ProjectID string          `json:"project_id"`
	ActorType string          `json:"actor_type"`
	ActorID   string          `json:"actor_id"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	Action    string          `json:"action"`
	Summary   string          `json:"summary"`
	Diff      json.RawMessage `json:"diff"`
	CreatedAt time.Time       `json:"created_at"`
}

// AddChange appends to a project's change log.
func (s *Store) AddChange(ctx context.Context, c *Change) error {
	c.CreatedAt = db.Now()
	if len(c.Summary) > 500 {
		c.Summary = c.Summary[:497] + "..."
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO change_log (project_id, actor_type,
		actor_id, entity, entity_id, action, summary, diff_json, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ProjectID, c.ActorType, c.ActorID, c.Entity,
		c.EntityID, c.Action, c.Summary, jsonText(c.Diff), db.Time(c.CreatedAt))
	if err != nil {
		return wrap(err, "recording change")
	}
	c.ID, err = res.LastInsertId()
	return wrap(err, "recording change")
}

// ChangeFilter narrows a change-log listing.
type ChangeFilter struct {
	ProjectID string
	Entity    string
	ActorID   string
	ListParams
}

// ListChanges returns one page of a project's change log, newest first.
func (s *Store) ListChanges(ctx context.Context, f ChangeFilter) ([]*Change, int, error) {
	cond := []string{"project_id = ?"}
	args := []any{f.ProjectID}
	if f.Entity != "" {
		cond = append(cond, "entity = ?")
		args = append(args, f.Entity)
	}
	if f.ActorID != "" {
		cond = append(cond, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	where := " WHERE " + strings.Join(cond, " AND ")
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM change_log`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id, project_id, actor_type, actor_id, entity,
		entity_id, action, summary, diff_json, created_at FROM change_log`+where+
		` ORDER BY id DESC`+f.limitOffset(), args...)
	if err != nil {
		return nil, 0, wrap(err, "listing changes")
	}
	defer rows.Close()
	out := []*Change{}
	for rows.Next() {
		c := &Change{}
		if err := rows.Scan(&c.ID, &c.ProjectID, &c.ActorType, &c.ActorID, &c.Entity,
			&c.EntityID, &c.Action, &c.Summary, rawJSON{&c.Diff},
			db.ScanTime(&c.CreatedAt)); err != nil {
			return nil, 0, wrap(err, "listing changes")
		}
		out = append(out, c)
	}
	return out, total, wrap(rows.Err(), "listing changes")
}

// AuditEntry is one security-relevant event: a login, a failed login, a role
// change, an API key created or revoked, a deletion.
type AuditEntry struct {
	ID         int64           `json:"id"`
	OrgID      string          `json:"org_id,omitempty"`
	ActorType  string          `json:"actor_type"`
	ActorID    string          `json:"actor_id"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
}

// AddAudit appends to the audit log.
func (s *Store) AddAudit(ctx context.Context, a *AuditEntry) error {
	a.CreatedAt = db.Now()
	if len(a.UserAgent) > 300 {
		a.UserAgent = a.UserAgent[:300]
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO audit_log (org_id, actor_type, actor_id,
		action, target_type, target_id, ip, user_agent, data_json, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, nullString(a.OrgID), a.ActorType, a.ActorID,
		a.Action, a.TargetType, a.TargetID, a.IP, a.UserAgent, jsonText(a.Data),
		db.Time(a.CreatedAt))
	if err != nil {
		return wrap(err, "recording audit entry")
	}
	a.ID, err = res.LastInsertId()
	return wrap(err, "recording audit entry")
}

// AuditFilter narrows an audit listing to one organization.
type AuditFilter struct {
	OrgID  string
	Action string
	ListParams
}

// ListAudit returns one page of an organization's audit log, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error) {
	// Sign-in events carry no organization; an organization's admins see
	// those of their own members.
	where := ` WHERE (org_id = ? OR (org_id IS NULL AND target_type = 'user' AND target_id IN
		(SELECT user_id FROM organization_members WHERE org_id = ?)))`
	args := []any{f.OrgID, f.OrgID}
	if f.Action != "" {
		where += " AND action = ?"
		args = append(args, f.Action)
	}
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM audit_log`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id, org_id, actor_type, actor_id, action,
		target_type, target_id, ip, user_agent, data_json, created_at FROM audit_log`+where+
		` ORDER BY id DESC`+f.limitOffset(), args...)
	if err != nil {
		return nil, 0, wrap(err, "listing audit log")
	}
	defer rows.Close()
	out := []*AuditEntry{}
	for rows.Next() {
		a := &AuditEntry{}
		var org *string
		if err := rows.Scan(&a.ID, &org, &a.ActorType, &a.ActorID, &a.Action, &a.TargetType,
			&a.TargetID, &a.IP, &a.UserAgent, rawJSON{&a.Data},
			db.ScanTime(&a.CreatedAt)); err != nil {
			return nil, 0, wrap(err, "listing audit log")
		}
		if org != nil {
			a.OrgID = *org
		}
		out = append(out, a)
	}
	return out, total, wrap(rows.Err(), "listing audit log")
}
