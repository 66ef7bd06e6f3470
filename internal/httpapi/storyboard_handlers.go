package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/pipeline"
	"github.com/reelforge/reelforge/internal/store"
)

// documentKindStoryboard is the documents.kind of storyboards.
const documentKindStoryboard = "storyboard"

// storyboardView is a storyboard document as the API shows it.
type storyboardView struct {
	ID         string               `json:"id"`
	ProjectID  string               `json:"project_id"`
	Title      string               `json:"title"`
	Version    int64                `json:"version"`
	Storyboard *pipeline.Storyboard `json:"storyboard"`
	CreatedBy  string               `json:"created_by,omitempty"`
	CreatedAt  string               `json:"created_at"`
	UpdatedAt  string               `json:"updated_at"`
}

func viewStoryboard(d *store.Document) (*storyboardView, error) {
	var sb pipeline.Storyboard
	if err := json.Unmarshal(d.Content, &sb); err != nil {
		return nil, err
	}
	return &storyboardView{ID: d.ID, ProjectID: d.ProjectID, Title: d.Title,
		Version: d.Version, Storyboard: &sb, CreatedBy: d.CreatedBy,
		CreatedAt: d.CreatedAt.Format("2006-01-02T15:04:05.999999Z07:00"),
		UpdatedAt: d.UpdatedAt.Format("2006-01-02T15:04:05.999999Z07:00")}, nil
}

type storyboardCreate struct {
	ProjectID string `json:"project_id"`
	Script    string `json:"script"`
	Title     string `json:"title"`
	Language  string `json:"language"`
	Style     string `json:"style"`
	Provider  string `json:"provider"`
}

// createStoryboard parses a script into a storyboard and writes a prompt
// for every shot. Unknown text never fails: it becomes action, with a
// warning the editor can show.
func (s *Server) createStoryboard(w http.ResponseWriter, r *http.Request) error {
	var req storyboardCreate
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var v validator
	if req.ProjectID == "" {
		v.add("project_id", "required", "is required")
	}
	v.text("title", req.Title, false, 200)
	if req.Language != "" && req.Language != pipeline.LangZhCN && req.Language != pipeline.LangEn {
		v.add("language", "invalid", "must be zh-CN or en")
	}
	if err := v.err(); err != nil {
		return err
	}
	proj, err := s.projectAccess(r.Context(), req.ProjectID, auth.RoleEditor)
	if err != nil {
		return err
	}
	sb, err := pipeline.Parse(req.Script, pipeline.ParseOptions{Language: req.Language,
		Title: req.Title})
	if err != nil {
		return errValidation(FieldError{Field: "script", Code: "invalid", Message: err.Error()})
	}
	if err := pipeline.Synthesize(sb, pipeline.SynthOptions{Style: req.Style,
		Provider: req.Provider}); err != nil {
		return errValidation(FieldError{Field: "provider", Code: "invalid", Message: err.Error()})
	}
	title := sb.Title
	if title == "" {
		title = "Storyboard"
	}
	d := &store.Document{ProjectID: proj.ID, Kind: documentKindStoryboard, Title: title,
		Content: mustJSON(sb)}
	_, d.CreatedBy = principalFrom(r.Context()).actor()
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.PutDocument(r.Context(), d); err != nil {
			return err
		}
		return change(r.Context(), tx, proj.ID, "storyboard", d.ID, "created",
			"created storyboard "+title, nil)
	})
	if err != nil {
		return err
	}
	d, err = s.store.DocumentByID(r.Context(), d.ID)
	if err != nil {
		return err
	}
	view, err := viewStoryboard(d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, view)
}

// storyboardAccess loads a storyboard and checks the caller's role in its
// project, with the usual 404 for other organizations.
func (s *Server) storyboardAccess(r *http.Request, min auth.Role) (*store.Document,
	*store.Project, error) {
	d, err := s.store.DocumentByID(r.Context(), r.PathValue("storyboard_id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Kind != documentKindStoryboard) {
		return nil, nil, errNotFound("storyboard")
	}
	if err != nil {
		return nil, nil, err
	}
	proj, err := s.projectAccess(r.Context(), d.ProjectID, min)
	if err != nil {
		var pr *Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			return nil, nil, errNotFound("storyboard")
		}
		return nil, nil, err
	}
	return d, proj, nil
}

