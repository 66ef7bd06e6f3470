package runway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/runway/runwaytest"
)

func newTestAdapter(t *testing.T, f *runwaytest.Server, key string) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: key, BaseURL: f.URL() + "/"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func wantCode(t *testing.T, err error, code provider.Code) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return pe
}

func i2vRequest(prompt string) provider.Request {
	seed := int64(42)
	return provider.Request{TaskID: "task-1", Model: "gen4_turbo",
		Kind: provider.KindImageToVideo, Prompt: prompt, Seed: &seed,
		ImageURL: "https://example.com/keyframe.png", DurationSeconds: 5,
		AspectRatio: provider.Aspect21x9,
		Params: map[string]any{"contentModeration": map[string]any{
			"publicFigureThreshold": "low"}}}
}

// poll reads the job once per tick until it ends and returns the distinct
// states in order with the final status.
func poll(t *testing.T, a *Adapter, f *runwaytest.Server, id string) ([]provider.State,
	provider.Status) {
	t.Helper()
	var states []provider.State
	var last provider.Status
	for range 10 {
		st, err := a.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Progress < last.Progress {
			t.Errorf("progress fell from %v to %v", last.Progress, st.Progress)
		}
		if !st.State.Terminal() && st.PollAfter <= 0 {
			t.Errorf("running status without poll advice: %+v", st)
		}
		if len(states) == 0 || states[len(states)-1] != st.State {
			states = append(states, st.State)
		}
		last = st
		if st.State.Terminal() {
			return states, st
		}
		f.Advance(1)
	}
	t.Fatalf("job %s never ended", id)
	return nil, provider.Status{}
}

func joined(states []provider.State) string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = string(st)
	}
	return strings.Join(s, ",")
}

func TestImageToVideoSucceeds(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	c, err := a.Create(context.Background(), i2vRequest("slow dolly-in"))
	if err != nil {
		t.Fatal(err)
	}
	b := f.LastBody()
	if f.LastPath() != "/v1/image_to_video" || b["ratio"] != "1584:672" || b["duration"] != 5.0 ||
		b["seed"] != 42.0 || b["promptImage"] != "https://example.com/keyframe.png" ||
		b["contentModeration"] == nil {
		t.Errorf("sent %v to %s", b, f.LastPath())
	}
	states, st := poll(t, a, f, c.JobID)
	if got := joined(states); got != "queued,processing,succeeded" {
		t.Errorf("states %s", got)
	}
	if len(st.Outputs) != 1 || st.Outputs[0].Kind != provider.OutputVideo ||
		st.Outputs[0].MIME != "video/mp4" || !strings.Contains(st.Outputs[0].URL, c.JobID) {
		t.Errorf("outputs %+v", st.Outputs)
	}
}

func TestThrottledIsQueued(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	req := provider.Request{Model: "veo3.1", Kind: provider.KindTextToVideo,
		Prompt: "busy harbour at dawn", NegativePrompt: "text", Audio: true,
		Resolution: provider.Resolution1080p, AspectRatio: provider.Aspect9x16}
	c, err := a.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b := f.LastBody()
	if f.LastPath() != "/v1/text_to_video" || b["ratio"] != "1080:1920" || b["duration"] != 8.0 ||
		b["audio"] != true || b["negativePrompt"] != "text" {
		t.Errorf("sent %v to %s", b, f.LastPath())
	}
	st, err := a.Get(context.Background(), c.JobID)
	if err != nil || st.State != provider.StateQueued || st.Err != nil ||
		st.Metadata["throttled"] != true {
		t.Fatalf("throttled task: %+v %v", st, err)
	}
	states, _ := poll(t, a, f, c.JobID)
	if got := joined(states); got != "queued,processing,succeeded" {
		t.Errorf("states %s", got)
	}
}

func TestTextToImage(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	req := provider.Request{Model: "gen4_image", Kind: provider.KindTextToImage,
		Prompt: "a poster", Resolution: provider.Resolution1080p, AspectRatio: "1:1"}
	if got := a.Capabilities().Estimate(req); got != 8 {
		t.Errorf("1080p image costs %d cents, want 8", got)
	}
	c, err := a.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, hasDuration := f.LastBody()["duration"]; hasDuration ||
		f.LastBody()["ratio"] != "1080:1080" {
		t.Errorf("sent %v", f.LastBody())
	}
	_, st := poll(t, a, f, c.JobID)
	if len(st.Outputs) != 1 || st.Outputs[0].Kind != provider.OutputImage ||
		st.Outputs[0].MIME != "image/png" {
		t.Errorf("outputs %+v", st.Outputs)
	}
}

func TestTaskFailures(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	for prompt, code := range map[string]provider.Code{
		"unsafe": provider.CodeBadRequest, "glitch": provider.CodeProviderError} {
		c, err := a.Create(context.Background(), i2vRequest(prompt))
		if err != nil {
			t.Fatal(err)
		}
		_, st := poll(t, a, f, c.JobID)
		if st.State != provider.StateFailed || st.Err == nil || st.Err.Code != code ||
			st.Err.ProviderCode == "" || !strings.Contains(st.Err.Message, "Runway") &&
			!strings.Contains(st.Err.Message, "moderation") {
			t.Errorf("%s: %+v %+v", prompt, st, st.Err)
		}
	}
}

