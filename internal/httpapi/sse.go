package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/reelforge/reelforge/internal/store"
)

// sseHeartbeat keeps proxies from closing an idle stream.
const sseHeartbeat = 15 * time.Second

// streamEvents sends a job's events as Server-Sent Events: the ones after
// the cursor first, then each new one as it is written, until the job is
// final and every event was sent, or the client leaves. The event table is
// the source, so events written by workers in other processes arrive too;
// the in-process bus only makes local ones arrive at once.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, j *store.Job,
	after int64) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	var wake <-chan struct{}
	if s.deps.Engine != nil {
		ch, unsubscribe := s.deps.Engine.Bus.Subscribe(j.ID)
		defer unsubscribe()
		wake = ch
	}
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	ctx := r.Context()
	for {
		events, err := s.store.JobEvents(ctx, j.ID, after, 200)
		if err != nil {
			return nil // the headers are sent; the client reconnects with its cursor
		}
		for _, ev := range events {
			data, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type,
				data); err != nil {
				return nil
			}
			after = ev.ID
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		if len(events) == 200 {
			continue
		}
		job, err := s.store.JobByID(ctx, j.ID)
		if err == nil && store.Terminal(job.Status) && len(events) == 0 {
			fmt.Fprintf(w, "event: end\ndata: {\"status\":%q}\n\n", job.Status)
			_ = rc.Flush()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		}
	}
}