func (s *Server) listStoryboards(w http.ResponseWriter, r *http.Request) error {
	projectID := r.URL.Query().Get("project_id")
	if projectID == "" {
		return errValidation(FieldError{Field: "project_id", Code: "required",
			Message: "is required"})
	}
	if _, err := s.projectAccess(r.Context(), projectID, auth.RoleViewer); err != nil {
		return err
	}
	docs, err := s.store.ProjectDocuments(r.Context(), projectID)
	if err != nil {
		return err
	}
	out := []*storyboardView{}
	for _, d := range docs {
		if d.Kind != documentKindStoryboard {
			continue
		}
		v, err := viewStoryboard(d)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return writeJSON(w, http.StatusOK, newPage(out, len(out), store.ListParams{Limit: len(out)}))
}

func (s *Server) getStoryboard(w http.ResponseWriter, r *http.Request) error {
	d, _, err := s.storyboardAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	v, err := viewStoryboard(d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

type storyboardUpdate struct {
	// Version is the version the edit was made on; a newer saved version
	// is a 409, so two editors never overwrite each other silently.
	Version    int64               `json:"version"`
	Title      *string             `json:"title"`
	Storyboard pipeline.Storyboard `json:"storyboard"`
	// Resynthesize rewrites the prompts of unlocked shots.
	Resynthesize bool   `json:"resynthesize"`
	Style        string `json:"style"`
	Provider     string `json:"provider"`
}

// updateStoryboard saves an edited storyboard: shots, prompts, providers,
// durations and locks.
func (s *Server) updateStoryboard(w http.ResponseWriter, r *http.Request) error {
	d, proj, err := s.storyboardAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	var req storyboardUpdate
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	sb := &req.Storyboard
	sb.Normalize()
	if err := checkStoryboard(sb); err != nil {
		return err
	}
	if req.Resynthesize {
		if err := pipeline.Synthesize(sb, pipeline.SynthOptions{Style: req.Style,
			Provider: req.Provider}); err != nil {
			return errValidation(FieldError{Field: "provider", Code: "invalid",
				Message: err.Error()})
		}
	}
	if req.Title != nil {
		d.Title = strings.TrimSpace(*req.Title)
		var v validator
		v.text("title", d.Title, true, 200)
		if err := v.err(); err != nil {
			return err
		}
	}
	d.Content = mustJSON(sb)
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.UpdateDocumentAt(r.Context(), d, req.Version); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errConflict("the storyboard was saved by someone else since version "+
					"the edit was based on; reload it",
					FieldError{Field: "version", Code: "stale", Message: "is not the latest"})
			}
			return err
		}
		return change(r.Context(), tx, proj.ID, "storyboard", d.ID, "updated",
			"edited storyboard "+d.Title, nil)
	})
	if err != nil {
		return err
	}
	v, err := viewStoryboard(d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// checkStoryboard validates an edited storyboard's shots.
func checkStoryboard(sb *pipeline.Storyboard) error {
	var v validator
	if sb.Language != pipeline.LangZhCN && sb.Language != pipeline.LangEn {
		v.add("storyboard.language", "invalid", "must be zh-CN or en")
	}
	v.text("storyboard.title", sb.Title, false, 200)
	shots := 0
	for si, scene := range sb.Scenes {
		for hi, shot := range scene.Shots {
			shots++
			field := "storyboard.scenes[" + itoa(si) + "].shots[" + itoa(hi) + "]"
			if shot.DurationSeconds < pipeline.MinShotSeconds ||
				shot.DurationSeconds > pipeline.MaxShotSeconds {
				v.add(field+".duration_seconds", "out_of_range", "must be within the shot limits")
			}
			v.text(field+".prompt", shot.Prompt, false, 20000)
		}
	}
	if shots > 200 {
		v.add("storyboard.scenes", "too_many", "at most 200 shots")
	}
	return v.err()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// renderStoryboard submits a storyboard job: every shot, then the assembly.
func (s *Server) renderStoryboard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	d, proj, err := s.storyboardAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	var opts engine.RenderOptions
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &opts); err != nil {
			return err
		}
	}
	var sb pipeline.Storyboard
	if err := json.Unmarshal(d.Content, &sb); err != nil {
		return err
	}
	actor := engine.Actor{UserID: principalFrom(r.Context()).userID(), OrgID: proj.OrgID}
	job, err := s.deps.Engine.RenderStoryboard(r.Context(), engine.Submission{Actor: actor,
		Project: proj}, d, &sb, opts)
	if err != nil {
		return s.submitError(err)
	}
	view, err := s.viewJob(r, job)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, http.StatusAccepted, view)
}

// regenerateTask renders one shot of a storyboard job again and
// re-assembles the video without touching the other shots.
func (s *Server) regenerateTask(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	j, err := s.jobAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	err = s.deps.Engine.Regenerate(r.Context(), j.ID, r.PathValue("task_id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("shot task")
	case errors.Is(err, engine.ErrStillRunning):
		return errConflict("the shot is still being rendered")
	case err != nil:
		return err
	}
	return s.getJob(w, r)
}

type lintRequest struct {
	Prompt       string   `json:"prompt"`
	Provider     string   `json:"provider"`
	Language     string   `json:"language"`
	BlockedWords []string `json:"blocked_words"`
	// OrgID adds the organization's blocked words (settings.blocked_words).
	OrgID string `json:"org_id"`
}

// lintPrompt runs the prompt assistant's rules.
func (s *Server) lintPrompt(w http.ResponseWriter, r *http.Request) error {
	var req lintRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var v validator
	v.text("prompt", req.Prompt, false, 20000)
	if len(req.BlockedWords) > 500 {
		v.add("blocked_words", "too_many", "at most 500 words")
	}
	if err := v.err(); err != nil {
		return err
	}
	blocked := req.BlockedWords
	if req.OrgID != "" {
		org, err := s.orgAccess(r.Context(), req.OrgID, auth.RoleViewer)
		if err != nil {
			return err
		}
		var settings struct {
			BlockedWords []string `json:"blocked_words"`
		}
		_ = json.Unmarshal(org.Settings, &settings)
		blocked = append(blocked, settings.BlockedWords...)
	}
	findings := pipeline.Lint(req.Prompt, pipeline.LintOptions{Provider: req.Provider,
		BlockedWords: blocked, Language: req.Language})
	if findings == nil {
		findings = []pipeline.Finding{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"findings": findings})
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
