package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// Prompt is a project's saved prompt, optionally made from a template.
type Prompt struct {
	ID             string            `json:"id"`
	ProjectID      string            `json:"project_id"`
	Title          string            `json:"title"`
	Body           string            `json:"body"`
	NegativePrompt string            `json:"negative_prompt"`
	TemplateRef    string            `json:"template_ref"`
	Variables      map[string]string `json:"variables"`
	Tags           []string          `json:"tags"`
	CreatedBy      string            `json:"created_by,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

const promptColumns = `id, project_id, title, body, negative_prompt, template_ref,
	variables_json, tags_json, created_by, created_at, updated_at`

func scanPrompt(row interface{ Scan(...any) error }) (*Prompt, error) {
	p := &Prompt{}
	var createdBy *string
	err := row.Scan(&p.ID, &p.ProjectID, &p.Title, &p.Body, &p.NegativePrompt,
		&p.TemplateRef, jsonInto{&p.Variables}, jsonInto{&p.Tags}, &createdBy,
		db.ScanTime(&p.CreatedAt), db.ScanTime(&p.UpdatedAt))
	if createdBy != nil {
		p.CreatedBy = *createdBy
	}
	p.normalize()
	return p, err
}

func (p *Prompt) normalize() {
	if p.Variables == nil {
		p.Variables = map[string]string{}
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
}

// CreatePrompt inserts a prompt.
func (s *Store) CreatePrompt(ctx context.Context, p *Prompt) error {
	now := db.Now()
	p.ID, p.CreatedAt, p.UpdatedAt = NewID(), now, now
	p.normalize()
	_, err := s.q.ExecContext(ctx, `INSERT INTO prompts (`+promptColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.ProjectID, p.Title, p.Body, p.NegativePrompt, p.TemplateRef,
		jsonText(p.Variables), jsonText(p.Tags), nullString(p.CreatedBy),
		db.Time(now), db.Time(now))
	return wrap(err, "creating prompt")
}

// PromptByID returns a prompt.
func (s *Store) PromptByID(ctx context.Context, id string) (*Prompt, error) {
	p, err := scanPrompt(s.queryRow(ctx,
		`SELECT `+promptColumns+` FROM prompts WHERE id = ?`, id))
	return p, wrap(err, "reading prompt")
}

// ListPrompts returns one page of a project's prompts.
func (s *Store) ListPrompts(ctx context.Context, projectID string, lp ListParams) ([]*Prompt, int, error) {
	order, err := lp.orderBy("", []string{"title", "created_at", "updated_at"}, "-created_at")
	if err != nil {
		return nil, 0, err
	}
	cond := " WHERE project_id = ?"
	args := []any{projectID}
	if lp.Q != "" {
		cond += ` AND (LOWER(title) LIKE ? ESCAPE '!' OR LOWER(body) LIKE ? ESCAPE '!')`
		args = append(args, likePattern(lp.Q), likePattern(lp.Q))
	}
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM prompts`+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+promptColumns+` FROM prompts`+cond+order+
		lp.limitOffset(), args...)
	if err != nil {
		return nil, 0, wrap(err, "listing prompts")
	}
	defer rows.Close()
	out := []*Prompt{}
	for rows.Next() {
		p, err := scanPrompt(rows)
		if err != nil {
			return nil, 0, wrap(err, "listing prompts")
		}
		out = append(out, p)
	}
	return out, total, wrap(rows.Err(), "listing prompts")
}

// UpdatePrompt saves a prompt's editable fields.
func (s *Store) UpdatePrompt(ctx context.Context, p *Prompt) error {
	p.UpdatedAt = db.Now()
	p.normalize()
	res, err := s.q.ExecContext(ctx, `UPDATE prompts SET title = ?, body = ?,
		negative_prompt = ?, template_ref = ?, variables_json = ?, tags_json = ?,
		updated_at = ? WHERE id = ?`, p.Title, p.Body, p.NegativePrompt, p.TemplateRef,
		jsonText(p.Variables), jsonText(p.Tags), db.Time(p.UpdatedAt), p.ID)
	return affected(res, err, "updating prompt")
}

