package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/reelforge/reelforge/internal/store"
)

// event appends to a job's event log and wakes its live listeners. The
// event log is part of the record, but a failure to write it must not undo
// the transition it describes, so it is logged instead of returned.
func (e *Engine) event(ctx context.Context, jobID, taskID, level, typ, msg string, data any) {
	ev := &store.Event{JobID: jobID, TaskID: taskID, Level: level, Type: typ, Message: msg}
	if data != nil {
		ev.Data = mustJSON(data)
	}
	if err := e.Store.AddEvent(ctx, ev); err != nil {
		e.Logger.ErrorContext(ctx, "engine: writing event", slog.String("job_id", jobID),
			slog.String("error", err.Error()))
		return
	}
	e.Bus.Publish(jobID)
}

// refreshJob derives a job's status, progress and cost from its tasks under
// a lock on the job row, and records a status change as an event.
func (e *Engine) refreshJob(ctx context.Context, jobID string) error {
	var changed bool
	var job *store.Job
	err := e.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockJob(ctx, jobID); err != nil {
			return err
		}
		var err error
		if job, err = tx.JobByID(ctx, jobID); err != nil {
			return err
		}
		tasks, err := tx.JobTasks(ctx, jobID)
		if err != nil {
			return err
		}
		before := job.Status
		derive(job, tasks)
		if job.Status != before && job.StartedAt.IsZero() && job.Status != store.StatusQueued {
			job.StartedAt = e.now().UTC()
		}
		switch {
		case store.Terminal(job.Status) && job.FinishedAt.IsZero():
			job.FinishedAt = e.now().UTC()
		case !store.Terminal(job.Status):
			job.FinishedAt = time.Time{} // a regenerated shot reopens the job
		}
		changed = job.Status != before
		return tx.UpdateJobState(ctx, job)
	})
	if err != nil {
		return fmt.Errorf("engine: refreshing job %s: %w", jobID, err)
	}
	if changed {
		level := "info"
		if job.Status == store.StatusFailed {
			level = "error"
		}
		e.event(ctx, jobID, "", level, "job."+job.Status, "job "+job.Status,
			map[string]any{"progress": job.Progress, "actual_cost_cents": job.ActualCostCents})
		if store.Terminal(job.Status) {
			e.Logger.InfoContext(ctx, "engine: job ended", slog.String("job_id", jobID),
				slog.String("status", job.Status),
				slog.Int64("actual_cost_cents", job.ActualCostCents))
		}
	} else {
		e.Bus.Publish(jobID)
	}
	return nil
}

func (e *Engine) refreshJobLogged(ctx context.Context, jobID string) {
	if err := e.refreshJob(ctx, jobID); err != nil {
		e.Logger.WarnContext(ctx, "engine: refreshing job", slog.String("job_id", jobID),
			slog.String("error", err.Error()))
	}
}

// derive sets a job's status, progress and actual cost from its tasks:
// running while any task runs; when all are final, failed if any failed,
// else canceled if any was canceled, else succeeded.
func derive(job *store.Job, tasks []*store.Task) {
	if len(tasks) == 0 {
		return
	}
	var progress float64
	var cost int64
	counts := map[string]int{}
	for _, t := range tasks {
		counts[t.Status]++
		cost += t.ActualCostCents
		if store.Terminal(t.Status) {
			progress++
		} else {
			progress += t.Progress
		}
	}
	job.Progress = progress / float64(len(tasks))
	job.ActualCostCents = cost
	final := counts[store.StatusSucceeded] + counts[store.StatusFailed] + counts[store.StatusCanceled]
	switch {
	case final < len(tasks):
		switch {
		case counts[store.StatusProcessing] > 0 || final > 0:
			job.Status = store.StatusProcessing
		case counts[store.StatusStarting] > 0:
			job.Status = store.StatusStarting
		default:
			job.Status = store.StatusQueued
		}
	case counts[store.StatusFailed] > 0:
		job.Status = store.StatusFailed
	case counts[store.StatusCanceled] > 0:
		job.Status = store.StatusCanceled
	default:
		job.Status = store.StatusSucceeded
	}
}

// Cancel stops every unfinished task of a job, and its provider job where
// one exists. A task that finishes at the same moment keeps its result.
func (e *Engine) Cancel(ctx context.Context, jobID string) error {
	tasks, err := e.Store.JobTasks(ctx, jobID)
	if err != nil {
		return err
	}
	job, err := e.Store.JobByID(ctx, jobID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if store.Terminal(t.Status) {
			continue
		}
		if t.ProviderJobID != "" {
			// The account that created the provider job is the one that
			// may cancel it.
			if p, _, err := e.account(ctx, job.OrgID, t.Provider); err == nil {
				if err := p.Cancel(ctx, t.ProviderJobID); err != nil {
					e.event(ctx, jobID, t.ID, "warn", "task.cancel_failed",
						t.Provider+": the provider did not confirm the cancel", nil)
				}
			}
		}
		if err := e.endTask(ctx, job, t, store.StatusCanceled, nil); err != nil {
			return err
		}
		e.releaseSlots(ctx, t)
		// The task's entry wakes, finds the task final and is acked.
		_ = e.Queue.Wake(ctx, t.ID)
	}
	return e.refreshJob(ctx, jobID)
}

// Retry puts a job's failed tasks back on their queues with fresh attempts.
func (e *Engine) Retry(ctx context.Context, jobID string) (int, error) {
	tasks, err := e.Store.JobTasks(ctx, jobID)
	if err != nil {
		return 0, err
	}
	var again []*store.Task
	for _, t := range tasks {
		if t.Status == store.StatusFailed {
			again = append(again, t)
		}
	}
	if len(again) == 0 {
		return 0, ErrNotRetryable
	}
	err = e.Store.InTx(ctx, func(tx *store.Store) error {
		for _, t := range again {
			if err := tx.ResetTask(ctx, t.ID); err != nil {
				return err
			}
			t.Status = store.StatusQueued
		}
		return e.enqueueTasks(ctx, tx, again)
	})
	if err != nil {
		return 0, err
	}
	e.afterCommit(again)
	e.event(ctx, jobID, "", "info", "job.retry",
		fmt.Sprintf("retrying %d failed task(s)", len(again)), map[string]any{"tasks": len(again)})
	if err := e.refreshJob(ctx, jobID); err != nil {
		return 0, err
	}
	return len(again), nil
}
