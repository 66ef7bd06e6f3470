package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// Output formats a job can ask for.
var Formats = []string{"mp4", "mov", "gif"}

// Request is a job request: either Variants, or one Prompt sent to each of
// Providers.
type Request struct {
	ProjectID    string    `json:"project_id"`
	ExperimentID string    `json:"experiment_id,omitempty"`
	Variants     []Variant `json:"variants,omitempty"`
	Prompt       string    `json:"prompt,omitempty"`
	Providers    []string  `json:"providers,omitempty"`
	Resolution   string    `json:"resolution"`
	AspectRatio  string    `json:"aspect_ratio"`
	Format       string    `json:"format"`
	Duration     int       `json:"duration"`
	// Priority overrides the default order (shorter, lower-resolution work
	// first); lower runs first.
	Priority *int `json:"priority,omitempty"`
}

// Variant is one provider and prompt of a job.
type Variant struct {
	Provider       string         `json:"provider"`
	Model          string         `json:"model,omitempty"`
	Prompt         string         `json:"prompt,omitempty"`
	PromptID       string         `json:"prompt_id,omitempty"`
	NegativePrompt string         `json:"negative_prompt,omitempty"`
	ImageURL       string         `json:"image_url,omitempty"`
	Kind           string         `json:"kind,omitempty"`
	Audio          bool           `json:"audio,omitempty"`
	Params         map[string]any `json:"params,omitempty"`
	// Fallbacks are providers that take the task over, in order, when this
	// one fails or its circuit is open, if they support the same duration,
	// aspect ratio and resolution.
	Fallbacks []string `json:"fallbacks,omitempty"`
	// FirstFrame makes the variant image-to-video from a frame that another
	// provider (Nano Banana, say) draws first in the same job.
	FirstFrame *FirstFrame `json:"first_frame,omitempty"`
}

// FirstFrame is a key frame made by a text-to-image provider for the
// variant's video to start from.
type FirstFrame struct {
	Provider string `json:"provider"`
	Model    string `json:"model,omitempty"`
	// Prompt of the frame; empty uses the variant's prompt.
	Prompt string `json:"prompt,omitempty"`
}

// firstFramePlaceholder stands for the key frame while a variant is
// validated, before the frame exists.
const firstFramePlaceholder = "data:image/png;base64,"

// taskParams is what a task keeps in params_json: everything needed to call
// the provider again after a crash, and to finish the output.
type taskParams struct {
	Kind           string         `json:"kind"`
	NegativePrompt string         `json:"negative_prompt,omitempty"`
	ImageURL       string         `json:"image_url,omitempty"`
	Audio          bool           `json:"audio,omitempty"`
	Duration       int            `json:"duration"`
	Resolution     string         `json:"resolution"`
	AspectRatio    string         `json:"aspect_ratio"`
	Format         string         `json:"format"`
	Params         map[string]any `json:"params,omitempty"`
	// DedupedFrom names the task whose output this one reused.
	DedupedFrom string `json:"deduped_from,omitempty"`
	// Fallbacks are the providers still to try if this one fails.
	Fallbacks []string `json:"fallbacks,omitempty"`
	// Generation counts regenerations of a storyboard shot.
	Generation int `json:"generation,omitempty"`
	// After names the key-frame task this task waits for; its image
	// becomes ImageURL when it succeeds.
	After string `json:"after,omitempty"`
}

// Actor is who submits: a user, or an API key acting for its creator.
type Actor struct {
	UserID string
	OrgID  string
}

// Submission is a job request that passed the caller's access checks.
type Submission struct {
	Request        Request
	IdempotencyKey string
	Actor          Actor
	Project        *store.Project
}

const maxVariants = 20

