package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/store"
)

// checkTolerance is how far a deliverable's duration may stray from the
// requested one before the shot check reports it. Vendors round clips to
// whole frames and some pad a few of them, so a tenth of a second is too
// strict; a quarter second still catches a clip cut short.
const checkTolerance = 250 * time.Millisecond

// checkReport is the shot check as stored in assets.check_json and shown
// to API clients under the asset's "check".
type checkReport struct {
	OK        bool         `json:"ok"`
	CheckedAt time.Time    `json:"checked_at"`
	Expected  checkExpect  `json:"expected"`
	Issues    []checkIssue `json:"issues"`
}

type checkExpect struct {
	DurationMS int64 `json:"duration_ms"`
	Width      int   `json:"width"`
	Height     int   `json:"height"`
}

type checkIssue struct {
	Kind    string `json:"kind"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Detail  string `json:"detail"`
}

// checkShot runs media.Check on a finished video deliverable, stores the
// report on its asset and emits "task.checked" with the issues. Issues never
// fail the task: whoever asked for the shot (a person, or the script
// pipeline) decides whether to regenerate it. A check that cannot run is
// logged and skipped for the same reason.
func (e *Engine) checkShot(ctx context.Context, job *store.Job, t *store.Task, assetID,
	path string, exp media.Expect) {
	rep, err := e.Media.Check(ctx, path, exp)
	if err != nil {
		e.Logger.WarnContext(ctx, "engine: shot check did not run", slog.String("job_id", job.ID),
			slog.String("task_id", t.ID), slog.String("error", err.Error()))
		return
	}
	out := checkReport{OK: rep.OK, CheckedAt: e.now().UTC(), Issues: []checkIssue{},
		Expected: checkExpect{DurationMS: exp.Duration.Milliseconds(), Width: exp.Width,
			Height: exp.Height}}
	for _, is := range rep.Issues {
		out.Issues = append(out.Issues, checkIssue{Kind: is.Kind,
			StartMS: is.Start.Milliseconds(), EndMS: is.End.Milliseconds(), Detail: is.Detail})
	}
	if err := e.Store.SetAssetCheck(ctx, assetID, mustJSON(out)); err != nil {
		e.Logger.ErrorContext(ctx, "engine: storing a shot check", slog.String("job_id", job.ID),
			slog.String("task_id", t.ID), slog.String("error", err.Error()))
		return
	}
	level, msg := "info", fmt.Sprintf("%s: shot check passed", t.Provider)
	if !rep.OK {
		level = "warn"
		msg = fmt.Sprintf("%s: shot check found %d issue(s)", t.Provider, len(rep.Issues))
	}
	e.event(ctx, job.ID, t.ID, level, "task.checked", msg,
		map[string]any{"asset_id": assetID, "ok": rep.OK, "issues": out.Issues})
}
