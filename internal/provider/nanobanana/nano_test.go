package nanobanana

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/nanobanana/nanobananatest"
)

func newAdapter(t *testing.T, f *nanobananatest.Server, key string) *Adapter {
	t.Helper()
	a, err := New(provider.Config{Name: Name, Credentials: key, BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func req(prompt string) provider.Request {
	return provider.Request{TaskID: "t1", Kind: provider.KindTextToImage, Prompt: prompt}
}

func wantCode(t *testing.T, err error, code provider.Code) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return pe
}

func TestCreateReturnsImageAndGetReplaysIt(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	a := newAdapter(t, f, nanobananatest.Key)
	r := req("storyboard frame")
	r.AspectRatio, r.NegativePrompt = provider.Aspect9x16, "text overlays"
	seed := int64(3)
	r.Seed = &seed
	r.Params = map[string]any{"temperature": 0.5}
	c, err := a.Create(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result == nil || c.Result.State != provider.StateSucceeded ||
		!strings.HasPrefix(c.JobID, "nano-") {
		t.Fatalf("created %+v", c)
	}
	o := c.Result.Outputs[0]
	if o.Kind != provider.OutputImage || o.MIME != "image/png" || o.Width != 768 ||
		o.Height != 1344 || len(o.Data) == 0 {
		t.Fatalf("output kind %s mime %s %dx%d", o.Kind, o.MIME, o.Width, o.Height)
	}
	gc := f.LastBody()["generationConfig"].(map[string]any)
	if gc["imageConfig"].(map[string]any)["aspectRatio"] != "9:16" || gc["seed"] != 3.0 ||
		gc["temperature"] != 0.5 {
		t.Fatalf("generationConfig %v", gc)
	}
	text := f.LastBody()["contents"].([]any)[0].(map[string]any)["parts"].([]any)[0].(map[string]any)
	if !strings.Contains(text["text"].(string), "Avoid: text overlays") {
		t.Fatalf("prompt part %v", text)
	}
	st, err := a.Get(context.Background(), c.JobID)
	if err != nil || st.State != provider.StateSucceeded || len(st.Outputs[0].Data) !=
		len(o.Data) {
		t.Fatalf("Get: %+v %v", st, err)
	}
	if a.Cancel(context.Background(), c.JobID) != nil {
		t.Fatal("Cancel of a finished job failed")
	}
}

func TestInputImageAndSnakeCase(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	a := newAdapter(t, f, nanobananatest.Key)
	r := req("snake keyframe from reference")
	r.ImageURL = "data:image/png;base64,iVBORw0KGgo="
	c, err := a.Create(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	parts := f.LastBody()["contents"].([]any)[0].(map[string]any)["parts"].([]any)
	if len(parts) != 2 || parts[1].(map[string]any)["inlineData"].(map[string]any)["data"] !=
		"iVBORw0KGgo=" {
		t.Fatalf("parts %v", parts)
	}
	if c.Result.Outputs[0].Width != 1344 {
		t.Fatalf("snake_case image not read: %+v", c.Result.Outputs[0])
	}
	remote := req("x")
	remote.ImageURL = "https://example.com/a.png"
	_, err = a.Create(context.Background(), remote)
	wantCode(t, err, provider.CodeBadRequest)
	r.Params = map[string]any{ParamImageBase64: "not base64!"}
	_, err = a.Create(context.Background(), r)
	wantCode(t, err, provider.CodeBadRequest)
	if f.Calls() != 1 {
		t.Fatalf("refused images reached the vendor (%d calls)", f.Calls())
	}
}

func TestNoImageIsAFailure(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	a := newAdapter(t, f, nanobananatest.Key)
	for prompt, want := range map[string]struct {
		code provider.Code
		text string
	}{
		"blocked prompt": {provider.CodeBadRequest, "SAFETY"},
		"unsafe image":   {provider.CodeBadRequest, "IMAGE_SAFETY"},
		"chatty model":   {provider.CodeProviderError, "Which courier"},
	} {
		_, err := a.Create(context.Background(), req(prompt))
		if pe := wantCode(t, err, want.code); !strings.Contains(pe.Message, want.text) {
			t.Errorf("%s: message %q lacks %q", prompt, pe.Message, want.text)
		}
	}
}

func TestVendorErrors(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	a := newAdapter(t, f, nanobananatest.Key)
	ctx := context.Background()
	f.FailNext(func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "9")
		nanobananatest.GoogleError(w, 429, "RESOURCE_EXHAUSTED",
			"Resource has been exhausted.")
	})
	_, err := a.Create(ctx, req("x"))
	if pe := wantCode(t, err, provider.CodeRateLimited); pe.RetryAfter != 9*time.Second {
		t.Fatalf("RetryAfter %s", pe.RetryAfter)
	}
	f.FailNext(func(w http.ResponseWriter) {
		nanobananatest.GoogleError(w, 403, "PERMISSION_DENIED", "Billing is not enabled.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "BILLING_DISABLED"})
	})
	_, err = a.Create(ctx, req("x"))
	wantCode(t, err, provider.CodeQuotaExhausted)
	f.FailNext(func(w http.ResponseWriter) {
		nanobananatest.GoogleError(w, 503, "UNAVAILABLE", "overloaded")
	})
	_, err = a.Create(ctx, req("x"))
	wantCode(t, err, provider.CodeProviderError)
	r := req("x")
	r.Params = map[string]any{"frobnicate": 1}
	_, err = a.Create(ctx, r)
	wantCode(t, err, provider.CodeBadRequest)
	_, err = newAdapter(t, f, "AIzaWrong").Create(ctx, req("x"))
	if pe := wantCode(t, err, provider.CodeAuthFailed); strings.Contains(pe.Error(), "AIzaWrong") {
		t.Fatal("key leaked into the error")
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	f.SetHang(5 * time.Second)
	a, err := New(provider.Config{Credentials: nanobananatest.Key, BaseURL: f.URL(),
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Create(context.Background(), req("x"))
	wantCode(t, err, provider.CodeTimeout)
}

func TestStoreIsBoundedAndExpires(t *testing.T) {
	t.Parallel()
	f := nanobananatest.NewServer(t, nanobananatest.Options{})
	a := newAdapter(t, f, nanobananatest.Key)
	clock := time.Unix(1_700_000_000, 0)
	a.now = func() time.Time { return clock }
	first, err := a.Create(context.Background(), req("x"))
	if err != nil {
		t.Fatal(err)
	}
	for range MaxStoredResults - 1 {
		a.remember("filler-"+time.Now().String(), provider.Status{})
	}
	if _, err := a.Get(context.Background(), first.JobID); err != nil {
		t.Fatalf("evicted too early: %v", err)
	}
	a.remember("one-more", provider.Status{State: provider.StateSucceeded})
	_, err = a.Get(context.Background(), first.JobID)
	wantCode(t, err, provider.CodeBadRequest)
	clock = clock.Add(ResultTTL + time.Second)
	_, err = a.Get(context.Background(), "one-more")
	wantCode(t, err, provider.CodeBadRequest)
	if len(a.order) != 0 || len(a.results) != 0 {
		t.Fatalf("expired results kept: %d", len(a.results))
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	a, err := New(provider.Config{Credentials: "k"})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Capabilities()
	if got := c.Estimate(req("x")); got != 4 {
		t.Fatalf("estimate %d cents, want 4", got)
	}
	v := req("x")
	v.Kind = provider.KindTextToVideo
	if c.Validate(v) == nil {
		t.Fatal("video accepted")
	}
	if _, err := New(provider.Config{}); err == nil {
		t.Fatal("New accepted an empty key")
	}
}

// FuzzDecodeResponse feeds hostile answers to the decoder: it must not
// panic, and a success must carry image bytes.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png",` +
			`"data":"iVBORw0KGgo="}}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"inline_data":{"data":"AAAA"}}]}}]}`,
		`{"promptFeedback":{"blockReason":"SAFETY"}}`,
		`{"candidates":[{"finishReason":"NO_IMAGE"}]}`, `{"candidates":null}`, `[]`, `7`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		st, perr, err := decodeResponse(raw)
		if err != nil || perr != nil {
			return
		}
		if st.State != provider.StateSucceeded || len(st.Outputs) != 1 ||
			len(st.Outputs[0].Data) == 0 {
			t.Fatalf("bad success from %q: %+v", raw, st)
		}
	})
}
