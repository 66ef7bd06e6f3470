package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/store"
)

// ffmpegProgress turns FFmpeg's -progress reports into the task's progress
// (mapped into from..to) and an event at each quarter, at most one write a
// second, so a long transcode or assembly shows live in the job's stream.
func (e *Engine) ffmpegProgress(ctx context.Context, job *store.Job, t *store.Task,
	what string, from, to float64) func(media.Progress) {
	var mu sync.Mutex
	var last time.Time
	quarter := 0
	return func(p media.Progress) {
		f := p.Fraction()
		if f <= 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if q := int(f * 4); q > quarter && q < 4 {
			quarter = q
			e.event(ctx, job.ID, t.ID, "info", "task.ffmpeg",
				fmt.Sprintf("%s: %d%%", what, q*25), map[string]any{"progress": f,
					"speed": p.Speed})
		}
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		t.Progress = max(t.Progress, from+(to-from)*f)
		_ = e.Store.UpdateTask(ctx, t)
		e.Bus.Publish(job.ID)
	}
}
