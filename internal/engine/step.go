package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/ratelimit"
	"github.com/reelforge/reelforge/internal/store"
)

// step advances a task on its provider queue by one move: admit and create
// the provider job, or check on it, or take its finished output. A worker is
// never held while the provider renders: the next check is a snoozed entry.
func (e *Engine) step(ctx context.Context, entry *queue.Entry) error {
	t, err := e.Store.TaskByID(ctx, entry.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if store.Terminal(t.Status) {
		e.releaseSlots(ctx, t)
		return nil
	}
	job, err := e.Store.JobByID(ctx, t.JobID)
	if err != nil {
		return err
	}
	var tp taskParams
	if err := json.Unmarshal(t.Params, &tp); err != nil {
		return fmt.Errorf("engine: decoding params of task %s: %w", t.ID, err)
	}
	p, acct, err := e.account(ctx, job.OrgID, t.Provider)
	if err != nil {
		return e.failTask(ctx, job, t, &provider.Error{Code: provider.CodeBadRequest,
			Message: "provider " + t.Provider + " is not available: " +
				provider.Sanitize(err.Error())})
	}
	if t.ProviderJobID == "" {
		if !e.breaker.allow(acct, e.now()) {
			if ok, err := e.fallback(ctx, job, t, tp, "its circuit is open"); ok || err != nil {
				return err
			}
			return queue.Snooze(e.cfg.BreakerCooldown / 2)
		}
		return e.start(ctx, job, t, tp, p, acct)
	}
	e.renewSlots(ctx, t)
	begin := time.Now()
	st, err := p.Get(ctx, t.ProviderJobID)
	e.Metrics.ProviderLatency.WithLabelValues(t.Provider, "get").
		Observe(time.Since(begin).Seconds())
	if err != nil {
		perr := provider.AsError(err)
		e.breaker.record(acct, perr, e.now())
		return e.retryOrFail(ctx, job, t, perr, false)
	}
	// Only finished jobs speak for the provider's health: a vendor that
	// accepts every job and then fails it must still open the circuit.
	switch {
	case st.State == provider.StateSucceeded:
		e.breaker.record(acct, nil, e.now())
	case st.Err != nil:
		e.breaker.record(acct, st.Err, e.now())
	}
	return e.apply(ctx, job, t, tp, st)
}

// start admits a task under the caps and buckets, then creates the provider
// job and stores its id before anything else happens.
func (e *Engine) start(ctx context.Context, job *store.Job, t *store.Task, tp taskParams,
	p provider.Provider, acct string) error {
	if wait, ok, err := e.admit(ctx, job, t, p); err != nil {
		return err
	} else if !ok {
		e.Logger.DebugContext(ctx, "engine: task waits for capacity",
			slog.String("task_id", t.ID), slog.String("provider", t.Provider),
			slog.Int64("wait_ms", wait.Milliseconds()))
		return queue.Snooze(wait)
	}
	// An earlier attempt that got as far as "starting" may have created
	// the provider job and died before storing its id: ask the provider
	// first, where it can look jobs up by our task id.
	if f, ok := p.(provider.Finder); ok && t.Status == store.StatusStarting {
		jobID, found, err := f.Find(ctx, providerTaskID(t, tp))
		if err != nil {
			e.releaseSlots(ctx, t)
			return e.retryOrFail(ctx, job, t, provider.AsError(err), false)
		}
		if found {
			if err := e.Store.SetProviderJobID(ctx, t.ID, jobID); err != nil {
				return err
			}
			t.ProviderJobID = jobID
			e.event(ctx, job.ID, t.ID, "info", "task.recovered",
				t.Provider+": found the provider job of an interrupted attempt",
				map[string]any{"provider_job_id": jobID})
			return queue.Snooze(0)
		}
	}
	now := e.now().UTC()
	if t.StartedAt.IsZero() {
		t.StartedAt = now
	}
	t.Status = store.StatusStarting
	if err := e.saveTask(ctx, t); err != nil {
		return e.abandon(ctx, t, err)
	}
	e.event(ctx, job.ID, t.ID, "info", "task.starting",
		fmt.Sprintf("%s: creating the provider job (attempt %d)", t.Provider, t.Attempt+1),
		map[string]any{"attempt": t.Attempt + 1})
	e.refreshJobLogged(ctx, job.ID)

	begin := time.Now()
	req := e.providerRequest(t, tp)
	if _, ok := p.(provider.Webhooker); ok {
		req.CallbackURL = e.CallbackURL(t.Provider, t.ID)
	}
	created, err := p.Create(ctx, req)
	e.Metrics.ProviderLatency.WithLabelValues(t.Provider, "create").
		Observe(time.Since(begin).Seconds())
	if err != nil {
		perr := provider.AsError(err)
		e.breaker.record(acct, perr, e.now())
		e.releaseSlots(ctx, t)
		return e.retryOrFail(ctx, job, t, perr, true)
	}
	e.breaker.accepted(acct, e.now())
	// The id first: a crash after this line resumes polling this job.
	if err := e.Store.SetProviderJobID(ctx, t.ID, created.JobID); err != nil {
		return err
	}
	t.ProviderJobID = created.JobID
	t.Status = store.StatusProcessing
	if err := e.saveTask(ctx, t); err != nil {
		return e.abandon(ctx, t, err)
	}
	e.event(ctx, job.ID, t.ID, "info", "task.created",
		t.Provider+": provider job created", map[string]any{"provider_job_id": created.JobID})
	if created.Result != nil {
		return e.apply(ctx, job, t, tp, *created.Result)
	}
	return queue.Snooze(e.pollDelay(t))
}

// admit takes the task's concurrency slots and rate tokens, or says how long
// to wait. Slots are held until the task leaves its provider.
func (e *Engine) admit(ctx context.Context, job *store.Job, t *store.Task,
	p provider.Provider) (time.Duration, bool, error) {
	lim := e.limitsOf(t.Provider, p.Capabilities())
	var slots []ratelimit.SlotRequest
	if lim.Concurrency > 0 {
		slots = append(slots, ratelimit.SlotRequest{Key: "provider:" + t.Provider,
			Max: lim.Concurrency})
	}
	if e.cfg.OrgConcurrency > 0 {
		slots = append(slots, ratelimit.SlotRequest{Key: "org:" + job.OrgID,
			Max: e.cfg.OrgConcurrency})
	}
	if len(slots) > 0 {
		ok, err := ratelimit.AcquireAll(ctx, e.Slots, slots, t.ID, e.cfg.SlotTTL)
		if err != nil {
			return 0, false, fmt.Errorf("engine: taking slots: %w", err)
		}
		if !ok {
			return e.cfg.PollMin, false, nil
		}
	}
	var buckets []ratelimit.Request
	if lim.RatePerMinute > 0 {
		buckets = append(buckets, ratelimit.Request{Key: "provider:" + t.Provider,
			Limit: ratelimit.PerMinute(lim.RatePerMinute), N: 1})
	}
	if e.cfg.OrgRatePerMinute > 0 {
		buckets = append(buckets, ratelimit.Request{Key: "org:" + job.OrgID,
			Limit: ratelimit.PerMinute(e.cfg.OrgRatePerMinute), N: 1})
	}
	if e.cfg.UserRatePerMinute > 0 && job.CreatedBy != "" {
		buckets = append(buckets, ratelimit.Request{Key: "user:" + job.CreatedBy,
			Limit: ratelimit.PerMinute(e.cfg.UserRatePerMinute), N: 1})
	}
	if len(buckets) > 0 {
		res, err := ratelimit.AllowAll(ctx, e.Limiter, buckets)
		if err != nil {
			e.releaseSlots(ctx, t)
			return 0, false, fmt.Errorf("engine: spending rate tokens: %w", err)
		}
		if !res.Allowed {
			e.releaseSlots(ctx, t)
			return max(res.RetryAfter, 50*time.Millisecond), false, nil
		}
	}
	return 0, true, nil
}

// taskSlotKeys names the caps a task holds: its provider's, and its
// organization's when organizations are capped (only then is the job read
// to learn the organization).
func (e *Engine) taskSlotKeys(ctx context.Context, t *store.Task) []string {
	keys := []string{"provider:" + t.Provider}
	if e.cfg.OrgConcurrency > 0 {
		if job, err := e.Store.JobByID(ctx, t.JobID); err == nil {
			keys = append(keys, "org:"+job.OrgID)
		}
	}
	return keys
}

// releaseSlots gives back the task's slots; a slot it does not hold is
// ignored.
func (e *Engine) releaseSlots(ctx context.Context, t *store.Task) {
	for _, key := range e.taskSlotKeys(ctx, t) {
		if err := e.Slots.Release(ctx, key, t.ID); err != nil &&
			!errors.Is(err, ratelimit.ErrNotHeld) {
			e.Logger.WarnContext(ctx, "engine: releasing a slot", slog.String("task_id", t.ID),
				slog.String("error", err.Error()))
		}
	}
}

// renewSlots keeps the slots of a task that is still rendering. A slot lost
// to expiry is not taken back: the cap may briefly be exceeded by one task
// rather than a rendering job be abandoned.
func (e *Engine) renewSlots(ctx context.Context, t *store.Task) {
	for _, key := range e.taskSlotKeys(ctx, t) {
		_ = e.Slots.Renew(ctx, key, t.ID, e.cfg.SlotTTL)
	}
}

// apply records a provider status: progress, success, failure or cancel.
func (e *Engine) apply(ctx context.Context, job *store.Job, t *store.Task, tp taskParams,
	st provider.Status) error {
	switch st.State {
	case provider.StateSucceeded:
		// collect releases the slots once the outputs are ours.
		return e.collect(ctx, job, t, tp, st)
	case provider.StateFailed:
		perr := st.Err
		if perr == nil {
			perr = &provider.Error{Code: provider.CodeProviderError,
				Message: "the provider reported a failure without a reason"}
		}
		e.releaseSlots(ctx, t)
		// The provider's job is spent: a retry is a new render under a new
		// provider task id.
		tp.Generation++
		t.Params = mustJSON(tp)
		return e.retryOrFail(ctx, job, t, perr, true)
	case provider.StateCanceled:
		e.releaseSlots(ctx, t)
		return e.endTask(ctx, job, t, store.StatusCanceled, nil)
	}
	// Still rendering: record progress in steps, not on every poll.
	progress := min(max(st.Progress, 0), 1) * 0.9
	if progress-t.Progress >= 0.05 || (st.State == provider.StateProcessing &&
		t.Status != store.StatusProcessing) {
		t.Progress = max(t.Progress, progress)
		t.Status = store.StatusProcessing
		if err := e.saveTask(ctx, t); err != nil {
			return e.abandon(ctx, t, err)
		}
		e.event(ctx, job.ID, t.ID, "info", "task.progress",
			fmt.Sprintf("%s: %d%%", t.Provider, int(t.Progress*100)),
			map[string]any{"progress": t.Progress})
		e.refreshJobLogged(ctx, job.ID)
	}
	delay := st.PollAfter
	if delay <= 0 {
		delay = e.pollDelay(t)
	}
	return queue.Snooze(min(max(delay, 100*time.Millisecond), e.cfg.PollMax))
}

// pollDelay backs off with the time a task has been rendering: checks come
// quickly at first and settle at PollMax for long renders.
func (e *Engine) pollDelay(t *store.Task) time.Duration {
	elapsed := e.now().Sub(t.StartedAt)
	d := max(e.cfg.PollMin, elapsed/10)
	return min(d, e.cfg.PollMax)
}

// retryOrFail retries a retryable error while attempts remain, else fails
// the task with it. resetJob drops the provider job, so the next attempt
// creates a new one (the old one failed); a failed status check keeps it.
func (e *Engine) retryOrFail(ctx context.Context, job *store.Job, t *store.Task,
	perr *provider.Error, resetJob bool) error {
	t.ErrorCode, t.ErrorMessage = string(perr.Code), perr.Message
	if !perr.Retryable() || t.Attempt+1 >= t.MaxAttempts {
		if perr.Code != provider.CodeBadRequest || t.ProviderJobID == "" {
			var tp taskParams
			_ = json.Unmarshal(t.Params, &tp)
			if ok, err := e.fallback(ctx, job, t, tp, "it failed with "+string(perr.Code)); ok || err != nil {
				return err
			}
		}
		return e.failTask(ctx, job, t, perr)
	}
	t.Attempt++
	if resetJob {
		t.ProviderJobID = ""
		t.Status = store.StatusQueued
	}
	if err := e.saveTask(ctx, t); err != nil {
		return e.abandon(ctx, t, err)
	}
	delay := perr.RetryAfter
	if delay <= 0 {
		delay = queue.DefaultBackoff(t.Attempt)
	}
	e.event(ctx, job.ID, t.ID, "warn", "task.retry",
		fmt.Sprintf("%s: %s; retrying in %s", t.Provider, perr.Code, delay.Round(time.Millisecond)),
		map[string]any{"attempt": t.Attempt, "error_code": perr.Code, "delay_ms": delay.Milliseconds()})
	e.Logger.WarnContext(ctx, "engine: provider error, retrying", slog.String("job_id", job.ID),
		slog.String("task_id", t.ID), slog.String("provider", t.Provider),
		slog.Int("attempt", t.Attempt), slog.String("error", string(perr.Code)))
	return queue.Snooze(delay)
}

func (e *Engine) failTask(ctx context.Context, job *store.Job, t *store.Task,
	perr *provider.Error) error {
	e.releaseSlots(ctx, t)
	return e.endTask(ctx, job, t, store.StatusFailed, perr)
}

// endTask puts a task in a final status, records it and derives the job.
func (e *Engine) endTask(ctx context.Context, job *store.Job, t *store.Task, status string,
	perr *provider.Error) error {
	t.Status = status
	t.FinishedAt = e.now().UTC()
	if status == store.StatusSucceeded {
		t.Progress = 1
	}
	if perr != nil {
		t.ErrorCode, t.ErrorMessage = string(perr.Code), perr.Message
	}
	if err := e.Store.UpdateTask(ctx, t); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // already final, for example canceled meanwhile
		}
		return err
	}
	level, msg := "info", t.Provider+": "+status
	if status == store.StatusFailed {
		level = "error"
		msg += ": " + t.ErrorCode + ": " + t.ErrorMessage
	}
	e.event(ctx, job.ID, t.ID, level, "task."+status, msg, map[string]any{
		"error_code": t.ErrorCode, "attempt": t.Attempt + 1,
		"actual_cost_cents": t.ActualCostCents})
	e.Metrics.Tasks.WithLabelValues(t.Provider, status, t.ErrorCode).Inc()
	if !t.StartedAt.IsZero() {
		e.Metrics.TaskDuration.WithLabelValues(t.Provider).
			Observe(t.FinishedAt.Sub(t.StartedAt).Seconds())
	}
	if t.ActualCostCents > 0 {
		e.Metrics.CostCents.WithLabelValues(t.Provider).Add(float64(t.ActualCostCents))
	}
	attrs := []slog.Attr{slog.String("job_id", job.ID), slog.String("task_id", t.ID),
		slog.String("provider", t.Provider), slog.String("status", status),
		slog.Int("attempt", t.Attempt+1),
		slog.Int64("duration_ms", t.FinishedAt.Sub(t.StartedAt).Milliseconds())}
	logLevel := slog.LevelInfo
	if status == store.StatusFailed {
		logLevel = slog.LevelError
		attrs = append(attrs, slog.String("error", t.ErrorCode))
	}
	e.Logger.LogAttrs(ctx, logLevel, "engine: task ended", attrs...)
	if t.Kind == KindKeyframe {
		if err := e.releaseDependents(ctx, job, t); err != nil {
			return err
		}
	}
	if job.Kind == "storyboard" && t.Kind == KindGenerate {
		if err := e.maybeAssemble(ctx, job.ID); err != nil {
			return err
		}
	}
	return e.refreshJob(ctx, job.ID)
}

