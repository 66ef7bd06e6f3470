package replicate

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/replicate/replicatetest"
)

func newTestAdapter(t *testing.T, f *replicatetest.Server, token string,
	env map[string]string) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: token, BaseURL: f.URL() + "/",
		Getenv: func(k string) string { return env[k] }})
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

func klingRequest() provider.Request {
	return provider.Request{TaskID: "task-1", Model: "kwaivgi/kling-v2.1",
		Kind: provider.KindImageToVideo, Prompt: "a red kite over dunes",
		ImageURL: "https://example.com/f.png", DurationSeconds: 10,
		Resolution: provider.Resolution1080p, AspectRatio: provider.Aspect16x9}
}

func TestLifecycleToOutputs(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token, nil)
	ctx := context.Background()
	req := klingRequest()
	req.CallbackURL = "https://studio.example.com/api/v1/webhooks/replicate"
	if err := a.Capabilities().Validate(req); err != nil {
		t.Fatal(err)
	}
	c, err := a.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if f.LastPath() != "/v1/models/kwaivgi/kling-v2.1/predictions" {
		t.Errorf("created through %s", f.LastPath())
	}
	in := f.LastBody()["input"].(map[string]any)
	if in["mode"] != "pro" || in["duration"] != 10.0 || in["start_image"] != req.ImageURL {
		t.Errorf("input %v", in)
	}
	if f.LastBody()["webhook"] != req.CallbackURL ||
		strings.Join(f.WebhookEvents(c.JobID), ",") != "completed" {
		t.Errorf("webhook fields %v", f.LastBody())
	}
	var states []provider.State
	var last provider.Status
	for range 5 {
		st, err := a.Get(ctx, c.JobID)
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
		f.Advance(1)
	}
	got := ""
	for _, s := range states {
		got += string(s) + ","
	}
	if got != "starting,processing,succeeded," {
		t.Errorf("states %s", got)
	}
	if len(last.Outputs) != 1 || last.Progress != 1 || last.Err != nil {
		t.Fatalf("final %+v", last)
	}
	out := last.Outputs[0]
	if !strings.HasPrefix(out.URL, f.URL()+"/delivery/") ||
		out.Kind != provider.OutputVideo || out.MIME != "video/mp4" {
		t.Errorf("output %+v", out)
	}
	if last.Metadata["predict_time"] != 126.8 {
		t.Errorf("metadata %v", last.Metadata)
	}
	if f.PreferSeen() {
		t.Error("adapter sent a Prefer header; it must poll")
	}
}

func TestProgressFromLogs(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token, nil)
	ctx := context.Background()
	c, err := a.Create(ctx, klingRequest())
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(2)
	st, err := a.Get(ctx, c.JobID)
	if err != nil || st.State != provider.StateProcessing || st.Progress != 0.66 {
		t.Fatalf("status %+v %v, want processing at 0.66", st, err)
	}
}

func TestPinnedVersions(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token,
		map[string]string{EnvModels: "acme/thing:" + replicatetest.Version})
	if _, ok := a.Capabilities().Model("acme/thing:" + replicatetest.Version); !ok {
		t.Fatal("model from PROVIDER_REPLICATE_MODELS not advertised")
	}
	for _, model := range []string{"acme/thing:" + replicatetest.Version, replicatetest.Version} {
		req := provider.Request{Model: model, Kind: provider.KindTextToVideo,
			Prompt: "tide pools", DurationSeconds: 6, AspectRatio: "9:16"}
		if _, err := a.Create(context.Background(), req); err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if f.LastPath() != "/v1/predictions" || f.LastBody()["version"] != replicatetest.Version {
			t.Errorf("%s: created through %s with %v", model, f.LastPath(), f.LastBody())
		}
	}
	_, err := a.Create(context.Background(), provider.Request{Model: "Not A Model",
		Kind: provider.KindTextToVideo, Prompt: "x"})
	wantCode(t, err, provider.CodeBadRequest)
}