// normalize expands the prompt-and-providers form into variants, fills
// defaults and resolves prompt ids, and validates everything against the
// providers' capabilities.
func (e *Engine) normalize(ctx context.Context, req *Request, projectID string) error {
	if req.Resolution == "" {
		req.Resolution = provider.Resolution720p
	}
	if req.AspectRatio == "" {
		req.AspectRatio = provider.Aspect16x9
	}
	if req.Format == "" {
		req.Format = "mp4"
	}
	if req.Duration == 0 {
		req.Duration = 5
	}
	switch {
	case !slices.Contains(provider.Resolutions, req.Resolution):
		return invalid("resolution", "must be one of "+strings.Join(provider.Resolutions, ", "))
	case !slices.Contains(provider.AspectRatios, req.AspectRatio):
		return invalid("aspect_ratio", "must be one of "+strings.Join(provider.AspectRatios, ", "))
	case !slices.Contains(Formats, req.Format):
		return invalid("format", "must be one of "+strings.Join(Formats, ", "))
	case req.Duration < 1 || req.Duration > 60:
		return invalid("duration", "must be from 1 to 60 seconds")
	}
	if len(req.Variants) > 0 && (req.Prompt != "" || len(req.Providers) > 0) {
		return invalid("variants", "give either variants, or a prompt with providers")
	}
	if len(req.Variants) == 0 {
		if strings.TrimSpace(req.Prompt) == "" {
			return invalid("prompt", "is required when no variants are given")
		}
		if len(req.Providers) == 0 {
			return invalid("providers", "name at least one provider")
		}
		for _, p := range req.Providers {
			req.Variants = append(req.Variants, Variant{Provider: p, Prompt: req.Prompt})
		}
		req.Prompt, req.Providers = "", nil
	}
	if len(req.Variants) > maxVariants {
		return invalid("variants", fmt.Sprintf("at most %d variants", maxVariants))
	}
	for i := range req.Variants {
		if err := e.normalizeVariant(ctx, &req.Variants[i], i, req, projectID); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) normalizeVariant(ctx context.Context, v *Variant, i int, req *Request,
	projectID string) error {
	field := fmt.Sprintf("variants[%d]", i)
	p, err := e.Providers.Get(v.Provider)
	if err != nil {
		return invalid(field+".provider", fmt.Sprintf("provider %q is not enabled (enabled: %s)",
			v.Provider, strings.Join(e.Providers.Names(), ", ")))
	}
	if v.PromptID != "" {
		saved, err := e.Store.PromptByID(ctx, v.PromptID)
		if err != nil || saved.ProjectID != projectID {
			return invalid(field+".prompt_id", "no such prompt in this project")
		}
		if v.Prompt == "" {
			v.Prompt = saved.Body
		}
		if v.NegativePrompt == "" {
			v.NegativePrompt = saved.NegativePrompt
		}
	}
	if strings.TrimSpace(v.Prompt) == "" && v.Kind != string(provider.KindImageToVideo) {
		return invalid(field+".prompt", "is required")
	}
	if len(v.Prompt) > 20000 {
		return invalid(field+".prompt", "must be at most 20000 bytes")
	}
	if ff := v.FirstFrame; ff != nil {
		if v.ImageURL != "" {
			return invalid(field+".first_frame", "give either image_url or first_frame")
		}
		fp, err := e.Providers.Get(ff.Provider)
		if err != nil {
			return invalid(field+".first_frame.provider", fmt.Sprintf(
				"provider %q is not enabled", ff.Provider))
		}
		if ff.Prompt == "" {
			ff.Prompt = v.Prompt
		}
		fcaps := fp.Capabilities()
		freq := fcaps.WithDefaults(provider.Request{Model: ff.Model, Kind: provider.KindTextToImage,
			Prompt: ff.Prompt, Resolution: req.Resolution, AspectRatio: req.AspectRatio})
		if err := fcaps.Validate(freq); err != nil {
			return invalid(field+".first_frame", provider.Sanitize(err.Error()))
		}
		ff.Model = freq.Model
		v.Kind = string(provider.KindImageToVideo)
		v.ImageURL = firstFramePlaceholder
		defer func() { v.ImageURL = "" }()
	}
	if v.ImageURL != "" && !strings.HasPrefix(v.ImageURL, "data:") {
		if err := e.OutboundPolicy.CheckURL(v.ImageURL); err != nil {
			return invalid(field+".image_url", "must be a public http(s) URL")
		}
	}
	for j, fb := range v.Fallbacks {
		if _, err := e.Providers.Get(fb); err != nil || fb == v.Provider {
			return invalid(fmt.Sprintf("%s.fallbacks[%d]", field, j),
				fmt.Sprintf("provider %q is not enabled, or is the variant's own", fb))
		}
	}
	if v.Kind == "" {
		v.Kind = string(provider.KindTextToVideo)
		if v.ImageURL != "" {
			v.Kind = string(provider.KindImageToVideo)
		}
	}
	preq := provider.Request{Model: v.Model, Kind: provider.Kind(v.Kind), Prompt: v.Prompt,
		NegativePrompt: v.NegativePrompt, ImageURL: v.ImageURL, DurationSeconds: req.Duration,
		Resolution: req.Resolution, AspectRatio: req.AspectRatio, Audio: v.Audio,
		Params: v.Params}
	caps := p.Capabilities()
	preq = caps.WithDefaults(preq)
	if err := caps.Validate(preq); err != nil {
		var ve *provider.ValidationError
		if errors.As(err, &ve) {
			return &ValidationError{Field: field + "." + ve.Field, Code: "unsupported",
				Message: ve.Message}
		}
		return invalid(field, err.Error())
	}
	v.Model = preq.Model
	return nil
}

func invalid(field, msg string) *ValidationError {
	return &ValidationError{Field: field, Code: "invalid", Message: msg}
}

// Submit validates a request and writes the job, its tasks, its first event
// and the queue entries in one transaction. A repeated Idempotency-Key with
// the same request returns the first job and created=false.
func (e *Engine) Submit(ctx context.Context, sub Submission) (*store.Job, bool, error) {
	req := sub.Request
	if err := e.normalize(ctx, &req, sub.Project.ID); err != nil {
		return nil, false, err
	}
	canonical, _ := json.Marshal(req)
	sum := sha256.Sum256(canonical)
	hash := hex.EncodeToString(sum[:])
	if sub.IdempotencyKey != "" {
		if job, err := e.replay(ctx, sub, hash); job != nil || err != nil {
			return job, false, err
		}
	}
	tasks, estimate, err := e.plan(ctx, sub, req)
	if err != nil {
		return nil, false, err
	}
	if err := e.checkBudget(ctx, sub.Project.OrgID, estimate); err != nil {
		return nil, false, err
	}
	job := &store.Job{ID: store.NewID(), OrgID: sub.Project.OrgID, ProjectID: sub.Project.ID,
		ExperimentID: req.ExperimentID, CreatedBy: sub.Actor.UserID, Kind: "generate",
		Status: store.StatusQueued, IdempotencyKey: sub.IdempotencyKey, RequestHash: hash,
		Request: canonical, EstimatedCostCents: estimate}
	if req.Priority != nil {
		job.Priority = *req.Priority
	}
	err = e.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateJob(ctx, job); err != nil {
			return err
		}
		for _, t := range tasks {
			t.JobID = job.ID
			if err := tx.CreateTask(ctx, t); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(ctx, &store.Event{JobID: job.ID, Level: "info",
			Type: "job.accepted", Message: fmt.Sprintf("accepted with %d task(s)", len(tasks)),
			Data: mustJSON(map[string]any{"estimated_cost_cents": estimate,
				"tasks": len(tasks)})}); err != nil {
			return err
		}
		return e.enqueueTasks(ctx, tx, tasks)
	})
	if errors.Is(err, store.ErrConflict) && sub.IdempotencyKey != "" {
		// Another request with the same key won the race.
		if job, rerr := e.replay(ctx, sub, hash); job != nil || rerr != nil {
			return job, false, rerr
		}
	}
	if err != nil {
		return nil, false, err
	}
	e.afterCommit(tasks)
	e.Metrics.JobsAccepted.Inc()
	e.Logger.InfoContext(ctx, "engine: job accepted", slog.String("job_id", job.ID),
		slog.String("project_id", job.ProjectID), slog.String("org_id", job.OrgID),
		slog.Int("tasks", len(tasks)), slog.Int64("estimated_cost_cents", estimate))
	if err := e.refreshJob(ctx, job.ID); err != nil {
		return nil, false, err
	}
	job, err = e.Store.JobByID(ctx, job.ID)
	return job, true, err
}

