package wan

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/wan/wantest"
)

func newTestAdapter(t *testing.T, f *wantest.Server, key string, timeout time.Duration) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: key, BaseURL: f.URL() + "/api/v1/",
		HTTPClient: &http.Client{Timeout: timeout}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func codeOf(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe
}

func TestText2VideoLifecycle(t *testing.T) {
	t.Parallel()
	f := wantest.NewServer(t, wantest.Options{Start: time.Unix(1_759_150_000, 0)})
	a := newTestAdapter(t, f, wantest.Key, 5*time.Second)
	ctx := context.Background()
	seed := int64(42)
	c, err := a.Create(ctx, provider.Request{TaskID: "t1", Kind: provider.KindTextToVideo,
		Prompt: "a kitten in moonlight", Resolution: "720p", AspectRatio: "9:16",
		DurationSeconds: 10, Seed: &seed, Params: map[string]any{"prompt_extend": false}})
	if err != nil {
		t.Fatal(err)
	}
	body := f.LastBody()
	params, _ := body["parameters"].(map[string]any)
	if body["model"] != modelT2V || params["size"] != "720*1280" || params["duration"] != 10.0 ||
		params["seed"] != 42.0 || params["prompt_extend"] != false || params["audio"] != false {
		t.Fatalf("create body %v", body)
	}
	var states []provider.State
	var last provider.Status
	for range 3 {
		st, err := a.Get(ctx, c.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.State.Terminal() && st.PollAfter != pollInterval {
			t.Errorf("%s advises polling after %s", st.State, st.PollAfter)
		}
		states, last = append(states, st.State), st
		f.Advance(time.Minute)
	}
	want := []provider.State{provider.StateQueued, provider.StateProcessing,
		provider.StateSucceeded}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	out := last.Outputs
	if len(out) != 1 || out[0].Width != 720 || out[0].Height != 1280 ||
		out[0].DurationSeconds != 10 || !strings.Contains(out[0].URL, ".mp4") {
		t.Fatalf("outputs %+v", out)
	}
	if last.Metadata["billed_seconds"] != 10.0 {
		t.Errorf("metadata %v lacks billed seconds", last.Metadata)
	}
	// Past the 24 h retention the task is UNKNOWN, which is a failure.
	f.Advance(25 * time.Hour)
	st, err := a.Get(ctx, c.JobID)
	if err != nil || st.State != provider.StateFailed || st.Err == nil ||
		st.Err.Code != provider.CodeProviderError {
		t.Fatalf("expired task: %+v, %v", st, err)
	}
}

func TestImage2VideoAndModeration(t *testing.T) {
	t.Parallel()
	f := wantest.NewServer(t, wantest.Options{Start: time.Unix(1_759_150_000, 0)})
	a := newTestAdapter(t, f, wantest.Key, 5*time.Second)
	ctx := context.Background()
	c, err := a.Create(ctx, provider.Request{TaskID: "t2", Kind: provider.KindImageToVideo,
		Model: modelI2V, Prompt: "moderate this", ImageURL: "https://img.example.test/a.png",
		Resolution: "1080p", AspectRatio: "21:9", Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	body := f.LastBody()
	in, _ := body["input"].(map[string]any)
	params, _ := body["parameters"].(map[string]any)
	if in["img_url"] != "https://img.example.test/a.png" || params["resolution"] != "1080P" ||
		params["size"] != nil || params["audio"] != true || params["duration"] != 5.0 {
		t.Fatalf("image2video body %v", body)
	}
	f.Advance(time.Minute)
	f.Advance(time.Minute)
	st, err := a.Get(ctx, c.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateFailed || st.Err.Code != provider.CodeBadRequest ||
		st.Err.ProviderCode != "DataInspectionFailed" ||
		!strings.Contains(st.Err.Message, "inappropriate") {
		t.Fatalf("moderated task %+v, err %+v", st, st.Err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	f := wantest.NewServer(t, wantest.Options{Start: time.Unix(1_759_150_000, 0)})
	a := newTestAdapter(t, f, wantest.Key, 5*time.Second)
	ctx := context.Background()
	req := provider.Request{Kind: provider.KindTextToVideo, Prompt: "cancel me"}
	pending, err := a.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Cancel(ctx, pending.JobID); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Get(ctx, pending.JobID); err != nil || st.State != provider.StateCanceled {
		t.Fatalf("canceled task: %+v, %v", st, err)
	}
	running, err := a.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if err := a.Cancel(ctx, running.JobID); err != nil {
		t.Fatalf("cancel of a running task = %v, want nil", err)
	}
	if st, _ := a.Get(ctx, running.JobID); st.State != provider.StateProcessing {
		t.Fatalf("running task after a refused cancel: %s, want it still running", st.State)
	}
	bad := newTestAdapter(t, f, "sk-wrong", 5*time.Second)
	if err := bad.Cancel(ctx, running.JobID); codeOf(t, err).Code != provider.CodeAuthFailed {
		t.Fatalf("cancel with a bad key: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := wantest.NewServer(t, wantest.Options{Start: time.Unix(1_759_150_000, 0)})
	cases := []struct {
		name, prompt, key string
		params            map[string]any
		code              provider.Code
		vendor            string
		retry             time.Duration
	}{
		{"throttled", "throttle", wantest.Key, nil, provider.CodeRateLimited,
			"Throttling.RateQuota", 3 * time.Second},
		{"arrears", "arrears", wantest.Key, nil, provider.CodeQuotaExhausted, "Arrearage", 0},
		{"bad key", "fine", "sk-wrong", nil, provider.CodeAuthFailed, "InvalidApiKey", 0},
		{"server", "boom", wantest.Key, nil, provider.CodeProviderError, "InternalError", 0},
		{"unknown param", "fine", wantest.Key, map[string]any{"bogus": 1},
			provider.CodeBadRequest, "InvalidParameter", 0},
		{"reserved param", "fine", wantest.Key, map[string]any{"size": "1*1"},
			provider.CodeBadRequest, "", 0},
		{"hang", "hang", wantest.Key, nil, provider.CodeTimeout, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAdapter(t, f, tc.key, 200*time.Millisecond)
			_, err := a.Create(context.Background(), provider.Request{
				Kind: provider.KindTextToVideo, Prompt: tc.prompt, Params: tc.params})
			pe := codeOf(t, err)
			if pe.Code != tc.code || pe.ProviderCode != tc.vendor || pe.RetryAfter != tc.retry {
				t.Fatalf("error %+v, want %s %q retry %s", pe, tc.code, tc.vendor, tc.retry)
			}
			if strings.Contains(pe.Error(), tc.key) {
				t.Fatalf("error leaks the key: %v", pe)
			}
		})
	}
}

// The fake refuses a create without the async header, as DashScope does,
// and that refusal maps to auth_failed.
func TestCreateNeedsAsyncHeader(t *testing.T) {
	t.Parallel()
	f := wantest.NewServer(t, wantest.Options{Start: time.Unix(1_759_150_000, 0)})
	body := `{"model":"wan2.5-t2v-preview","input":{"prompt":"x"},"parameters":{}}`
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/api/v1"+createPath,
		strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+wantest.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	e := vendorError(resp.StatusCode, resp.Header, raw)
	if resp.StatusCode != http.StatusForbidden || e.Code != provider.CodeAuthFailed ||
		e.ProviderCode != "AccessDenied" {
		t.Fatalf("sync create: HTTP %d, %+v", resp.StatusCode, e)
	}
}

func TestNewRegionAndDefaults(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == RegionEnv {
				return v
			}
			return ""
		}
	}
	for region, want := range map[string]string{"": IntlBaseURL, "intl": IntlBaseURL,
		"cn": CNBaseURL} {
		a, err := New(provider.Config{Credentials: "sk-x", Getenv: env(region)})
		if err != nil || a.base != want {
			t.Errorf("region %q: base %v, %v; want %s", region, a, err, want)
		}
	}
	if _, err := New(provider.Config{Credentials: "sk-x", Getenv: env("mars")}); !errors.Is(
		err, ErrInvalidConfig) {
		t.Errorf("unknown region: %v", err)
	}
	a, err := New(provider.Config{Credentials: "sk-x", BaseURL: "http://127.0.0.1:9/api/v1",
		Getenv: env("cn")})
	if err != nil || a.base != "http://127.0.0.1:9/api/v1" {
		t.Errorf("BaseURL must win over the region: %v %v", a, err)
	}
	if p, err := Factory()(provider.Config{}); err == nil || p != nil {
		t.Error("Factory accepted an empty key")
	}
	caps := a.Capabilities()
	if est := caps.Estimate(provider.Request{Kind: provider.KindTextToVideo, Prompt: "x",
		Resolution: "1080p", DurationSeconds: 10}); est != 150 {
		t.Errorf("1080p 10 s estimated at %d cents, want 150", est)
	}
	if err := caps.Validate(provider.Request{Kind: provider.KindTextToVideo, Prompt: "x",
		AspectRatio: "21:9"}); err == nil {
		t.Error("text-to-video accepted 21:9, which has no size")
	}
}
