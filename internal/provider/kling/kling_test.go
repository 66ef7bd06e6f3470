package kling

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/kling/klingtest"
)

// newTestAdapter returns an adapter on f whose clock follows f's unless
// skew shifts it.
func newTestAdapter(t *testing.T, f *klingtest.Server, secret string, timeout time.Duration,
	skew *time.Duration) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: klingtest.Access + ":" + secret,
		BaseURL: f.URL() + "/", HTTPClient: &http.Client{Timeout: timeout}})
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time {
		now := f.Now()
		if skew != nil {
			now = now.Add(*skew)
		}
		return now
	}
	return a
}

func textReq(prompt string) provider.Request {
	return provider.Request{TaskID: "task-" + strings.ReplaceAll(prompt, " ", "-"),
		Kind: provider.KindTextToVideo, Prompt: prompt, Resolution: "1080p",
		AspectRatio: "9:16", DurationSeconds: 10,
		CallbackURL: "https://studio.example.test/api/v1/webhooks/kling?token=abc123"}
}

func codeOf(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe
}

func TestText2VideoLifecycleAndCallback(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	a := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, nil)
	ctx := context.Background()
	req := textReq("a lighthouse at dusk")
	req.Params = map[string]any{"cfg_scale": 0.3}
	c, err := a.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.JobID, "text2video:") {
		t.Fatalf("job id %q does not name its endpoint", c.JobID)
	}
	b := f.LastBody()
	want := map[string]any{"model_name": "kling-v1-6", "duration": "10", "mode": "pro",
		"aspect_ratio": "9:16", "external_task_id": req.TaskID, "cfg_scale": 0.3}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("body[%s] = %#v, want %#v", k, b[k], v)
		}
	}
	if cb, _ := b["callback_url"].(string); !strings.Contains(cb, "token=abc123") ||
		!strings.Contains(cb, "kling_kind=text2video") {
		t.Errorf("callback_url %q lost the token or lacks the kind", cb)
	}
	var states []provider.State
	var last provider.Status
	for range 3 {
		st, err := a.Get(ctx, c.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.State.Terminal() && st.PollAfter != pollInterval {
			t.Errorf("state %s advises a poll after %s", st.State, st.PollAfter)
		}
		states, last = append(states, st.State), st
		f.Advance(time.Minute)
	}
	if got := []provider.State{provider.StateQueued, provider.StateProcessing,
		provider.StateSucceeded}; !slices.Equal(states, got) {
		t.Fatalf("states %v, want %v", states, got)
	}
	if len(last.Outputs) != 1 || last.Outputs[0].DurationSeconds != 5.1 ||
		last.Outputs[0].MIME != "video/mp4" || !strings.HasSuffix(last.Outputs[0].URL, ".mp4") {
		t.Fatalf("outputs %+v", last.Outputs)
	}
	if last.Metadata["units_charged"] != "3.5" {
		t.Errorf("metadata %v lacks the units charged", last.Metadata)
	}

	// The push Kling made when the task finished names the same job.
	cbs := f.Callbacks()
	if len(cbs) != 1 {
		t.Fatalf("%d callbacks, want 1", len(cbs))
	}
	push := func(target string, body []byte) (string, error) {
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		return a.Webhook(r, body)
	}
	id, err := push(cbs[0].URL, cbs[0].Body)
	if err != nil || id != c.JobID {
		t.Fatalf("Webhook = %q, %v; want %q", id, err, c.JobID)
	}
	if _, err := push(cbs[0].URL, cbs[0].Body); !errors.Is(err, provider.ErrWebhookRejected) {
		t.Fatalf("replayed callback: %v, want rejection", err)
	}
	forged := map[string]struct{ url, body string }{
		"no kind": {"https://studio.example.test/cb?token=abc123", string(cbs[0].Body)},
		"garbage": {cbs[0].URL, "<html>"},
		"no task": {cbs[0].URL, `{"code":0,"data":{"task_status":"succeed"}}`},
		"stale": {cbs[0].URL, `{"code":0,"data":{"task_id":"1","task_status":"succeed",` +
			`"updated_at":1000}}`},
		"bad status": {cbs[0].URL, `{"code":0,"data":{"task_id":"1","task_status":"done"}}`},
	}
	for name, tc := range forged {
		if _, err := push(tc.url, []byte(tc.body)); !errors.Is(err,
			provider.ErrWebhookRejected) {
			t.Errorf("%s callback: %v, want rejection", name, err)
		}
	}
}

