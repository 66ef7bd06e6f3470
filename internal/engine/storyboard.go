package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/pipeline"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// Task kinds.
const (
	KindGenerate = "generate"
	// KindAssemble joins a storyboard's shots into the final video once
	// every shot has succeeded.
	KindAssemble = "assemble"
)

// RenderOptions is how a storyboard becomes a finished video.
type RenderOptions struct {
	// Provider renders shots that do not name their own. Defaults to sim.
	Provider string `json:"provider"`
	// Model of that provider; empty means its default.
	Model       string `json:"model,omitempty"`
	Resolution  string `json:"resolution"`
	AspectRatio string `json:"aspect_ratio"`
	// Format of the final video: mp4 or mov.
	Format string `json:"format"`
	// Transition between shots (an xfade name such as fade or dissolve);
	// empty is a hard cut. TransitionSeconds defaults to 0.5.
	Transition        string  `json:"transition,omitempty"`
	TransitionSeconds float64 `json:"transition_seconds,omitempty"`
	// Subtitles from the dialogue: burn (default), soft or none.
	Subtitles string `json:"subtitles"`
	// Watermark is text drawn in a corner; empty for none.
	Watermark string `json:"watermark,omitempty"`
	// MusicAssetID, IntroAssetID and OutroAssetID are assets of the project.
	MusicAssetID string `json:"music_asset_id,omitempty"`
	IntroAssetID string `json:"intro_asset_id,omitempty"`
	OutroAssetID string `json:"outro_asset_id,omitempty"`
	// KeyframeProvider, when set, draws a first frame for every shot with
	// that text-to-image provider (nano, say) and renders the shot from it
	// as image-to-video.
	KeyframeProvider string `json:"keyframe_provider,omitempty"`
	// GIFPreview adds a small animated preview; HLS a streaming ladder.
	GIFPreview bool `json:"gif_preview,omitempty"`
	HLS        bool `json:"hls,omitempty"`
}

// assembleParams is what an assembly task keeps in params_json.
type assembleParams struct {
	RenderOptions
	// Shots are the shot tasks in playing order.
	Shots []string `json:"shots"`
	// SRT is the subtitle file made from the dialogue.
	SRT string `json:"srt,omitempty"`
	// DocumentID and Version name the storyboard that was rendered.
	DocumentID string `json:"document_id"`
	Version    int64  `json:"version"`
}

func (o *RenderOptions) normalize() error {
	if o.Provider == "" {
		o.Provider = "sim"
	}
	if o.Resolution == "" {
		o.Resolution = provider.Resolution720p
	}
	if o.AspectRatio == "" {
		o.AspectRatio = provider.Aspect9x16
	}
	if o.Format == "" {
		o.Format = "mp4"
	}
	if o.Subtitles == "" {
		o.Subtitles = "burn"
	}
	switch {
	case o.Format != "mp4" && o.Format != "mov":
		return invalid("format", "must be mp4 or mov")
	case !slices.Contains([]string{"burn", "soft", "none"}, o.Subtitles):
		return invalid("subtitles", "must be burn, soft or none")
	case o.Transition != "" && !slices.Contains(media.Transitions, o.Transition):
		return invalid("transition", "is not a known transition")
	case o.TransitionSeconds < 0 || o.TransitionSeconds > 2:
		return invalid("transition_seconds", "must be from 0 to 2")
	}
	return nil
}

// RenderStoryboard submits one job for a storyboard: a task per shot, on
// the shot's provider or the default, and an assembly task that joins the
// shots once all have succeeded.
func (e *Engine) RenderStoryboard(ctx context.Context, sub Submission, doc *store.Document,
	sb *pipeline.Storyboard, opts RenderOptions) (*store.Job, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	req := Request{ProjectID: sub.Project.ID, Resolution: opts.Resolution,
		AspectRatio: opts.AspectRatio, Format: "mp4", Duration: 1}
	for si, scene := range sb.Scenes {
		for hi, shot := range scene.Shots {
			name := opts.Provider
			if shot.Provider != "" {
				name = shot.Provider
			}
			prompt := shot.Prompt
			if prompt == "" {
				prompt = shot.Action
			}
			v := Variant{Provider: name, Prompt: prompt, NegativePrompt: shot.NegativePrompt,
				Params: map[string]any{"shot": fmt.Sprintf("%d.%d", si+1, hi+1)}}
			if name == opts.Provider {
				v.Model = opts.Model
			}
			if opts.KeyframeProvider != "" {
				v.FirstFrame = &FirstFrame{Provider: opts.KeyframeProvider}
			}
			req.Variants = append(req.Variants, v)
		}
	}
	if len(req.Variants) == 0 {
		return nil, invalid("storyboard", "has no shots to render")
	}
	// Shots have their own lengths: validate each against its provider at
	// the duration closest to the shot's that the provider allows.
	durations, err := e.shotDurations(sb, req, opts)
	if err != nil {
		return nil, err
	}
	sub.Request = req
	// Subtitles follow the clips as rendered: each shot lasts the length its
	// provider renders, not the script's estimate, and a transition overlaps
	// a shot with the next, so it starts that much earlier.
	overlap := 0.0
	if opts.Transition != "" {
		overlap = opts.TransitionSeconds
		if overlap == 0 {
			overlap = 0.5
		}
	}
	timed := *sb
	timed.Scenes = slices.Clone(sb.Scenes)
	i := 0
	for si := range timed.Scenes {
		timed.Scenes[si].Shots = slices.Clone(timed.Scenes[si].Shots)
		for hi := range timed.Scenes[si].Shots {
			d := float64(durations[i])
			if i < len(durations)-1 {
				d -= overlap
			}
			timed.Scenes[si].Shots[hi].DurationSeconds = d
			i++
		}
	}
	return e.submitShots(ctx, sub, durations, assembleParams{RenderOptions: opts,
		SRT: pipeline.SubtitlesSRT(&timed), DocumentID: doc.ID, Version: doc.Version})
}

