package veo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/veo/veotest"
)

func request(prompt string) provider.Request {
	return provider.Request{TaskID: "t1", Kind: provider.KindTextToVideo, Prompt: prompt}
}

// runToEnd polls until the job is terminal, checking the missing-done quirk
// reads as processing on the way.
func runToEnd(t *testing.T, f *veotest.Server, a *Adapter, id string) provider.Status {
	t.Helper()
	ctx := context.Background()
	st, err := a.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if st.State != provider.StateProcessing || st.PollAfter != pollAfter {
		t.Fatalf("before done: state %s poll %s, want processing", st.State, st.PollAfter)
	}
	f.Advance(2)
	st, err = a.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return st
}

func readAll(t *testing.T, a *Adapter, o provider.Output) string {
	t.Helper()
	rc, err := a.Fetch(context.Background(), o)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func wantCode(t *testing.T, err error, code provider.Code) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return pe
}

func TestVertexGCSOutputAndTokenReuse(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newVertex(t, f, map[string]string{"PROVIDER_VEO_STORAGE_URI": "gs://bkt/veo/"})
	seed := int64(42)
	req := request("a fox in snow")
	req.Model, req.Resolution, req.AspectRatio = ModelVeo3Fast, "1080p", "9:16"
	req.DurationSeconds, req.Audio, req.Seed = 6, true, &seed
	req.NegativePrompt = "blur"
	c, err := a.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.JobID, "projects/proj-1/locations/us-central1/") {
		t.Fatalf("job id %q", c.JobID)
	}
	p := f.CreateBodies()[0]["parameters"].(map[string]any)
	for k, want := range map[string]any{"aspectRatio": "9:16", "resolution": "1080p",
		"durationSeconds": 6.0, "generateAudio": true, "seed": 42.0,
		"negativePrompt": "blur", "storageUri": "gs://bkt/veo/"} {
		if p[k] != want {
			t.Errorf("parameters.%s = %v, want %v", k, p[k], want)
		}
	}
	st := runToEnd(t, f, a, c.JobID)
	if st.State != provider.StateSucceeded || len(st.Outputs) != 1 {
		t.Fatalf("status %+v", st)
	}
	o := st.Outputs[0]
	if o.URL != "gs://bkt/veo/1234/sample_0.mp4" || o.MIME != "video/mp4" ||
		o.Kind != provider.OutputVideo {
		t.Fatalf("output %+v", o)
	}
	if got := readAll(t, a, o); got != string(veotest.Video()) {
		t.Fatalf("downloaded %q", got)
	}
	if f.Grants() != 1 {
		t.Fatalf("token grants = %d, want 1 (cached)", f.Grants())
	}
}

func TestVertexInlineVideo(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newVertex(t, f, nil)
	req := request("waves")
	req.Kind, req.ImageURL = provider.KindImageToVideo, "data:image/png;base64,iVBORw0KGgo="
	c, err := a.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	inst := f.CreateBodies()[0]["instances"].([]any)[0].(map[string]any)["image"].(map[string]any)
	if inst["bytesBase64Encoded"] != "iVBORw0KGgo=" || inst["mimeType"] != "image/png" {
		t.Fatalf("image sent as %v", inst)
	}
	st := runToEnd(t, f, a, c.JobID)
	if st.State != provider.StateSucceeded || string(st.Outputs[0].Data) != string(veotest.Video()) ||
		st.Outputs[0].URL != "" {
		t.Fatalf("status %+v", st)
	}
}

func TestGeminiRouteAndAuthenticatedFetch(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newGemini(t, f, veotest.APIKey)
	seed := int64(7)
	req := request("city lights")
	req.Seed, req.Audio = &seed, true
	c, err := a.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.JobID, "models/"+ModelVeo3+"/operations/") {
		t.Fatalf("job id %q", c.JobID)
	}
	st := runToEnd(t, f, a, c.JobID)
	if st.State != provider.StateSucceeded || !strings.HasPrefix(st.Outputs[0].URL, f.URL()) {
		t.Fatalf("status %+v", st)
	}
	if got := readAll(t, a, st.Outputs[0]); got != string(veotest.Video()) {
		t.Fatalf("downloaded %q", got)
	}
	// A file URL on another host must never receive the key.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(apiKeyHeader) != "" {
			t.Errorf("API key leaked to a foreign host")
		}
		_, _ = io.WriteString(w, "x")
	}))
	defer other.Close()
	readAll(t, a, provider.Output{URL: other.URL + "/v"})
	// Nor may a redirect from the API host carry it elsewhere.
	f.FailNext(func(w http.ResponseWriter) {
		w.Header().Set("Location", other.URL+"/moved")
		w.WriteHeader(http.StatusFound)
	})
	readAll(t, a, provider.Output{URL: f.URL() + "/v1beta/files/x:download?alt=media"})
}

func TestFilteredIsBadRequestWithReason(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	for _, a := range []*Adapter{newVertex(t, f, nil), newGemini(t, f, veotest.APIKey)} {
		c, err := a.Create(context.Background(), request("filtered scene"))
		if err != nil {
			t.Fatal(err)
		}
		st := runToEnd(t, f, a, c.JobID)
		if st.State != provider.StateFailed || st.Err.Code != provider.CodeBadRequest ||
			!strings.Contains(st.Err.Message, "violates our policies") {
			t.Fatalf("%s: status %+v err %+v", a.route, st, st.Err)
		}
	}
}

