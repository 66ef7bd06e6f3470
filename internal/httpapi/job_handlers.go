package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/store"
)

func (s *Server) needEngine() error {
	if s.deps.Engine == nil {
		return problem(http.StatusServiceUnavailable, "not_ready",
			"generation is not configured on this node")
	}
	return nil
}

// jobView is a job with its tasks' counts, as the API shows it.
type jobView struct {
	*store.Job
	Tasks map[string]int `json:"tasks"`
}

func (s *Server) viewJob(r *http.Request, j *store.Job) (*jobView, error) {
	tasks, err := s.store.JobTasks(r.Context(), j.ID)
	if err != nil {
		return nil, err
	}
	v := &jobView{Job: j, Tasks: map[string]int{"total": len(tasks)}}
	for _, t := range tasks {
		v.Tasks[t.Status]++
	}
	return v, nil
}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	var req engine.Request
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.ProjectID == "" {
		return errValidation(FieldError{Field: "project_id", Code: "required",
			Message: "is required"})
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return errValidation(FieldError{Field: "Idempotency-Key", Code: "too_long",
			Message: "must be at most 200 characters"})
	}
	proj, err := s.projectAccess(r.Context(), req.ProjectID, auth.RoleEditor)
	if err != nil {
		return err
	}
	actor := engine.Actor{UserID: principalFrom(r.Context()).userID(), OrgID: proj.OrgID}
	job, created, err := s.deps.Engine.Submit(r.Context(), engine.Submission{Request: req,
		IdempotencyKey: key, Actor: actor, Project: proj})
	if err != nil {
		return s.submitError(err)
	}
	view, err := s.viewJob(r, job)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, status, view)
}

// submitError maps the engine's refusals of a job to problems.
func (s *Server) submitError(err error) error {
	var ve *engine.ValidationError
	var be *engine.BudgetError
	switch {
	case errors.As(err, &ve):
		return errValidation(FieldError{Field: ve.Field, Code: ve.Code, Message: ve.Message})
	case errors.As(err, &be):
		return problem(http.StatusPaymentRequired, "budget_exceeded", fmt.Sprintf(
			"this job is estimated at %d cents; the organization has spent %d of its monthly "+
				"budget of %d cents", be.EstimateCents, be.SpentCents, be.BudgetCents))
	case errors.Is(err, engine.ErrIdempotencyConflict):
		return errConflict("the Idempotency-Key was already used with a different request")
	}
	return err
}

// jobAccess loads a job and checks the caller's role in its project; jobs
// of other organizations answer 404.
func (s *Server) jobAccess(r *http.Request, min auth.Role) (*store.Job, error) {
	j, err := s.store.JobByID(r.Context(), r.PathValue("job_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("job")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.projectAccess(r.Context(), j.ProjectID, min); err != nil {
		var pr *Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			return nil, errNotFound("job")
		}
		return nil, err
	}
	return j, nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.JobFilter{Status: q.Get("status"), Provider: q.Get("provider"), ListParams: lp}
	if f.Status != "" && !validStatus(f.Status) {
		return errValidation(FieldError{Field: "status", Code: "invalid",
			Message: "must be queued, starting, processing, succeeded, failed or canceled"})
	}
	if pid := q.Get("project_id"); pid != "" {
		if _, err := s.projectAccess(r.Context(), pid, auth.RoleViewer); err != nil {
			return err
		}
		f.ProjectIDs = []string{pid}
	} else {
		pf := store.ProjectFilter{ListParams: store.ListParams{Limit: 10000}}
		if p := principalFrom(r.Context()); p.Key != nil {
			pf.APIKeyOrgID = p.Key.OrgID
		} else {
			pf.UserID = p.UserID
		}
		projects, _, err := s.store.ListProjects(r.Context(), pf)
		if err != nil {
			return err
		}
		for _, p := range projects {
			f.ProjectIDs = append(f.ProjectIDs, p.ID)
		}
	}
	jobs, total, err := s.store.ListJobs(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(jobs, total, lp))
}

func validStatus(s string) bool {
	switch s {
	case store.StatusQueued, store.StatusStarting, store.StatusProcessing,
		store.StatusSucceeded, store.StatusFailed, store.StatusCanceled:
		return true
	}
	return false
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	view, err := s.viewJob(r, j)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, view)
}

// taskView is a task with its output assets and their signed URLs.
type taskView struct {
	*store.Task
	Assets []assetView `json:"assets"`
}

type assetView struct {
	*store.Asset
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"url_expires_at"`
	// DownloadURL is set by GET /api/v1/assets/{asset_id} only.
	DownloadURL string `json:"download_url,omitempty"`
}

// signedURLTTL is how long the links in API responses work.
const signedURLTTL = time.Hour

func (s *Server) assetView(r *http.Request, a *store.Asset) (assetView, error) {
	v := assetView{Asset: a}
	if s.deps.Engine != nil {
		return v, s.signedView(r.Context(), &v)
	}
	if s.deps.Disk == nil {
		return v, nil
	}
	f, err := s.store.StorageFileByID(r.Context(), a.StorageFileID)
	if err != nil {
		return v, err
	}
	v.URL, err = s.deps.Disk.URL(r.Context(), f.Path, signedURLTTL, "")
	v.ExpiresAt = s.now().Add(signedURLTTL).UTC().Truncate(time.Second)
	return v, err
}

func (s *Server) listJobTasks(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	tasks, err := s.store.JobTasks(r.Context(), j.ID)
	if err != nil {
		return err
	}
	views := make([]taskView, 0, len(tasks))
	for _, t := range tasks {
		v := taskView{Task: t, Assets: []assetView{}}
		assets, err := s.taskAssets(r, t)
		if err != nil {
			return err
		}
		for _, a := range assets {
			av, err := s.assetView(r, a)
			if err != nil {
				return err
			}
			v.Assets = append(v.Assets, av)
		}
		views = append(views, v)
	}
	return writeJSON(w, http.StatusOK, newPage(views, len(views),
		store.ListParams{Limit: len(views)}))
}

// taskAssets returns a task's assets; a task that reused an earlier output
// shows that output's assets.
func (s *Server) taskAssets(r *http.Request, t *store.Task) ([]*store.Asset, error) {
	ids := engine.OutputAssetIDs(t)
	out := []*store.Asset{}
	for _, id := range ids {
		a, err := s.store.AssetByID(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	j, err := s.jobAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	if err := s.deps.Engine.Cancel(r.Context(), j.ID); err != nil {
		return err
	}
	return s.getJob(w, r)
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	j, err := s.jobAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	if _, err := s.deps.Engine.Retry(r.Context(), j.ID); err != nil {
		if errors.Is(err, engine.ErrNotRetryable) {
			return errConflict("the job has no failed task to retry")
		}
		return err
	}
	return s.getJob(w, r)
}

// listJobEvents returns the event log, or streams it live as Server-Sent
// Events when the client accepts text/event-stream.
func (s *Server) listJobEvents(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	after, err := eventCursor(r)
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return s.streamEvents(w, r, j, after)
	}
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return errValidation(FieldError{Field: "limit", Code: "invalid",
				Message: "must be an integer from 1 to 1000"})
		}
	}
	events, err := s.store.JobEvents(r.Context(), j.ID, after, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(events, len(events),
		store.ListParams{Limit: limit}))
}

// eventCursor reads the id after which to list: ?after= or the SSE
// Last-Event-ID header of a reconnecting client.
func eventCursor(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("after")
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		v = h
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errValidation(FieldError{Field: "after", Code: "invalid",
			Message: "must be an event id"})
	}
	return n, nil
}