// saveTask writes a task's state; ErrNotFound means it became final
// meanwhile (a cancel), which callers treat as the end of the work.
func (e *Engine) saveTask(ctx context.Context, t *store.Task) error {
	return e.Store.UpdateTask(ctx, t)
}

// abandon ends a step whose task became final under it (canceled), or
// returns a real error for the queue to retry.
func (e *Engine) abandon(ctx context.Context, t *store.Task, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		e.releaseSlots(ctx, t)
		return nil
	}
	return err
}

// providerRequest rebuilds the provider call from the task row.
func (e *Engine) providerRequest(t *store.Task, tp taskParams) provider.Request {
	return provider.Request{TaskID: providerTaskID(t, tp), Model: t.Model,
		Kind:   provider.Kind(tp.Kind),
		Prompt: t.Prompt, NegativePrompt: tp.NegativePrompt, ImageURL: tp.ImageURL,
		DurationSeconds: tp.Duration, Resolution: tp.Resolution, AspectRatio: tp.AspectRatio,
		Audio: tp.Audio, Params: tp.Params}
}

// providerTaskID is the id a provider gets for one render of a task, for
// its idempotency (Kling's external_task_id, the simulator): the task id
// for the first render, with the generation after it once a render failed
// or a shot was regenerated. A retried create (rate limited, timed out)
// keeps the id, so it finds a job the earlier call may already have made.
func providerTaskID(t *store.Task, tp taskParams) string {
	if tp.Generation == 0 {
		return t.ID
	}
	return fmt.Sprintf("%s-g%d", t.ID, tp.Generation)
}