func TestModelRules(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	ctx := context.Background()
	bad := []provider.Request{
		{Model: "gen4_turbo", Kind: provider.KindTextToVideo, Prompt: "x"},
		{Model: "gen4_turbo", Kind: provider.KindImageToVideo, ImageURL: "https://e/x.png",
			DurationSeconds: 11},
		{Model: "veo3", Kind: provider.KindTextToVideo, Prompt: "x", DurationSeconds: 6},
		{Model: "veo3.1", Kind: provider.KindTextToVideo, Prompt: "x", AspectRatio: "1:1"},
		{Model: "gen4.5", Kind: provider.KindTextToVideo, Prompt: "x", AspectRatio: "21:9"},
		{Model: "gen4.5", Kind: provider.KindTextToVideo, Prompt: "x", NegativePrompt: "y"},
		{Model: "gen4.5", Kind: provider.KindTextToVideo, Prompt: strings.Repeat("😀", 600)},
	}
	for _, req := range bad {
		_, err := a.Create(ctx, req)
		wantCode(t, err, provider.CodeBadRequest)
	}
	if f.LastBody() != nil {
		t.Errorf("an invalid request reached Runway: %v", f.LastBody())
	}
	// Durations anywhere in 2..10 are fine for gen4.5.
	ok := provider.Request{Model: "gen4.5", Kind: provider.KindTextToVideo, Prompt: "x",
		DurationSeconds: 7, AspectRatio: "9:16"}
	if _, err := a.Create(ctx, ok); err != nil || f.LastBody()["ratio"] != "720:1280" {
		t.Errorf("gen4.5 7 s: %v %v", err, f.LastBody())
	}
	// The fake's own validation is reported with its reason.
	req := i2vRequest("x")
	req.Params = map[string]any{"motion": 3}
	pe := wantCode(t, getErr(a.Create(ctx, req)), provider.CodeBadRequest)
	if pe.HTTPStatus != http.StatusBadRequest || pe.Message == "" {
		t.Errorf("%+v", pe)
	}
}

func getErr(_ provider.Created, err error) error { return err }

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	ctx := context.Background()
	pe := wantCode(t, getErr(newTestAdapter(t, f, "key_wrong0000000000000000").Create(ctx,
		i2vRequest("x"))), provider.CodeAuthFailed)
	if strings.Contains(pe.Error(), "key_wrong") {
		t.Errorf("credential leaked: %v", pe)
	}
	wantCode(t, getErr(newTestAdapter(t, f, runwaytest.BrokeKey).Create(ctx, i2vRequest("x"))),
		provider.CodeQuotaExhausted)
	a := newTestAdapter(t, f, runwaytest.Key)
	f.ThrottleOnce(7)
	pe = wantCode(t, getErr(a.Create(ctx, i2vRequest("x"))), provider.CodeRateLimited)
	if pe.RetryAfter != 7*time.Second {
		t.Errorf("retry after %s", pe.RetryAfter)
	}
	_, err := a.Get(ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, provider.CodeBadRequest)
	_, err = a.Get(ctx, "../organization")
	wantCode(t, err, provider.CodeBadRequest)
}

func TestVersionHeaderRequired(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/v1/tasks/x", nil)
	req.Header.Set("Authorization", "Bearer "+runwaytest.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("fake accepted a call without X-Runway-Version: %s", resp.Status)
	}
	// The adapter always sends it, so the same call through it reaches the
	// task lookup (404) rather than the header check.
	_, err = newTestAdapter(t, f, runwaytest.Key).Get(context.Background(), "x")
	if pe := wantCode(t, err, provider.CodeBadRequest); pe.HTTPStatus != http.StatusNotFound {
		t.Errorf("%+v", pe)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	f.SetHang(time.Second)
	a, err := New(provider.Config{Credentials: runwaytest.Key, BaseURL: f.URL(),
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Create(context.Background(), i2vRequest("x"))
	wantCode(t, err, provider.CodeTimeout)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	a := newTestAdapter(t, f, runwaytest.Key)
	ctx := context.Background()
	c, err := a.Create(ctx, i2vRequest("x"))
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(1)
	if err := a.Cancel(ctx, c.JobID); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Get(ctx, c.JobID); err != nil || st.State != provider.StateCanceled {
		t.Fatalf("after cancel %+v %v", st, err)
	}
	// A finished task is left alone: DELETE would remove its output.
	done, err := a.Create(ctx, i2vRequest("x"))
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(5)
	if err := a.Cancel(ctx, done.JobID); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Get(ctx, done.JobID); err != nil || st.State != provider.StateSucceeded {
		t.Errorf("finished task after cancel: %+v %v", st, err)
	}
	if f.Cancels() != 1 {
		t.Errorf("%d DELETE calls, want 1", f.Cancels())
	}
	if err := a.Cancel(ctx, "0000-gone"); err != nil {
		t.Errorf("cancelling an unknown task: %v", err)
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	f := runwaytest.NewServer(t, runwaytest.Options{})
	caps := newTestAdapter(t, f, runwaytest.Key).Capabilities()
	if caps.Provider != Name || caps.DefaultConcurrency != 2 || caps.Models[0].ID != "gen4_turbo" {
		t.Errorf("caps %+v", caps)
	}
	for model, cents := range map[string]int64{"gen4_turbo": 50, "gen4.5": 120} {
		req := provider.Request{Model: model, Kind: provider.KindImageToVideo,
			ImageURL: "https://e/x.png", DurationSeconds: 10}
		if got := caps.Estimate(req); got != cents {
			t.Errorf("%s 10 s costs %d, want %d", model, got, cents)
		}
	}
	veo := provider.Request{Model: "veo3", Kind: provider.KindTextToVideo, Prompt: "x"}
	if got := caps.Estimate(veo); got != 320 {
		t.Errorf("veo3 default costs %d, want 320", got)
	}
}