// shotDurations picks each shot's length: its own, rounded up to whole
// seconds, moved to the nearest length the shot's provider supports.
func (e *Engine) shotDurations(sb *pipeline.Storyboard, req Request,
	opts RenderOptions) ([]int, error) {
	var out []int
	i := 0
	for _, scene := range sb.Scenes {
		for _, shot := range scene.Shots {
			v := req.Variants[i]
			p, err := e.Providers.Get(v.Provider)
			if err != nil {
				return nil, invalid(fmt.Sprintf("shots[%d].provider", i),
					fmt.Sprintf("provider %q is not enabled", v.Provider))
			}
			want := max(1, int(math.Ceil(shot.DurationSeconds)))
			out = append(out, nearestDuration(p.Capabilities(), v.Model, want))
			i++
		}
	}
	return out, nil
}

func nearestDuration(caps provider.Capabilities, model string, want int) int {
	m, ok := caps.Model(model)
	if !ok && len(caps.Models) > 0 {
		m = caps.Models[0]
	}
	if len(m.Durations) > 0 {
		best := m.Durations[0]
		for _, d := range m.Durations {
			if abs(d-want) < abs(best-want) || (abs(d-want) == abs(best-want) && d > best) {
				best = d
			}
		}
		return best
	}
	if m.MinDuration > 0 && want < m.MinDuration {
		return m.MinDuration
	}
	if m.MaxDuration > 0 && want > m.MaxDuration {
		return m.MaxDuration
	}
	return want
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// submitShots writes a storyboard job: its shot tasks (each with its own
// duration) and the assembly task, which waits unqueued until the shots
// are done.
func (e *Engine) submitShots(ctx context.Context, sub Submission, durations []int,
	ap assembleParams) (*store.Job, error) {
	req := sub.Request
	for i := range req.Variants {
		r := req
		r.Duration = durations[i]
		if err := e.normalizeVariant(ctx, &req.Variants[i], i, &r, sub.Project.ID); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.Field = "shots" + ve.Field[len("variants"):]
			}
			return nil, err
		}
	}
	var tasks []*store.Task
	var estimate int64
	for i, v := range req.Variants {
		p, _ := e.Providers.Get(v.Provider)
		tp := taskParams{Kind: v.Kind, NegativePrompt: v.NegativePrompt, Duration: durations[i],
			Resolution: req.Resolution, AspectRatio: req.AspectRatio, Format: "mp4",
			Params: v.Params}
		t := &store.Task{ID: store.NewID(), Kind: KindGenerate, Provider: v.Provider,
			Model: v.Model, Prompt: v.Prompt, Status: store.StatusQueued,
			MaxAttempts: e.cfg.MaxAttempts, Priority: i, Params: mustJSON(tp)}
		t.DedupeKey = dedupeKey(t, tp)
		t.EstimatedCostCents = p.Capabilities().Estimate(e.providerRequest(t, tp))
		if v.FirstFrame != nil {
			kf, cost := e.keyframeTask(v.FirstFrame, t, withDuration(req, durations[i]))
			tp.After = kf.ID
			t.Params = mustJSON(tp)
			estimate += cost
			tasks = append(tasks, kf)
		}
		estimate += t.EstimatedCostCents
		tasks = append(tasks, t)
		ap.Shots = append(ap.Shots, t.ID)
	}
	assembly := &store.Task{ID: store.NewID(), Kind: KindAssemble, Provider: MediaQueue,
		Model: "ffmpeg", Status: store.StatusQueued, MaxAttempts: 1, Priority: len(tasks),
		Params: mustJSON(ap), DedupeKey: "assemble:" + store.NewID()}
	if err := e.checkBudget(ctx, sub.Project.OrgID, estimate); err != nil {
		return nil, err
	}
	job := &store.Job{ID: store.NewID(), OrgID: sub.Project.OrgID, ProjectID: sub.Project.ID,
		CreatedBy: sub.Actor.UserID, Kind: "storyboard", Status: store.StatusQueued,
		RequestHash: "storyboard:" + ap.DocumentID, Request: mustJSON(map[string]any{
			"storyboard_id": ap.DocumentID, "version": ap.Version, "options": ap.RenderOptions}),
		EstimatedCostCents: estimate}
	err := e.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateJob(ctx, job); err != nil {
			return err
		}
		for _, t := range append(slices.Clone(tasks), assembly) {
			t.JobID = job.ID
			if err := tx.CreateTask(ctx, t); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(ctx, &store.Event{JobID: job.ID, Level: "info",
			Type: "job.accepted", Message: fmt.Sprintf("storyboard accepted: %d shot(s)",
				len(tasks)), Data: mustJSON(map[string]any{"estimated_cost_cents": estimate,
				"shots": len(tasks)})}); err != nil {
			return err
		}
		return e.enqueueTasks(ctx, tx, tasks)
	})
	if err != nil {
		return nil, err
	}
	e.afterCommit(tasks)
	e.Metrics.JobsAccepted.Inc()
	e.refreshJobLogged(ctx, job.ID)
	return e.Store.JobByID(ctx, job.ID)
}