func TestOperationErrorMapsGRPCCode(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newVertex(t, f, nil)
	c, err := a.Create(context.Background(), request("invalid clip"))
	if err != nil {
		t.Fatal(err)
	}
	st := runToEnd(t, f, a, c.JobID)
	if st.State != provider.StateFailed || st.Err.Code != provider.CodeBadRequest ||
		st.Err.ProviderCode != "INVALID_ARGUMENT" {
		t.Fatalf("status %+v err %+v", st, st.Err)
	}
}

func TestRateLimitHonoursRetryHints(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newGemini(t, f, veotest.APIKey)
	f.FailNext(func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		veotest.GoogleError(w, 429, "RESOURCE_EXHAUSTED",
			"Quota exceeded for base model veo-3.0")
	})
	_, err := a.Create(context.Background(), request("x"))
	if pe := wantCode(t, err, provider.CodeRateLimited); pe.RetryAfter != 7*time.Second {
		t.Fatalf("RetryAfter %s", pe.RetryAfter)
	}
	f.FailNext(func(w http.ResponseWriter) {
		veotest.GoogleError(w, 429, "RESOURCE_EXHAUSTED", "slow down", map[string]any{
			"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"})
	})
	_, err = a.Create(context.Background(), request("x"))
	if pe := wantCode(t, err, provider.CodeRateLimited); pe.RetryAfter != 12*time.Second {
		t.Fatalf("RetryAfter %s", pe.RetryAfter)
	}
}

func TestBadAuth(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	_, err := newGemini(t, f, "AIzaWrongKey").Create(context.Background(), request("x"))
	if pe := wantCode(t, err, provider.CodeAuthFailed); strings.Contains(pe.Error(),
		"AIzaWrongKey") {
		t.Fatal("the key leaked into the error")
	}
	// A service account whose key Google does not know.
	other, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(provider.Config{Credentials: f.ServiceAccount(other), BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Create(context.Background(), request("x"))
	if pe := wantCode(t, err, provider.CodeAuthFailed); pe.ProviderCode != "invalid_grant" {
		t.Fatalf("provider code %q", pe.ProviderCode)
	}
	if f.Calls() != 1 {
		t.Fatalf("vendor API called %d times; the refused token should stop the call", f.Calls())
	}
}

func TestBillingDisabledIsQuotaExhausted(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newVertex(t, f, nil)
	f.FailNext(func(w http.ResponseWriter) {
		veotest.GoogleError(w, 403, "PERMISSION_DENIED",
			"Billing is disabled for project proj-1.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "BILLING_DISABLED"})
	})
	_, err := a.Create(context.Background(), request("x"))
	wantCode(t, err, provider.CodeQuotaExhausted)
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	f.SetHang(5 * time.Second)
	a, err := New(provider.Config{Credentials: veotest.APIKey, BaseURL: f.URL(),
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Get(context.Background(), "models/"+ModelVeo3+"/operations/op-1")
	wantCode(t, err, provider.CodeTimeout)
}

func TestCancelIsANoOp(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newGemini(t, f, veotest.APIKey)
	c, err := a.Create(context.Background(), request("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Cancel(context.Background(), c.JobID); err != nil {
		t.Fatal(err)
	}
	if f.Calls() != 1 {
		t.Fatalf("Cancel called the vendor (%d calls)", f.Calls())
	}
}

func TestRequestsRefusedBeforeOrByTheVendor(t *testing.T) {
	t.Parallel()
	f := veotest.NewServer(t, veotest.Options{})
	a := newGemini(t, f, veotest.APIKey)
	ctx := context.Background()
	i2v := request("x")
	i2v.Kind, i2v.ImageURL = provider.KindImageToVideo, "https://example.com/a.png"
	_, err := a.Create(ctx, i2v)
	wantCode(t, err, provider.CodeBadRequest)
	big := int64(1 << 33)
	seeded := request("x")
	seeded.Seed = &big
	_, err = a.Create(ctx, seeded)
	wantCode(t, err, provider.CodeBadRequest)
	long := request("x")
	long.DurationSeconds = 10
	_, err = a.Create(ctx, long)
	wantCode(t, err, provider.CodeBadRequest)
	if f.Calls() != 0 {
		t.Fatalf("invalid requests reached the vendor (%d calls)", f.Calls())
	}
	unknown := request("x")
	unknown.Params = map[string]any{"frobnicate": true}
	_, err = a.Create(ctx, unknown)
	if pe := wantCode(t, err, provider.CodeBadRequest); pe.HTTPStatus != 400 {
		t.Fatalf("want the vendor's 400, got %+v", pe)
	}
	_, err = a.Get(ctx, "models/x/operations/../../files/y")
	wantCode(t, err, provider.CodeBadRequest)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]provider.Config{
		"empty":   {},
		"badJSON": {Credentials: `{"type":"service_account","project_id":"p"}`},
		"user":    {Credentials: `{"type":"authorized_user","refresh_token":"r"}`},
		"baseURL": {Credentials: "k", BaseURL: "ftp://x"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted the configuration", name)
		} else if strings.Contains(err.Error(), "refresh_token") {
			t.Errorf("%s: error quotes the credential: %v", name, err)
		}
	}
}

func TestCapabilitiesAndPrice(t *testing.T) {
	t.Parallel()
	a, err := New(provider.Config{Credentials: "k"})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Capabilities()
	if got := c.Estimate(request("x")); got != 8*standardCentsPerSecond {
		t.Fatalf("default estimate %d", got)
	}
	fast := request("x")
	fast.Model, fast.DurationSeconds = ModelVeo31Fast, 4
	if got := c.Estimate(fast); got != 4*fastCentsPerSecond {
		t.Fatalf("fast estimate %d", got)
	}
	sq := request("x")
	sq.AspectRatio = provider.Aspect1x1
	if c.Validate(sq) == nil {
		t.Fatal("1:1 accepted")
	}
}
