package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// Job is a generation job: one request fanned out into tasks.
type Job struct {
	ID                 string          `json:"id"`
	OrgID              string          `json:"org_id"`
	ProjectID          string          `json:"project_id"`
	ExperimentID       string          `json:"experiment_id,omitempty"`
	CreatedBy          string          `json:"created_by,omitempty"`
	Kind               string          `json:"kind"`
	Status             string          `json:"status"`
	Progress           float64         `json:"progress"`
	Priority           int             `json:"priority"`
	IdempotencyKey     string          `json:"-"`
	RequestHash        string          `json:"-"`
	Request            json.RawMessage `json:"request"`
	EstimatedCostCents int64           `json:"estimated_cost_cents"`
	ActualCostCents    int64           `json:"actual_cost_cents"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
	StartedAt          time.Time       `json:"started_at,omitzero"`
	FinishedAt         time.Time       `json:"finished_at,omitzero"`
}

const jobColumns = `id, org_id, project_id, experiment_id, created_by, kind, status, progress,
	priority, idempotency_key, request_hash, request_json, estimated_cost_cents,
	actual_cost_cents, created_at, updated_at, started_at, finished_at`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	j := &Job{}
	var exp, by, idem *string
	err := row.Scan(&j.ID, &j.OrgID, &j.ProjectID, &exp, &by, &j.Kind, &j.Status, &j.Progress,
		&j.Priority, &idem, &j.RequestHash, rawJSON{&j.Request}, &j.EstimatedCostCents,
		&j.ActualCostCents, db.ScanTime(&j.CreatedAt), db.ScanTime(&j.UpdatedAt),
		db.ScanTime(&j.StartedAt), db.ScanTime(&j.FinishedAt))
	j.ExperimentID, j.CreatedBy, j.IdempotencyKey = deref(exp), deref(by), deref(idem)
	return j, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateJob inserts a job.
func (s *Store) CreateJob(ctx context.Context, j *Job) error {
	now := db.Now()
	if j.ID == "" {
		j.ID = NewID()
	}
	j.CreatedAt, j.UpdatedAt = now, now
	_, err := s.q.ExecContext(ctx, `INSERT INTO generation_jobs (`+jobColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.OrgID, j.ProjectID, nullString(j.ExperimentID), nullString(j.CreatedBy), j.Kind,
		j.Status, j.Progress, j.Priority, nullString(j.IdempotencyKey), j.RequestHash,
		jsonText(j.Request), j.EstimatedCostCents, j.ActualCostCents, db.Time(now), db.Time(now),
		db.NullTime(j.StartedAt), db.NullTime(j.FinishedAt))
	return wrap(err, "creating job")
}

// JobByID returns a job.
func (s *Store) JobByID(ctx context.Context, id string) (*Job, error) {
	j, err := scanJob(s.queryRow(ctx,
		`SELECT `+jobColumns+` FROM generation_jobs WHERE id = ?`, id))
	return j, wrap(err, "reading job")
}

// JobByIdempotencyKey returns an organization's job created with a key.
func (s *Store) JobByIdempotencyKey(ctx context.Context, orgID, key string) (*Job, error) {
	j, err := scanJob(s.queryRow(ctx, `SELECT `+jobColumns+` FROM generation_jobs
		WHERE org_id = ? AND idempotency_key = ?`, orgID, key))
	return j, wrap(err, "reading job")
}

// JobFilter narrows a job listing.
type JobFilter struct {
	// ProjectIDs are the projects the caller may read; empty means none.
	ProjectIDs []string
	Status     string
	Provider   string
	ListParams
}

// ListJobs returns one page of jobs, newest first by default.
func (s *Store) ListJobs(ctx context.Context, f JobFilter) ([]*Job, int, error) {
	if len(f.ProjectIDs) == 0 {
		return []*Job{}, 0, nil
	}
	order, err := f.orderBy("", []string{"created_at", "updated_at", "status"}, "-created_at")
	if err != nil {
		return nil, 0, err
	}
	where := []string{"project_id IN (?" + strings.Repeat(", ?", len(f.ProjectIDs)-1) + ")"}
	var args []any
	for _, id := range f.ProjectIDs {
		args = append(args, id)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Provider != "" {
		where = append(where, "id IN (SELECT job_id FROM job_tasks WHERE provider = ?)")
		args = append(args, f.Provider)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	total, err := count(ctx, s.q, `SELECT COUNT(*) FROM generation_jobs`+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+jobColumns+` FROM generation_jobs`+cond+order+
		f.limitOffset(), args...)
	if err != nil {
		return nil, 0, wrap(err, "listing jobs")
	}
	defer rows.Close()
	out := []*Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, 0, wrap(err, "listing jobs")
		}
		out = append(out, j)
	}
	return out, total, wrap(rows.Err(), "listing jobs")
}

// UpdateJobState saves a job's derived status, progress, cost and times.
func (s *Store) UpdateJobState(ctx context.Context, j *Job) error {
	j.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE generation_jobs SET status = ?, progress = ?,
		actual_cost_cents = ?, updated_at = ?, started_at = ?, finished_at = ? WHERE id = ?`,
		j.Status, j.Progress, j.ActualCostCents, db.Time(j.UpdatedAt), db.NullTime(j.StartedAt),
		db.NullTime(j.FinishedAt), j.ID)
	return affected(res, err, "updating job")
}

// MonthSpendCents is what an organization's jobs of the month starting at
// since cost: the actual cost of finished jobs, the estimate of the others.
func (s *Store) MonthSpendCents(ctx context.Context, orgID string, since time.Time) (int64, error) {
	var n sql.NullInt64
	err := s.queryRow(ctx, `SELECT SUM(CASE WHEN finished_at IS NULL
		THEN estimated_cost_cents ELSE actual_cost_cents END) FROM generation_jobs
		WHERE org_id = ? AND created_at >= ? AND status <> 'canceled'`, orgID, db.Time(since)).
		Scan(&n)
	return n.Int64, wrap(err, "summing spend")
}

// LockJob takes a row lock on a job for the rest of the transaction (on
// SQLite the transaction already holds the write lock), so two workers
// finishing tasks of one job derive its status one after the other.
func (s *Store) LockJob(ctx context.Context, id string) error {
	query := `SELECT id FROM generation_jobs WHERE id = ?`
	if s.db.Dialect == db.MySQL {
		query += ` FOR UPDATE`
	}
	var got string
	return wrap(s.queryRow(ctx, query, id).Scan(&got), "locking job")
}