// withDuration is req with one shot's duration.
func withDuration(req Request, d int) Request {
	req.Duration = d
	return req
}

// maybeAssemble starts a storyboard job's assembly once every shot has
// succeeded, and gives it up when a shot failed or was canceled.
func (e *Engine) maybeAssemble(ctx context.Context, jobID string) error {
	tasks, err := e.Store.JobTasks(ctx, jobID)
	if err != nil {
		return err
	}
	var assembly *store.Task
	ready := true
	var broken *store.Task
	for _, t := range tasks {
		switch {
		case t.Kind == KindAssemble:
			assembly = t
		case t.Status == store.StatusFailed || t.Status == store.StatusCanceled:
			broken = t
		case t.Status != store.StatusSucceeded:
			ready = false
		}
	}
	if assembly == nil || store.Terminal(assembly.Status) {
		return nil
	}
	if broken != nil {
		job, err := e.Store.JobByID(ctx, jobID)
		if err != nil {
			return err
		}
		return e.endTask(ctx, job, assembly, store.StatusCanceled, &provider.Error{
			Code: provider.CodeBadRequest, Message: "a shot " + broken.Status +
				"; regenerate it to assemble the video"})
	}
	if !ready {
		return nil
	}
	_, err = e.Queue.Enqueue(ctx, queue.EnqueueParams{Queue: MediaQueue, TaskID: assembly.ID,
		Kind: KindAssemble, Priority: -10, UniqueKey: "assemble:" + assembly.ID})
	if err != nil && !errors.Is(err, queue.ErrDuplicate) {
		return fmt.Errorf("engine: enqueueing the assembly of job %s: %w", jobID, err)
	}
	return nil
}

// Regenerate renders one shot of a storyboard job again, as a new provider
// job, and re-assembles the video when it is done; the other shots are
// reused as they are.
func (e *Engine) Regenerate(ctx context.Context, jobID, taskID string) error {
	t, err := e.Store.TaskByID(ctx, taskID)
	if err != nil || t.JobID != jobID || t.Kind != KindGenerate {
		return store.ErrNotFound
	}
	if !store.Terminal(t.Status) {
		return ErrStillRunning
	}
	var tp taskParams
	if err := json.Unmarshal(t.Params, &tp); err != nil {
		return err
	}
	tp.Generation++
	tasks, err := e.Store.JobTasks(ctx, jobID)
	if err != nil {
		return err
	}
	err = e.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RestartTask(ctx, t.ID, mustJSON(tp)); err != nil {
			return err
		}
		for _, other := range tasks {
			if other.Kind == KindAssemble {
				if err := tx.RestartTask(ctx, other.ID, other.Params); err != nil {
					return err
				}
			}
		}
		t.Status = store.StatusQueued
		return e.enqueueTasks(ctx, tx, []*store.Task{t})
	})
	if err != nil {
		return err
	}
	e.afterCommit([]*store.Task{t})
	e.event(ctx, jobID, taskID, "info", "task.regenerate",
		fmt.Sprintf("%s: rendering the shot again", t.Provider), map[string]any{
			"generation": tp.Generation})
	return e.refreshJob(ctx, jobID)
}

// ErrStillRunning refuses to regenerate a shot that has not finished.
var ErrStillRunning = errors.New("engine: the task is still running")
