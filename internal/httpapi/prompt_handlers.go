package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/prompt"
	"github.com/reelforge/reelforge/internal/store"
)

type promptRequest struct {
	ProjectID      string            `json:"project_id"`
	Title          *string           `json:"title"`
	Body           *string           `json:"body"`
	NegativePrompt *string           `json:"negative_prompt"`
	TemplateRef    *string           `json:"template_ref"`
	Variables      map[string]string `json:"variables"`
	Tags           []string          `json:"tags"`
}

func (req *promptRequest) apply(p *store.Prompt, creating bool) error {
	var v validator
	if creating && req.ProjectID == "" {
		v.add("project_id", "required", "is required")
	}
	if !creating && req.ProjectID != "" && req.ProjectID != p.ProjectID {
		v.add("project_id", "immutable", "cannot be changed")
	}
	if req.Title != nil || creating {
		p.Title = strings.TrimSpace(deref(req.Title))
		v.text("title", p.Title, true, 200)
	}
	if req.Body != nil || creating {
		p.Body = deref(req.Body)
		v.text("body", p.Body, true, 20000)
	}
	if req.NegativePrompt != nil {
		p.NegativePrompt = *req.NegativePrompt
		v.text("negative_prompt", p.NegativePrompt, false, 5000)
	}
	if req.TemplateRef != nil {
		p.TemplateRef = *req.TemplateRef
		v.text("template_ref", p.TemplateRef, false, 100)
	}
	if req.Variables != nil {
		if len(req.Variables) > 50 {
			v.add("variables", "too_many", "must have at most 50 entries")
		}
		for k, val := range req.Variables {
			v.text("variables."+k, val, false, 2000)
		}
		p.Variables = req.Variables
	}
	if req.Tags != nil {
		if len(req.Tags) > 30 {
			v.add("tags", "too_many", "must have at most 30 entries")
		}
		for _, t := range req.Tags {
			v.text("tags", t, true, 50)
		}
		p.Tags = req.Tags
	}
	return v.err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) createPrompt(w http.ResponseWriter, r *http.Request) error {
	var req promptRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	p := &store.Prompt{ProjectID: req.ProjectID}
	if err := req.apply(p, true); err != nil {
		return err
	}
	if _, err := s.projectAccess(r.Context(), req.ProjectID, auth.RoleEditor); err != nil {
		return err
	}
	_, p.CreatedBy = principalFrom(r.Context()).actor()
	err := s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreatePrompt(r.Context(), p); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ProjectID, "prompt", p.ID, "created",
			"created prompt "+p.Title, map[string]any{"after": p})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

// promptAccess loads a prompt and checks the caller's role in its project.
func (s *Server) promptAccess(r *http.Request, min auth.Role) (*store.Prompt, error) {
	p, err := s.store.PromptByID(r.Context(), r.PathValue("prompt_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("prompt")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.projectAccess(r.Context(), p.ProjectID, min); err != nil {
		var pr *Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			return nil, errNotFound("prompt")
		}
		return nil, err
	}
	return p, nil
}

func (s *Server) listPrompts(w http.ResponseWriter, r *http.Request) error {
	projectID := r.URL.Query().Get("project_id")
	if projectID == "" {
		return errValidation(FieldError{Field: "project_id", Code: "required",
			Message: "is required"})
	}
	if _, err := s.projectAccess(r.Context(), projectID, auth.RoleViewer); err != nil {
		return err
	}
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	items, total, err := s.store.ListPrompts(r.Context(), projectID, lp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, total, lp))
}

func (s *Server) getPrompt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.promptAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) updatePrompt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.promptAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	var req promptRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	before := *p
	if err := req.apply(p, false); err != nil {
		return err
	}
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.UpdatePrompt(r.Context(), p); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ProjectID, "prompt", p.ID, "updated",
			"edited prompt "+p.Title, map[string]any{"before": before, "after": p})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) deletePrompt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.promptAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.DeletePrompt(r.Context(), p.ID); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ProjectID, "prompt", p.ID, "deleted",
			"deleted prompt "+p.Title, map[string]any{"before": p})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// builtinTemplates is the starter library as API resources; built-ins are