// DeletePrompt deletes a prompt.
func (s *Store) DeletePrompt(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM prompts WHERE id = ?`, id)
	return affected(res, err, "deleting prompt")
}

// Document is a structured project document such as a storyboard, edited
// live by several people.
type Document struct {
	ID        string          `json:"id"`
	ProjectID string          `json:"project_id"`
	Kind      string          `json:"kind"`
	Title     string          `json:"title"`
	Content   json.RawMessage `json:"content"`
	Version   int64           `json:"version"`
	CreatedBy string          `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// ProjectDocuments returns every document of a project.
func (s *Store) ProjectDocuments(ctx context.Context, projectID string) ([]*Document, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id, project_id, kind, title, content_json,
		version, created_by, created_at, updated_at FROM documents WHERE project_id = ?
		ORDER BY created_at, id`, projectID)
	if err != nil {
		return nil, wrap(err, "listing documents")
	}
	defer rows.Close()
	out := []*Document{}
	for rows.Next() {
		d := &Document{}
		var createdBy *string
		if err := rows.Scan(&d.ID, &d.ProjectID, &d.Kind, &d.Title, rawJSON{&d.Content},
			&d.Version, &createdBy, db.ScanTime(&d.CreatedAt),
			db.ScanTime(&d.UpdatedAt)); err != nil {
			return nil, wrap(err, "listing documents")
		}
		if createdBy != nil {
			d.CreatedBy = *createdBy
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "listing documents")
}

// PutDocument inserts a document or overwrites it, keeping its id, and bumps
// its version.
func (s *Store) PutDocument(ctx context.Context, d *Document) error {
	now := db.Now()
	d.UpdatedAt = now
	if d.ID != "" {
		res, err := s.q.ExecContext(ctx, `UPDATE documents SET kind = ?, title = ?,
			content_json = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND project_id = ?`,
			d.Kind, d.Title, jsonText(d.Content), db.Time(now), d.ID, d.ProjectID)
		if err != nil {
			return wrap(err, "updating document")
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
	} else {
		d.ID = NewID()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO documents (id, project_id, kind, title,
		content_json, version, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.ProjectID, d.Kind, d.Title,
		jsonText(d.Content), d.Version, nullString(d.CreatedBy), db.Time(d.CreatedAt),
		db.Time(now))
	return wrap(err, "creating document")
}

// DeleteDocumentsExcept removes a project's documents whose ids are not in
// keep; restoring a version uses it to drop documents made after it.
func (s *Store) DeleteDocumentsExcept(ctx context.Context, projectID string, keep []string) error {
	query := `DELETE FROM documents WHERE project_id = ?`
	args := []any{projectID}
	if len(keep) > 0 {
		query += ` AND id NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
		for _, id := range keep {
			args = append(args, id)
		}
	}
	_, err := s.q.ExecContext(ctx, query, args...)
	return wrap(err, "deleting documents")
}

// DeletePromptsExcept removes a project's prompts whose ids are not in keep.
func (s *Store) DeletePromptsExcept(ctx context.Context, projectID string, keep []string) error {
	query := `DELETE FROM prompts WHERE project_id = ?`
	args := []any{projectID}
	if len(keep) > 0 {
		query += ` AND id NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
		for _, id := range keep {
			args = append(args, id)
		}
	}
	_, err := s.q.ExecContext(ctx, query, args...)
	return wrap(err, "deleting prompts")
}

// RestorePrompt writes a prompt from a snapshot, with its original id and
// times, replacing the current row if there is one.
func (s *Store) RestorePrompt(ctx context.Context, p *Prompt) error {
	p.normalize()
	if _, err := s.q.ExecContext(ctx, `DELETE FROM prompts WHERE id = ?`, p.ID); err != nil {
		return wrap(err, "restoring prompt")
	}
	p.UpdatedAt = db.Now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO prompts (`+promptColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.ProjectID, p.Title, p.Body, p.NegativePrompt, p.TemplateRef,
		jsonText(p.Variables), jsonText(p.Tags), nullString(p.CreatedBy),
		db.Time(p.CreatedAt), db.Time(p.UpdatedAt))
	return wrap(err, "restoring prompt")
}

// DocumentByID returns a document.
func (s *Store) DocumentByID(ctx context.Context, id string) (*Document, error) {
	d := &Document{}
	var createdBy *string
	err := s.queryRow(ctx, `SELECT id, project_id, kind, title, content_json, version,
		created_by, created_at, updated_at FROM documents WHERE id = ?`, id).Scan(&d.ID,
		&d.ProjectID, &d.Kind, &d.Title, rawJSON{&d.Content}, &d.Version, &createdBy,
		db.ScanTime(&d.CreatedAt), db.ScanTime(&d.UpdatedAt))
	d.CreatedBy = deref(createdBy)
	return d, wrap(err, "reading document")
}

// UpdateDocumentAt replaces a document's title and content if its version
// is still version, and bumps it; ErrConflict means someone saved first.
func (s *Store) UpdateDocumentAt(ctx context.Context, d *Document, version int64) error {
	d.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE documents SET title = ?, content_json = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ?`, d.Title,
		jsonText(d.Content), db.Time(d.UpdatedAt), d.ID, version)
	if err != nil {
		return wrap(err, "updating document")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	d.Version = version + 1
	return nil
}
