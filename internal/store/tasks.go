package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// Task statuses, shared by tasks and jobs.
const (
	StatusQueued     = "queued"
	StatusStarting   = "starting"
	StatusProcessing = "processing"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusCanceled   = "canceled"
)

// Terminal reports whether a status is final.
func Terminal(status string) bool {
	return status == StatusSucceeded || status == StatusFailed || status == StatusCanceled
}

// Task is one variant of a job on one provider. Its row is the truth about
// the work; queue entries only point at it.
type Task struct {
	ID                 string          `json:"id"`
	JobID              string          `json:"job_id"`
	VariantID          string          `json:"variant_id,omitempty"`
	Kind               string          `json:"kind"`
	Provider           string          `json:"provider"`
	Model              string          `json:"model"`
	Prompt             string          `json:"prompt"`
	Params             json.RawMessage `json:"params"`
	Status             string          `json:"status"`
	Progress           float64         `json:"progress"`
	Priority           int             `json:"priority"`
	Attempt            int             `json:"attempt"`
	MaxAttempts        int             `json:"max_attempts"`
	ProviderJobID      string          `json:"provider_job_id,omitempty"`
	DedupeKey          string          `json:"-"`
	ErrorCode          string          `json:"error_code,omitempty"`
	ErrorMessage       string          `json:"error_message,omitempty"`
	EstimatedCostCents int64           `json:"estimated_cost_cents"`
	ActualCostCents    int64           `json:"actual_cost_cents"`
	Output             json.RawMessage `json:"output"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
	StartedAt          time.Time       `json:"started_at,omitzero"`
	FinishedAt         time.Time       `json:"finished_at,omitzero"`
}

const taskColumns = `id, job_id, variant_id, kind, provider, model, prompt, params_json, status,
	progress, priority, attempt, max_attempts, provider_job_id, dedupe_key, error_code,
	error_message, estimated_cost_cents, actual_cost_cents, output_json, created_at, updated_at,
	started_at, finished_at`

func scanTask(row interface{ Scan(...any) error }) (*Task, error) {
	t := &Task{}
	var variant, pjob *string
	err := row.Scan(&t.ID, &t.JobID, &variant, &t.Kind, &t.Provider, &t.Model, &t.Prompt,
		rawJSON{&t.Params}, &t.Status, &t.Progress, &t.Priority, &t.Attempt, &t.MaxAttempts,
		&pjob, &t.DedupeKey, &t.ErrorCode, &t.ErrorMessage, &t.EstimatedCostCents,
		&t.ActualCostCents, rawJSON{&t.Output}, db.ScanTime(&t.CreatedAt),
		db.ScanTime(&t.UpdatedAt), db.ScanTime(&t.StartedAt), db.ScanTime(&t.FinishedAt))
	t.VariantID, t.ProviderJobID = deref(variant), deref(pjob)
	return t, err
}

// CreateTask inserts a task.
func (s *Store) CreateTask(ctx context.Context, t *Task) error {
	now := db.Now()
	if t.ID == "" {
		t.ID = NewID()
	}
	t.CreatedAt, t.UpdatedAt = now, now
	if len(t.Output) == 0 {
		t.Output = json.RawMessage("{}")
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO job_tasks (`+taskColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.JobID, nullString(t.VariantID), t.Kind, t.Provider, t.Model, t.Prompt,
		jsonText(t.Params), t.Status, t.Progress, t.Priority, t.Attempt, t.MaxAttempts,
		nullString(t.ProviderJobID), t.DedupeKey, t.ErrorCode, t.ErrorMessage,
		t.EstimatedCostCents, t.ActualCostCents, jsonText(t.Output), db.Time(now), db.Time(now),
		db.NullTime(t.StartedAt), db.NullTime(t.FinishedAt))
	return wrap(err, "creating task")
}

// TaskByID returns a task.
func (s *Store) TaskByID(ctx context.Context, id string) (*Task, error) {
	t, err := scanTask(s.queryRow(ctx,
		`SELECT `+taskColumns+` FROM job_tasks WHERE id = ?`, id))
	return t, wrap(err, "reading task")
}

// JobTasks returns a job's tasks in creation order.
func (s *Store) JobTasks(ctx context.Context, jobID string) ([]*Task, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+taskColumns+` FROM job_tasks
		WHERE job_id = ? ORDER BY created_at, id`, jobID)
	if err != nil {
		return nil, wrap(err, "listing tasks")
	}
	defer rows.Close()
	out := []*Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, wrap(err, "listing tasks")
		}
		out = append(out, t)
	}
	return out, wrap(rows.Err(), "listing tasks")
}

