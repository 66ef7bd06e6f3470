package sim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// maxRunningProgress keeps a running job below 1 so that 1 means done.
const maxRunningProgress = 0.99

// job is one simulated generation. Fields above mu are set at creation and
// never change.
type job struct {
	id                      string
	req                     provider.Request
	dir                     string
	ctx                     context.Context
	cancel                  context.CancelFunc
	done                    chan struct{}
	created                 time.Time
	queueDelay, renderDelay time.Duration
	fail                    provider.Code
	failAt                  float64

	mu         sync.Mutex
	state      provider.State
	procStart  time.Time
	renderFrac float64
	progress   float64
	outputs    []provider.Output
	cover      string
	err        *provider.Error
	finished   time.Time
}

func (j *job) failCode() provider.Code {
	if j.fail == "" {
		return provider.CodeProviderError
	}
	return j.fail
}

func (j *job) startProcessing(now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.state, j.procStart = provider.StateProcessing, now
}

func (j *job) processingSince() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.procStart
}

func (j *job) snapshotState() provider.State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// setRenderProgress records ffmpeg's fraction done; it never goes back.
func (j *job) setRenderProgress(f float64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.renderFrac = max(j.renderFrac, min(f, 1))
}

// progressAt returns the job's progress: the smaller of ffmpeg's fraction and
// the share of the simulated render time elapsed, never decreasing.
func (j *job) progressAt(now time.Time) float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.progressLocked(now)
}

func (j *job) progressLocked(now time.Time) float64 {
	if j.state != provider.StateProcessing {
		return j.progress
	}
	timeFrac := 1.0
	if j.renderDelay > 0 {
		timeFrac = float64(now.Sub(j.procStart)) / float64(j.renderDelay)
	}
	p := min(j.renderFrac, timeFrac, maxRunningProgress)
	if j.failAt > 0 {
		// A job told to fail at some progress never shows more than that,
		// however late the render loop notices it got there.
		p = min(p, j.failAt)
	}
	j.progress = max(j.progress, p)
	return j.progress
}

func (j *job) finish(state provider.State, outs []provider.Output, err *provider.Error,
	cover string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.state, j.outputs, j.err, j.cover, j.finished = state, outs, err, cover, time.Now()
	if state == provider.StateSucceeded {
		j.progress = 1
	}
}

// status is the snapshot Get returns, with the poll advice a vendor would
// give: the time left in the queue, or a quarter of the render time.
func (j *job) status(now time.Time) provider.Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := provider.Status{State: j.state, Progress: j.progressLocked(now), CoverURL: j.cover,
		Outputs: append([]provider.Output(nil), j.outputs...), Err: j.err,
		Metadata: map[string]any{"simulated": true, "model": j.req.Model}}
	if j.req.Seed != nil {
		st.Metadata["seed"] = *j.req.Seed
	}
	switch j.state {
	case provider.StateQueued:
		st.PollAfter = clampPoll(j.created.Add(j.queueDelay).Sub(now))
	case provider.StateProcessing:
		st.PollAfter = clampPoll(j.renderDelay / 4)
	}
	if !j.finished.IsZero() && !j.procStart.IsZero() {
		st.Metadata["render_ms"] = j.finished.Sub(j.procStart).Milliseconds()
	}
	return st
}

func clampPoll(d time.Duration) time.Duration {
	return min(max(d, 100*time.Millisecond), 2*time.Second)
}

// controls are the per-request test switches read from Request.Params.
type controls struct {
	fail          provider.Code
	failAt        float64
	rateLimitOnce bool
	queue, render *time.Duration
}

// parseControls reads the sim_* params; a malformed one is a bad_request
// naming it, as a vendor would reject an invalid field.
func parseControls(p map[string]any) (controls, error) {
	var c controls
	bad := func(name, want string) error {
		e := provider.NewError(provider.CodeBadRequest, fmt.Sprintf("%s must be %s", name, want))
		e.HTTPStatus = http.StatusBadRequest
		return e
	}
	if v, ok := p["sim_fail"]; ok {
		s, _ := v.(string)
		switch code := provider.Code(s); code {
		case provider.CodeProviderError, provider.CodeBadRequest, provider.CodeAuthFailed,
			provider.CodeQuotaExhausted, provider.CodeTimeout:
			c.fail = code
		default:
			return c, bad("sim_fail", "provider_error, bad_request, auth_failed, "+
				"quota_exhausted or timeout")
		}
	}
	if v, ok := p["sim_rate_limit_once"]; ok {
		switch v {
		case true, "true", "1", 1, 1.0:
			c.rateLimitOnce = true
		case false, "false", "0", 0, 0.0:
		default:
			return c, bad("sim_rate_limit_once", "true or false")
		}
	}
	if v, ok := p["sim_fail_at_progress"]; ok {
		f, ok := number(v)
		if !ok || !(f > 0 && f <= 1) {
			return c, bad("sim_fail_at_progress", "a number in (0, 1]")
		}
		c.failAt = f
	}
	for name, dst := range map[string]**time.Duration{"sim_queue_ms": &c.queue,
		"sim_render_ms": &c.render} {
		v, ok := p[name]
		if !ok {
			continue
		}
		f, ok := number(v)
		if !ok || f < 0 || f > float64(maxDelay/time.Millisecond) {
			return c, bad(name, fmt.Sprintf("milliseconds from 0 to %d", maxDelay.Milliseconds()))
		}
		d := time.Duration(f * float64(time.Millisecond))
		*dst = &d
	}
	return c, nil
}

// number accepts the numeric forms a JSON decoder or a Go caller produce.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// syncFail reports a forced failure that a vendor would return from Create
// itself (an HTTP 4xx) rather than from a running job.
func syncFail(c controls) bool {
	if c.failAt > 0 {
		return false
	}
	switch c.fail {
	case provider.CodeBadRequest, provider.CodeAuthFailed, provider.CodeQuotaExhausted:
		return true
	}
	return false
}

// forcedError is the normalized error of a forced failure, with the HTTP
// status the real vendors use for it.
func forcedError(code provider.Code) *provider.Error {
	status := map[provider.Code]int{provider.CodeBadRequest: http.StatusBadRequest,
		provider.CodeAuthFailed:     http.StatusUnauthorized,
		provider.CodeQuotaExhausted: http.StatusPaymentRequired,
		provider.CodeTimeout:        http.StatusGatewayTimeout,
		provider.CodeProviderError:  http.StatusInternalServerError}[code]
	e := provider.NewError(code, "simulated "+string(code))
	e.HTTPStatus, e.ProviderCode = status, "SIM_"+string(code)
	return e
}