func TestImage2VideoAndFind(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	a := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, nil)
	ctx := context.Background()
	req := provider.Request{TaskID: "task-i2v-1", Kind: provider.KindImageToVideo,
		Model: "kling-v2-1", ImageURL: "data:image/png;base64,iVBORw0KGgo=",
		Resolution: "720p"}
	c, err := a.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b := f.LastBody()
	if b["image"] != "iVBORw0KGgo=" || b["mode"] != "std" || b["aspect_ratio"] != nil {
		t.Fatalf("image2video body %v: want bare base64, std mode, no aspect_ratio", b)
	}
	// The worker died before storing c.JobID: Find recovers it.
	id, found, err := a.Find(ctx, req.TaskID)
	if err != nil || !found || id != c.JobID {
		t.Fatalf("Find = %q, %v, %v; want %q", id, found, err, c.JobID)
	}
	if _, found, err := a.Find(ctx, "task-never-created"); err != nil || found {
		t.Fatalf("Find of an unknown task = %v, %v; want not found", found, err)
	}
	if err := a.Cancel(ctx, c.JobID); err != nil {
		t.Fatalf("Cancel = %v, want nil (Kling cannot cancel)", err)
	}
	if _, err := a.Get(ctx, "nonsense"); codeOf(t, err).Code != provider.CodeBadRequest {
		t.Fatalf("Get of a malformed id: %v", err)
	}
}