// UpdateTask saves a task's mutable state. It refuses to touch a task that
// is already final, so a late poll cannot undo a cancel and a repeated
// finish is not counted twice: the result is then ErrNotFound.
func (s *Store) UpdateTask(ctx context.Context, t *Task) error {
	t.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE job_tasks SET status = ?, progress = ?,
		attempt = ?, provider_job_id = ?, error_code = ?, error_message = ?,
		actual_cost_cents = ?, output_json = ?, params_json = ?, updated_at = ?,
		started_at = ?, finished_at = ?
		WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'canceled')`,
		t.Status, t.Progress, t.Attempt, nullString(t.ProviderJobID), t.ErrorCode,
		t.ErrorMessage, t.ActualCostCents, jsonText(t.Output), jsonText(t.Params),
		db.Time(t.UpdatedAt), db.NullTime(t.StartedAt), db.NullTime(t.FinishedAt), t.ID)
	return affected(res, err, "updating task")
}

// SetProviderJobID stores the provider's job id the moment it is known,
// before anything else, so a crash after it can resume polling instead of
// creating a second provider job.
func (s *Store) SetProviderJobID(ctx context.Context, taskID, providerJobID string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE job_tasks SET provider_job_id = ?, updated_at = ?
		WHERE id = ?`, providerJobID, db.Time(db.Now()), taskID)
	return affected(res, err, "storing provider job id")
}

// DedupeSource finds a task of the organization that succeeded with the
// same dedupe key since a time, whose output can be reused.
func (s *Store) DedupeSource(ctx context.Context, orgID, key string, since time.Time) (*Task, error) {
	t, err := scanTask(s.queryRow(ctx, `SELECT `+taskColumns+` FROM job_tasks
		WHERE dedupe_key = ? AND status = 'succeeded' AND finished_at >= ?
		AND job_id IN (SELECT id FROM generation_jobs WHERE org_id = ?)
		ORDER BY finished_at DESC LIMIT 1`, key, db.Time(since), orgID))
	return t, wrap(err, "finding a reusable task")
}

// Event is one entry of a job's event log.
type Event struct {
	ID        int64           `json:"id"`
	JobID     string          `json:"job_id"`
	TaskID    string          `json:"task_id,omitempty"`
	Level     string          `json:"level"`
	Type      string          `json:"type"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// AddEvent appends to a job's event log.
func (s *Store) AddEvent(ctx context.Context, e *Event) error {
	e.CreatedAt = db.Now()
	if len(e.Message) > 1000 {
		e.Message = e.Message[:997] + "..."
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO job_events (job_id, task_id, level, type,
		message, data_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.JobID,
		nullString(e.TaskID), e.Level, e.Type, e.Message, jsonText(e.Data), db.Time(e.CreatedAt))
	if err != nil {
		return wrap(err, "recording event")
	}
	e.ID, err = res.LastInsertId()
	return wrap(err, "recording event")
}

// JobEvents returns a job's events with an id above after, oldest first.
func (s *Store) JobEvents(ctx context.Context, jobID string, after int64, limit int) ([]*Event, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id, job_id, task_id, level, type, message,
		data_json, created_at FROM job_events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?`,
		jobID, after, limit)
	if err != nil {
		return nil, wrap(err, "listing events")
	}
	defer rows.Close()
	out := []*Event{}
	for rows.Next() {
		e := &Event{}
		var task sql.NullString
		if err := rows.Scan(&e.ID, &e.JobID, &task, &e.Level, &e.Type, &e.Message,
			rawJSON{&e.Data}, db.ScanTime(&e.CreatedAt)); err != nil {
			return nil, wrap(err, "listing events")
		}
		e.TaskID = task.String
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "listing events")
}

// ResetTask makes a failed task new again for a retry: queued, no provider
// job, no error, attempts from zero.
func (s *Store) ResetTask(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE job_tasks SET status = 'queued', progress = 0,
		attempt = 0, provider_job_id = NULL, error_code = '', error_message = '',
		output_json = '{}', started_at = NULL, finished_at = NULL, updated_at = ? WHERE id = ? AND status = 'failed'`,
		db.Time(db.Now()), id)
	return affected(res, err, "resetting task")
}

// SwitchTaskProvider hands an unfinished task to another provider for a
// fallback: new provider, model and params, attempts from zero, no provider
// job. ErrNotFound means the task is final.
func (s *Store) SwitchTaskProvider(ctx context.Context, id, provider, model string,
	params json.RawMessage) error {
	res, err := s.q.ExecContext(ctx, `UPDATE job_tasks SET provider = ?, model = ?,
		params_json = ?, status = 'queued', attempt = 0, provider_job_id = NULL, progress = 0,
		updated_at = ? WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'canceled')`,
		provider, model, jsonText(params), db.Time(db.Now()), id)
	return affected(res, err, "switching provider")
}

// RestartTask makes a final task new again with the given params: queued,
// no provider job, no error or output, attempts from zero.
func (s *Store) RestartTask(ctx context.Context, id string, params json.RawMessage) error {
	res, err := s.q.ExecContext(ctx, `UPDATE job_tasks SET status = 'queued', progress = 0,
		attempt = 0, provider_job_id = NULL, error_code = '', error_message = '',
		output_json = '{}', params_json = ?, actual_cost_cents = 0, started_at = NULL,
		finished_at = NULL, updated_at = ? WHERE id = ?`, jsonText(params), db.Time(db.Now()), id)
	return affected(res, err, "restarting task")
}
