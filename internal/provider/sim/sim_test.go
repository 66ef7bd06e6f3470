package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

func clip(params map[string]any) provider.Request {
	return provider.Request{Kind: provider.KindTextToVideo, Prompt: "a red kite",
		DurationSeconds: 1, Resolution: "720p", AspectRatio: "16:9", Params: params}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) {
		c.QueueDelay, c.RenderDelay = 300*time.Millisecond, 800*time.Millisecond
	})
	id := mustCreate(t, s, clip(nil))
	seen := waitDone(t, s, id)
	var order []provider.State
	last := -1.0
	for _, st := range seen {
		if len(order) == 0 || order[len(order)-1] != st.State {
			order = append(order, st.State)
		}
		if st.Progress < last {
			t.Errorf("progress went back from %.3f to %.3f", last, st.Progress)
		}
		last = st.Progress
		if !st.State.Terminal() && (st.PollAfter <= 0 || st.Progress >= 1) {
			t.Errorf("running status %+v", st)
		}
	}
	want := "queued,processing,succeeded"
	if got := joinStates(order); got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
	var mid int
	for _, st := range seen {
		if st.State == provider.StateProcessing && st.Progress > 0 && st.Progress < 1 {
			mid++
		}
	}
	if mid < 2 || last != 1 {
		t.Errorf("%d intermediate progress reports, final %.2f", mid, last)
	}
}

func joinStates(ss []provider.State) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}

func TestForcedFailures(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	ctx := context.Background()
	for _, code := range []provider.Code{provider.CodeBadRequest, provider.CodeAuthFailed,
		provider.CodeQuotaExhausted} {
		_, err := s.Create(ctx, clip(map[string]any{"sim_fail": string(code)}))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Code != code || pe.HTTPStatus == 0 || pe.Retryable() {
			t.Errorf("sim_fail=%s: Create error %v", code, err)
		}
	}
	for _, tc := range []struct {
		params map[string]any
		code   provider.Code
	}{
		{map[string]any{"sim_fail": "provider_error"}, provider.CodeProviderError},
		{map[string]any{"sim_fail": "timeout"}, provider.CodeTimeout},
		{map[string]any{"sim_fail_at_progress": 0.5, "sim_render_ms": 600},
			provider.CodeProviderError},
		{map[string]any{"sim_fail": "bad_request", "sim_fail_at_progress": "0.3",
			"sim_render_ms": 600}, provider.CodeBadRequest},
	} {
		seen := waitDone(t, s, mustCreate(t, s, clip(tc.params)))
		st := seen[len(seen)-1]
		if st.State != provider.StateFailed || st.Err == nil || st.Err.Code != tc.code {
			t.Errorf("%v: final %+v err %v", tc.params, st, st.Err)
			continue
		}
		if at, ok := tc.params["sim_fail_at_progress"]; ok && st.Progress >= 0.99 {
			t.Errorf("failed at progress %.2f, want about %v", st.Progress, at)
		}
	}
	_, err := s.Create(ctx, clip(map[string]any{"sim_fail": "meteor"}))
	if pe := provider.AsError(err); pe.Code != provider.CodeBadRequest ||
		!strings.Contains(pe.Message, "sim_fail must be") {
		t.Errorf("bad sim_fail: %v", err)
	}
}

func TestRandomFailuresAreSeeded(t *testing.T) {
	t.Parallel()
	outcome := func() string {
		s := newTestSim(t, func(c *Config) { c.RateLimitRate, c.Seed = 0.5, 42 })
		var b strings.Builder
		for range 16 {
			_, err := s.Create(context.Background(), clip(map[string]any{"sim_fail": "auth_failed"}))
			b.WriteString(string(provider.AsError(err).Code)[:1])
		}
		return b.String()
	}
	a, b := outcome(), outcome()
	if a != b || !strings.Contains(a, "r") || !strings.Contains(a, "a") {
		t.Errorf("runs differ or are not mixed: %s vs %s", a, b)
	}
}

func TestRateLimitOnceThenSuccess(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	req := clip(map[string]any{"sim_rate_limit_once": true})
	req.TaskID = "task-rl"
	_, err := s.Create(context.Background(), req)
	pe := provider.AsError(err)
	if pe.Code != provider.CodeRateLimited || pe.RetryAfter != time.Second || !pe.Retryable() {
		t.Fatalf("first Create: %v", err)
	}
	seen := waitDone(t, s, mustCreate(t, s, req))
	if st := seen[len(seen)-1]; st.State != provider.StateSucceeded {
		t.Fatalf("after retry: %+v", st)
	}
	if n := s.Creates("task-rl"); n != 2 {
		t.Errorf("Creates = %d, want 2", n)
	}
}