func (e *Engine) replay(ctx context.Context, sub Submission, hash string) (*store.Job, error) {
	job, err := e.Store.JobByIdempotencyKey(ctx, sub.Project.OrgID, sub.IdempotencyKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if job.RequestHash != hash {
		return nil, ErrIdempotencyConflict
	}
	return job, nil
}

// plan builds one task per variant, with its estimate and dedupe key, and
// fills in the output of tasks that an identical earlier variant already
// produced.
func (e *Engine) plan(ctx context.Context, sub Submission, req Request) ([]*store.Task, int64, error) {
	var tasks []*store.Task
	var estimate int64
	for _, v := range req.Variants {
		p, _ := e.Providers.Get(v.Provider)
		tp := taskParams{Kind: v.Kind, NegativePrompt: v.NegativePrompt, ImageURL: v.ImageURL,
			Audio: v.Audio, Duration: req.Duration, Resolution: req.Resolution,
			AspectRatio: req.AspectRatio, Format: req.Format, Params: v.Params,
			Fallbacks: v.Fallbacks}
		t := &store.Task{ID: store.NewID(), Kind: "generate", Provider: v.Provider,
			Model: v.Model, Prompt: v.Prompt, Status: store.StatusQueued,
			MaxAttempts: e.cfg.MaxAttempts, Priority: defaultPriority(req)}
		if req.Priority != nil {
			t.Priority = *req.Priority
		}
		t.DedupeKey = dedupeKey(t, tp)
		t.EstimatedCostCents = p.Capabilities().Estimate(e.providerRequest(t, tp))
		if e.cfg.DedupeWindow > 0 {
			src, err := e.Store.DedupeSource(ctx, sub.Project.OrgID, t.DedupeKey,
				e.now().Add(-e.cfg.DedupeWindow))
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, 0, err
			}
			if src != nil && err == nil {
				tp.DedupedFrom = src.ID
				t.Status, t.Progress, t.Output = store.StatusSucceeded, 1, src.Output
				t.EstimatedCostCents = 0
				now := e.now().UTC()
				t.StartedAt, t.FinishedAt = now, now
			}
		}
		if ff := v.FirstFrame; ff != nil && t.Status != store.StatusSucceeded {
			kf, cost := e.keyframeTask(ff, t, req)
			tp.After = kf.ID
			estimate += cost
			tasks = append(tasks, kf)
		}
		t.Params = mustJSON(tp)
		estimate += t.EstimatedCostCents
		tasks = append(tasks, t)
	}
	return tasks, estimate, nil
}