// addressed by their slug.
func builtinTemplates() []*store.Template {
	lib := prompt.Builtin()
	out := make([]*store.Template, len(lib))
	for i, t := range lib {
		out[i] = &store.Template{ID: t.Slug, Template: t, Builtin: true}
	}
	return out
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.TemplateFilter{Category: q.Get("category"), Lang: q.Get("lang"),
		Q: strings.TrimSpace(q.Get("q"))}
	var v validator
	if f.Category != "" && !slices.Contains(prompt.Categories, f.Category) {
		v.add("category", "invalid", "must be one of "+strings.Join(prompt.Categories, ", "))
	}
	if f.Lang != "" && f.Lang != prompt.LangZhCN && f.Lang != prompt.LangEn {
		v.add("lang", "invalid", "must be zh-CN or en")
	}
	v.text("q", f.Q, false, 200)
	if err := v.err(); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	if orgID := q.Get("org_id"); orgID != "" {
		if _, err := s.orgAccess(r.Context(), orgID, auth.RoleViewer); err != nil {
			return err
		}
		f.OrgIDs = []string{orgID}
	} else if p.Key != nil {
		f.OrgIDs = []string{p.Key.OrgID}
	} else {
		orgs, err := s.store.OrganizationsOf(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			f.OrgIDs = append(f.OrgIDs, o.ID)
		}
	}
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	custom, err := s.store.ListTemplates(r.Context(), f)
	if err != nil {
		return err
	}
	items := custom
	for _, t := range builtinTemplates() {
		if matchTemplate(t, f) {
			items = append(items, t)
		}
	}
	total := len(items)
	items = items[min(lp.Offset, total):min(lp.Offset+lp.Limit, total)]
	return writeJSON(w, http.StatusOK, newPage(items, total, lp))
}

func matchTemplate(t *store.Template, f store.TemplateFilter) bool {
	if f.Category != "" && t.Category != f.Category {
		return false
	}
	if f.Lang != "" && t.Lang != f.Lang {
		return false
	}
	if f.Q != "" {
		q := strings.ToLower(f.Q)
		hay := strings.ToLower(t.Title + "\n" + t.Description + "\n" + t.Body + "\n" +
			strings.Join(t.Tags, " "))
		return strings.Contains(hay, q)
	}
	return true
}

// templateAccess finds a built-in by slug or a custom template the caller's
// organization owns.
func (s *Server) templateAccess(r *http.Request, min auth.Role) (*store.Template, error) {
	id := r.PathValue("template_id")
	for _, t := range builtinTemplates() {
		if t.ID == id {
			if min != auth.RoleViewer {
				return nil, errForbidden("built-in templates cannot be changed")
			}
			return t, nil
		}
	}
	t, err := s.store.TemplateByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("template")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.orgAccess(r.Context(), t.OrgID, min); err != nil {
		var pr *Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			return nil, errNotFound("template")
		}
		return nil, err
	}
	return t, nil
}

type templateRequest struct {
	OrgID string `json:"org_id"`
	prompt.Template
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templateRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.OrgID == "" {
		return errValidation(FieldError{Field: "org_id", Code: "required", Message: "is required"})
	}
	if req.Tags == nil {
		req.Tags = []string{}
	}
	if req.Variables == nil {
		req.Variables = []prompt.Variable{}
	}
	if err := req.Template.Validate(); err != nil {
		var ve *prompt.ValidationError
		if errors.As(err, &ve) {
			return errValidation(FieldError{Field: ve.Field, Code: "invalid", Message: ve.Message})
		}
		return errValidation(FieldError{Field: "body", Code: "invalid", Message: err.Error()})
	}
	org, err := s.orgAccess(r.Context(), req.OrgID, auth.RoleEditor)
	if err != nil {
		return err
	}
	for _, b := range prompt.Builtin() {
		if b.Slug == req.Slug {
			return errConflict("the slug is used by a built-in template",
				FieldError{Field: "slug", Code: "taken", Message: "is used by a built-in template"})
		}
	}
	t := &store.Template{OrgID: org.ID, Template: req.Template}
	_, t.CreatedBy = principalFrom(r.Context()).actor()
	if err := s.store.CreateTemplate(r.Context(), t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errConflict("the slug is already used",
				FieldError{Field: "slug", Code: "taken", Message: "is already used"})
		}
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	if err := s.store.DeleteTemplate(r.Context(), t.ID); err != nil {
		return err
	}
	s.audit(r, t.OrgID, "template.deleted", "template", t.ID, map[string]string{"slug": t.Slug})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type renderRequest struct {
	Variables map[string]string `json:"variables"`
}

// renderTemplate fills a template's variables; a missing or unknown variable
// is a 422 that names it.
func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.templateAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	var req renderRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	text, err := t.Render(req.Variables)
	if err != nil {
		var ve *prompt.VariableError
		if errors.As(err, &ve) {
			return errValidation(FieldError{Field: "variables." + ve.Name, Code: ve.Code,
				Message: "variable " + ve.Name + " is " + ve.Code})
		}
		return errValidation(FieldError{Field: "variables", Code: "invalid", Message: err.Error()})
	}
	return writeJSON(w, http.StatusOK, map[string]string{
		"prompt": text, "negative_prompt": t.NegativePrompt,
	})
}
