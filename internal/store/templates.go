package store

import (
	"context"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/prompt"
)

// Template is a prompt template: one of the built-in library (OrgID empty,
// Builtin true) or an organization's custom template.
type Template struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id,omitempty"`
	prompt.Template
	Builtin   bool      `json:"builtin"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

const templateColumns = `id, org_id, slug, category, lang, title, description, body,
	negative_prompt, variables_json, tags_json, created_by, created_at, updated_at`

func scanTemplate(row interface{ Scan(...any) error }) (*Template, error) {
	t := &Template{}
	var createdBy *string
	err := row.Scan(&t.ID, &t.OrgID, &t.Slug, &t.Category, &t.Lang, &t.Title,
		&t.Description, &t.Body, &t.NegativePrompt, jsonInto{&t.Variables}, jsonInto{&t.Tags},
		&createdBy, db.ScanTime(&t.CreatedAt), db.ScanTime(&t.UpdatedAt))
	if createdBy != nil {
		t.CreatedBy = *createdBy
	}
	return t, err
}

// CreateTemplate inserts an organization's custom template.
func (s *Store) CreateTemplate(ctx context.Context, t *Template) error {
	now := db.Now()
	t.ID, t.CreatedAt, t.UpdatedAt = NewID(), now, now
	if t.Tags == nil {
		t.Tags = []string{}
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO prompt_templates (`+templateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.OrgID, t.Slug, t.Category,
		t.Lang, t.Title, t.Description, t.Body, t.NegativePrompt, jsonText(t.Variables),
		jsonText(t.Tags), nullString(t.CreatedBy), db.Time(now), db.Time(now))
	return wrap(err, "creating template")
}

// TemplateByID returns a custom template.
func (s *Store) TemplateByID(ctx context.Context, id string) (*Template, error) {
	t, err := scanTemplate(s.queryRow(ctx,
		`SELECT `+templateColumns+` FROM prompt_templates WHERE id = ?`, id))
	return t, wrap(err, "reading template")
}

// TemplateFilter narrows a template listing.
type TemplateFilter struct {
	OrgIDs   []string
	Category string
	Lang     string
	Q        string
}

// ListTemplates returns the custom templates of the given organizations.
func (s *Store) ListTemplates(ctx context.Context, f TemplateFilter) ([]*Template, error) {
	out := []*Template{}
	if len(f.OrgIDs) == 0 {
		return out, nil
	}
	where := []string{"org_id IN (?" + strings.Repeat(", ?", len(f.OrgIDs)-1) + ")"}
	var args []any
	for _, id := range f.OrgIDs {
		args = append(args, id)
	}
	if f.Category != "" {
		where = append(where, "category = ?")
		args = append(args, f.Category)
	}
	if f.Lang != "" {
		where = append(where, "lang = ?")
		args = append(args, f.Lang)
	}
	if f.Q != "" {
		where = append(where, `(LOWER(title) LIKE ? ESCAPE '!' OR LOWER(body) LIKE ? ESCAPE '!')`)
		args = append(args, likePattern(f.Q), likePattern(f.Q))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+templateColumns+` FROM prompt_templates
		WHERE `+strings.Join(where, " AND ")+` ORDER BY category, title, id`, args...)
	if err != nil {
		return nil, wrap(err, "listing templates")
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, wrap(err, "listing templates")
		}
		out = append(out, t)
	}
	return out, wrap(rows.Err(), "listing templates")
}

// DeleteTemplate deletes a custom template.
func (s *Store) DeleteTemplate(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM prompt_templates WHERE id = ?`, id)
	return affected(res, err, "deleting template")
}