// keyframeTask is the text-to-image task that draws a variant's first
// frame; it runs first and its video task waits for it.
func (e *Engine) keyframeTask(ff *FirstFrame, video *store.Task, req Request) (*store.Task,
	int64) {
	p, _ := e.Providers.Get(ff.Provider)
	tp := taskParams{Kind: string(provider.KindTextToImage), Resolution: req.Resolution,
		AspectRatio: req.AspectRatio, Format: "png", Duration: req.Duration}
	t := &store.Task{ID: store.NewID(), Kind: KindKeyframe, Provider: ff.Provider,
		Model: ff.Model, Prompt: ff.Prompt, Status: store.StatusQueued,
		MaxAttempts: e.cfg.MaxAttempts, Priority: video.Priority - 1, Params: mustJSON(tp)}
	t.DedupeKey = dedupeKey(t, tp)
	t.EstimatedCostCents = p.Capabilities().Estimate(e.providerRequest(t, tp))
	return t, t.EstimatedCostCents
}

// defaultPriority orders short, low-resolution work first, so a quick
// preview is not stuck behind a long 4K render.
func defaultPriority(req Request) int {
	weight := map[string]int{"720p": 1, "1080p": 2, "2k": 4, "4k": 8}[req.Resolution]
	return req.Duration * weight
}

// dedupeKey identifies a variant by everything that changes its output.
func dedupeKey(t *store.Task, tp taskParams) string {
	tp.DedupedFrom = ""
	b, _ := json.Marshal([]any{t.Provider, t.Model, t.Prompt, tp})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (e *Engine) checkBudget(ctx context.Context, orgID string, estimate int64) error {
	org, err := e.Store.OrganizationByID(ctx, orgID)
	if err != nil || org.MonthlyBudgetCents == nil {
		return err
	}
	now := e.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	spent, err := e.Store.MonthSpendCents(ctx, orgID, month)
	if err != nil {
		return err
	}
	if spent+estimate > *org.MonthlyBudgetCents {
		return &BudgetError{BudgetCents: *org.MonthlyBudgetCents, SpentCents: spent,
			EstimateCents: estimate}
	}
	return nil
}

// enqueueTasks writes a queue entry for every task that still has work, in
// the caller's transaction.
func (e *Engine) enqueueTasks(ctx context.Context, tx *store.Store, tasks []*store.Task) error {
	sqlTx, ok := tx.SQLTx()
	if !ok {
		return errors.New("engine: enqueueTasks needs a transaction")
	}
	for _, t := range tasks {
		if store.Terminal(t.Status) || waitsForKeyframe(t) {
			continue
		}
		_, err := e.Queue.EnqueueTx(ctx, sqlTx, queue.EnqueueParams{Queue: t.Provider,
			TaskID: t.ID, Kind: "run", Priority: t.Priority, UniqueKey: "task:" + t.ID})
		if err != nil && !errors.Is(err, queue.ErrDuplicate) {
			return fmt.Errorf("engine: enqueueing task %s: %w", t.ID, err)
		}
	}
	return nil
}

// afterCommit wakes local pools for the queues the tasks went to.
func (e *Engine) afterCommit(tasks []*store.Task) {
	n, ok := e.Queue.(queue.Notifier)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, t := range tasks {
		if !seen[t.Provider] {
			seen[t.Provider] = true
			n.Notify(t.Provider)
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("engine: marshaling %T: %v", v, err))
	}
	return b
}