func TestFailedTaskReason(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	a := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, nil)
	c, err := a.Create(context.Background(), textReq("please fail"))
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	f.Advance(time.Minute)
	st, err := a.Get(context.Background(), c.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateFailed || st.Err == nil ||
		st.Err.Code != provider.CodeBadRequest || !strings.Contains(st.Err.Message, "risk") {
		t.Fatalf("failed task status %+v err %+v", st, st.Err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	cases := []struct {
		name, prompt, secret string
		params               map[string]any
		code                 provider.Code
		vendor               string
		retry                time.Duration
	}{
		{"concurrency", "ratelimit", klingtest.Secret, nil, provider.CodeRateLimited, "1303",
			7 * time.Second},
		{"quota as 429", "quota", klingtest.Secret, nil, provider.CodeQuotaExhausted, "1102", 0},
		{"error under 200", "overload", klingtest.Secret, nil, provider.CodeProviderError, "5001", 0},
		{"bad secret", "fine", "wrong-secret", nil, provider.CodeAuthFailed, "1002", 0},
		{"unknown field", "fine", klingtest.Secret, map[string]any{"bogus": 1},
			provider.CodeBadRequest, "1201", 0},
		{"reserved param", "fine", klingtest.Secret, map[string]any{"external_task_id": "x"},
			provider.CodeBadRequest, "", 0},
		{"hang", "hang", klingtest.Secret, nil, provider.CodeTimeout, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAdapter(t, f, tc.secret, 200*time.Millisecond, nil)
			req := textReq(tc.prompt + " " + tc.name)
			req.Params = tc.params
			_, err := a.Create(context.Background(), req)
			pe := codeOf(t, err)
			if pe.Code != tc.code || pe.ProviderCode != tc.vendor || pe.RetryAfter != tc.retry {
				t.Fatalf("error %+v, want code %s vendor %q retry %s", pe, tc.code, tc.vendor,
					tc.retry)
			}
			if strings.Contains(pe.Error(), klingtest.Secret) || strings.Contains(pe.Error(),
				"wrong-secret") {
				t.Fatalf("error leaks the secret: %v", pe)
			}
		})
	}
}

func TestTokenCachedRenewedAndResigned(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	var skew time.Duration
	a := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, &skew)
	ctx := context.Background()
	c, err := a.Create(ctx, textReq("tokens"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := a.Get(ctx, c.JobID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	distinct := func() int {
		return f.Tokens()
	}
	if n := distinct(); n != 1 {
		t.Fatalf("%d distinct tokens for calls within one lifetime, want 1", n)
	}
	// 31 minutes on: the cached token has expired and must be replaced.
	f.Shift(31 * time.Minute)
	if _, err := a.Get(ctx, c.JobID); err != nil {
		t.Fatalf("Get after the token expired: %v", err)
	}
	if n := distinct(); n != 2 {
		t.Fatalf("%d distinct tokens after expiry, want 2", n)
	}
	// Kling's clock runs 20 minutes ahead of ours at 40 minutes into the
	// token: Kling calls it expired; the adapter re-signs once and succeeds.
	f.Shift(20 * time.Minute)
	skew = -20 * time.Minute
	if _, err := a.Get(ctx, c.JobID); err != nil {
		t.Fatalf("Get after Kling called the token expired: %v", err)
	}
	// Our clock a minute ahead: nbf is in Kling's future, every token fails.
	b := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, &skew)
	skew = time.Minute
	_, err = b.Get(ctx, c.JobID)
	if pe := codeOf(t, err); pe.Code != provider.CodeAuthFailed || pe.ProviderCode != "1003" {
		t.Fatalf("token from the future: %+v, want auth_failed 1003", pe)
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	for _, creds := range []string{"", "onlyaccess", ":secret", "access:"} {
		_, err := New(provider.Config{Credentials: creds})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%q) = %v, want ErrInvalidConfig", creds, err)
		}
		if creds != "" && strings.Contains(err.Error(), creds) {
			t.Errorf("error %q quotes the credentials", err)
		}
	}
	a, err := New(provider.Config{Credentials: "a:b"})
	if err != nil || a.base != DefaultBaseURL || a.Name() != "kling" {
		t.Fatalf("defaults: %v %+v", err, a)
	}
	p, err := Factory()(provider.Config{Credentials: "a:b", BaseURL: "ftp://x"})
	if err == nil || p != nil {
		t.Fatalf("Factory accepted a non-http BaseURL")
	}
	caps := a.Capabilities()
	if est := caps.Estimate(provider.Request{Kind: provider.KindTextToVideo,
		Prompt: "x", Resolution: "1080p", DurationSeconds: 10}); est != 100 {
		t.Errorf("kling-v1-6 pro 10 s estimated at %d cents, want 100", est)
	}
	err = caps.Validate(provider.Request{Kind: provider.KindTextToVideo, Model: "kling-v2-1",
		Prompt: "x"})
	if err == nil {
		t.Error("kling-v2-1 accepted text_to_video; it is image2video only")
	}
}

func TestAudioNeedsPro(t *testing.T) {
	t.Parallel()
	f := klingtest.NewServer(t, klingtest.Options{Start: time.Unix(1_759_320_000, 0)})
	a := newTestAdapter(t, f, klingtest.Secret, 5*time.Second, nil)
	req := textReq("waves with sound")
	req.Model, req.Audio = "kling-v2-6", true
	if _, err := a.Create(context.Background(), req); err != nil {
		t.Fatalf("audio at 1080p: %v", err)
	}
	sound := f.LastBody()["sound"]
	if sound != "on" {
		t.Fatalf("sound = %v, want on", sound)
	}
	req.Resolution, req.TaskID = "720p", "task-audio-720"
	_, err := a.Create(context.Background(), req)
	if codeOf(t, err).Code != provider.CodeBadRequest {
		t.Fatalf("audio at 720p: %v, want bad_request", err)
	}
}
