package kling

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// Callback limits: a push whose updated_at is older than webhookWindow, or
// further than webhookSkew in the future, is refused as stale; identical
// pushes within the window are refused as replays. A refused push costs
// nothing: the engine keeps polling on its schedule.
const (
	webhookWindow  = time.Hour
	webhookSkew    = 5 * time.Minute
	replayCapacity = 4096
)

// Webhook accepts one Kling callback and returns the job id it is about.
//
// Kling signs nothing, so this method cannot prove the push came from
// Kling: the engine must check the unguessable token it put in
// Request.CallbackURL, and must re-fetch the task with Get before trusting
// any state. Webhook only checks that the push is well formed, fresh and
// not a replay, and reads the endpoint kind from the kling_kind parameter
// Create added to the callback URL. Refusals wrap
// provider.ErrWebhookRejected.
func (a *Adapter) Webhook(r *http.Request, body []byte) (string, error) {
	reject := func(why string) (string, error) {
		return "", fmt.Errorf("%w: kling: %s", provider.ErrWebhookRejected, why)
	}
	if r.Method != http.MethodPost {
		return reject("callback is not a POST")
	}
	kind := r.URL.Query().Get(kindParam)
	if kind != kindT2V && kind != kindI2V {
		return reject("callback URL lacks a valid " + kindParam)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return reject("callback body is not a Kling envelope")
	}
	t, err := decodeTask(env.Data)
	if err != nil {
		return reject("callback body has no task")
	}
	switch t.TaskStatus {
	case statusSubmitted, statusProcessing, statusSucceed, statusFailed:
	default:
		return reject("callback has an unknown task_status")
	}
	now := a.now()
	if t.UpdatedAt > 0 {
		at := time.UnixMilli(int64(t.UpdatedAt))
		if at.Before(now.Add(-webhookWindow)) || at.After(now.Add(webhookSkew)) {
			return reject("callback is stale")
		}
	}
	key := kind + ":" + string(t.TaskID) + ":" + t.TaskStatus + ":" +
		strconv.FormatInt(int64(t.UpdatedAt), 10)
	if !a.seen.first(key, now) {
		return reject("callback was already received")
	}
	return kind + ":" + string(t.TaskID), nil
}

// replayGuard remembers recent callback keys for a window. It holds at most
// capacity keys, forgetting the oldest first. It is safe for concurrent use.
type replayGuard struct {
	window   time.Duration
	capacity int

	mu   sync.Mutex
	seen map[string]time.Time
}

func newReplayGuard(window time.Duration, capacity int) *replayGuard {
	return &replayGuard{window: window, capacity: capacity, seen: map[string]time.Time{}}
}

// first records key and reports whether it was not seen within the window.
func (g *replayGuard) first(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if at, ok := g.seen[key]; ok && now.Sub(at) < g.window {
		return false
	}
	if len(g.seen) >= g.capacity {
		oldestKey, oldest := "", now
		for k, at := range g.seen {
			if now.Sub(at) >= g.window {
				delete(g.seen, k)
				continue
			}
			if at.Before(oldest) || oldestKey == "" {
				oldestKey, oldest = k, at
			}
		}
		if len(g.seen) >= g.capacity {
			delete(g.seen, oldestKey)
		}
	}
	g.seen[key] = now
	return true
}