func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) { c.RenderDelay = 200 * time.Millisecond })
	req := clip(nil)
	req.TaskID = "task-1"
	a, b := mustCreate(t, s, req), mustCreate(t, s, req)
	other := clip(nil)
	other.TaskID = "task-2"
	c := mustCreate(t, s, other)
	if a != b || a == c {
		t.Errorf("job ids %s %s %s", a, b, c)
	}
	if s.Creates("task-1") != 2 || s.Creates("task-2") != 1 || s.TotalCreates() != 3 {
		t.Errorf("counts %d %d %d", s.Creates("task-1"), s.Creates("task-2"),
			s.TotalCreates())
	}
	waitDone(t, s, a)
	waitDone(t, s, c)
	entries, _ := os.ReadDir(s.cfg.OutputDir)
	if len(entries) != 2 {
		t.Errorf("%d job directories rendered, want 2", len(entries))
	}
}

// ffmpegRunning reports whether an ffmpeg process writes into dir.
func ffmpegRunning(t *testing.T, dir string) bool {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "ffmpeg") &&
			strings.Contains(string(b), dir) {
			return true
		}
	}
	return false
}

func TestCancelMidRender(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	req := clip(nil)
	req.DurationSeconds, req.Resolution = 20, "1080p"
	id := mustCreate(t, s, req)
	dir := filepath.Join(s.cfg.OutputDir, id)
	deadline := time.Now().Add(20 * time.Second)
	for !ffmpegRunning(t, dir) {
		if time.Now().After(deadline) {
			t.Fatal("ffmpeg never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	st, err := s.Get(context.Background(), id)
	if err != nil || st.State != provider.StateCanceled {
		t.Fatalf("after Cancel: %+v %v", st, err)
	}
	if ffmpegRunning(t, dir) {
		t.Error("ffmpeg still running after Cancel")
	}
	if err := s.Cancel(context.Background(), id); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
}

func TestUnknownJob(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	_, err := s.Get(context.Background(), "sim_feedface")
	pe := provider.AsError(err)
	if pe.Code != provider.CodeBadRequest || !strings.Contains(pe.Message, "unknown job") {
		t.Errorf("Get unknown: %v", err)
	}
	if err := s.Cancel(context.Background(), "nope"); provider.AsError(err).Code !=
		provider.CodeBadRequest {
		t.Errorf("Cancel unknown: %v", err)
	}
}

func TestValidationRejected(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	req := clip(nil)
	req.DurationSeconds = 21
	_, err := s.Create(context.Background(), req)
	pe := provider.AsError(err)
	if pe.Code != provider.CodeBadRequest || !strings.Contains(pe.Message,
		"provider sim model sim-1 does not support duration 21; allowed 1 to 20") {
		t.Errorf("Create: %v", err)
	}
	if got := s.Capabilities().Estimate(clip(nil)); got != 1 {
		t.Errorf("1 s at 720p costs %d¢, want 1", got)
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SIM_QUEUE_DELAY": "0s", "SIM_RENDER_DELAY": "250ms",
		"SIM_FAIL_RATE": "0.25", "SIM_MAX_PARALLEL": "3", "SIM_SEED": "7"}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.QueueDelay != 0 || c.RenderDelay != 250*time.Millisecond || c.FailRate != 0.25 ||
		c.MaxParallelRenders != 3 || c.Seed != 7 || c.BaseURL != DefaultBaseURL {
		t.Errorf("config %+v", c)
	}
	d, err := LoadConfig(nil)
	if err != nil || d.QueueDelay != time.Second || d.RenderDelay != 2*time.Second ||
		d.MaxParallelRenders != 2 {
		t.Errorf("defaults %+v %v", d, err)
	}
	for k, v := range map[string]string{"SIM_FAIL_RATE": "1.5", "SIM_QUEUE_DELAY": "soon",
		"SIM_MAX_PARALLEL": "0", "SIM_BASE_URL": "ftp://x", "SIM_PRESET": "warp"} {
		_, err := LoadConfig(func(key string) string {
			if key == k {
				return v
			}
			return ""
		})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