func TestFailuresClassified(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token, nil)
	ctx := context.Background()
	cases := []struct {
		prompt string
		state  provider.State
		code   provider.Code
		vendor string
	}{
		{"nsfw scene", provider.StateFailed, provider.CodeBadRequest, "E005"},
		{"crash scene", provider.StateFailed, provider.CodeProviderError, ""},
		{"abort scene", provider.StateCanceled, provider.CodeTimeout, "aborted"},
		{"empty scene", provider.StateFailed, provider.CodeProviderError, "no_output"},
	}
	ids := make([]string, len(cases))
	for i, tc := range cases {
		req := klingRequest()
		req.Prompt = tc.prompt
		c, err := a.Create(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.JobID
	}
	f.Advance(replicatetest.TicksDone)
	for i, tc := range cases {
		st, err := a.Get(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if st.State != tc.state || st.Err == nil || st.Err.Code != tc.code ||
			st.Err.ProviderCode != tc.vendor || st.Err.Message == "" {
			t.Errorf("%s: %+v (err %+v)", tc.prompt, st, st.Err)
		}
	}
}

func TestDataRemoved(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token, nil)
	c, err := a.Create(context.Background(), klingRequest())
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(replicatetest.TicksRetention)
	st, err := a.Get(context.Background(), c.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateFailed || st.Err == nil || st.Err.ProviderCode != "data_removed" ||
		!strings.Contains(st.Err.Message, "retention") || len(st.Outputs) != 0 {
		t.Fatalf("status %+v err %+v", st, st.Err)
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	ctx := context.Background()

	bad := newTestAdapter(t, f, "r8_wrongTokenWrongToken000000", nil)
	pe := wantCode(t, getErr(bad.Create(ctx, klingRequest())), provider.CodeAuthFailed)
	if strings.Contains(pe.Error(), "r8_wrong") || pe.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("auth error %+v", pe)
	}

	broke := newTestAdapter(t, f, replicatetest.BrokeToken, nil)
	wantCode(t, getErr(broke.Create(ctx, klingRequest())), provider.CodeQuotaExhausted)

	a := newTestAdapter(t, f, replicatetest.Token, nil)
	f.ThrottleOnce(30)
	pe = wantCode(t, getErr(a.Create(ctx, klingRequest())), provider.CodeRateLimited)
	if pe.RetryAfter != 30*time.Second || !strings.Contains(pe.Message, "throttled") {
		t.Errorf("rate limit %+v", pe)
	}

	req := klingRequest()
	req.Params = map[string]any{"cfg_scale": 0.5} // kling-v2.1 has no such input
	pe = wantCode(t, getErr(a.Create(ctx, req)), provider.CodeBadRequest)
	if !strings.Contains(pe.Message, "cfg_scale") || pe.HTTPStatus != 422 {
		t.Errorf("validation %+v", pe)
	}
	req.Params = map[string]any{"end_image": "https://example.com/last.png"}
	if _, err := a.Create(ctx, req); err != nil {
		t.Errorf("params passthrough refused: %v", err)
	}

	_, err := a.Get(ctx, "doesnotexist")
	wantCode(t, err, provider.CodeBadRequest)
}

func getErr(_ provider.Created, err error) error { return err }

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	f.SetHang(time.Second)
	a, err := New(provider.Config{Credentials: replicatetest.Token, BaseURL: f.URL(),
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = a.Get(context.Background(), "pred0000xk2m9")
	wantCode(t, err, provider.CodeTimeout)
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("timeout took %s", time.Since(start))
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	a := newTestAdapter(t, f, replicatetest.Token, nil)
	ctx := context.Background()
	c, err := a.Create(ctx, klingRequest())
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(1)
	if err := a.Cancel(ctx, c.JobID); err != nil {
		t.Fatal(err)
	}
	f.Advance(replicatetest.TicksDone)
	st, err := a.Get(ctx, c.JobID)
	if err != nil || st.State != provider.StateCanceled {
		t.Fatalf("after cancel: %+v %v", st, err)
	}
	done, err := a.Create(ctx, klingRequest())
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(replicatetest.TicksDone)
	if err := a.Cancel(ctx, done.JobID); err != nil {
		t.Errorf("cancelling a finished prediction: %v", err)
	}
	if st, _ := a.Get(ctx, done.JobID); st.State != provider.StateSucceeded {
		t.Errorf("finished prediction changed by cancel: %+v", st)
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{})
	caps := newTestAdapter(t, f, replicatetest.Token, nil).Capabilities()
	if caps.Provider != Name || caps.DefaultRatePerMinute != 600 || caps.DefaultConcurrency < 1 {
		t.Errorf("caps %+v", caps)
	}
	req := klingRequest()
	if got := caps.Estimate(req); got != 90 {
		t.Errorf("kling 1080p 10 s costs %d cents, want 90", got)
	}
	req.DurationSeconds = 7
	if err := caps.Validate(req); err == nil || !strings.Contains(err.Error(), "5, 10") {
		t.Errorf("7 s kling: %v", err)
	}
	veo := provider.Request{Model: "google/veo-3.1", Kind: provider.KindTextToVideo,
		Prompt: "x", AspectRatio: provider.Aspect1x1}
	if err := caps.Validate(veo); err == nil {
		t.Error("veo 1:1 accepted")
	}
	if caps.WithDefaults(veo).DurationSeconds != 8 {
		t.Error("veo-3.1 default duration is not 8")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{EnvModels: "acme/thing, ../../etc"}
	if _, err := New(provider.Config{Getenv: func(k string) string { return env[k] }}); err == nil {
		t.Error("bad PROVIDER_REPLICATE_MODELS accepted")
	}
	env = map[string]string{EnvWebhookSecret: "whsec_!!notbase64"}
	if _, err := New(provider.Config{Getenv: func(k string) string { return env[k] }}); err == nil {
		t.Error("bad webhook secret accepted")
	}
	if _, err := New(provider.Config{BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp base URL accepted")
	}
}
