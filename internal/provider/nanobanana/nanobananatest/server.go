// Package nanobananatest is a fake of the Gemini API's generateContent for
// gemini-2.5-flash-image ("Nano Banana") for tests: the nanobanana
// adapter's own tests and the engine's end-to-end tests. It must not be
// imported by production code.
//
// It answers synchronously with a real PNG of the size the aspect ratio
// gives. The prompt picks the outcome: "blocked" (promptFeedback),
// "unsafe" (IMAGE_SAFETY finish), "chatty" (text only), "snake"
// (snake_case image part). Key authenticates; any other key gets 400
// API_KEY_INVALID.
package nanobananatest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// Key is the Gemini API key the fake accepts.
const Key = "AIzaFakeNanoKey0001"

// Wire values of the Gemini API.
const (
	apiKeyHeader    = "x-goog-api-key"
	modelFlashImage = "gemini-2.5-flash-image"
)

// Options configure a Server; there are none yet.
type Options struct{}

// Server speaks generateContent for gemini-2.5-flash-image. Its knobs
// (Knobs) make the next call 429 or every call hang; FailNext answers the
// next call with anything. Every call is a create; there is no cancel.
type Server struct {
	providertest.Knobs
	srv      *httptest.Server
	mu       sync.Mutex
	calls    int
	last     map[string]any
	failNext func(w http.ResponseWriter)
}

// NewServer starts a fake closed at the end of the test.
func NewServer(t testing.TB, _ Options) *Server {
	t.Helper()
	f := &Server{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL (the adapter's BaseURL).
func (f *Server) URL() string { return f.srv.URL }

// FailNext makes answer respond to the next authenticated call instead of
// the fake.
func (f *Server) FailNext(answer func(w http.ResponseWriter)) {
	f.mu.Lock()
	f.failNext = answer
	f.mu.Unlock()
}

// Calls is the number of calls the fake received.
func (f *Server) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// LastBody is the JSON body of the last call that passed the key check.
func (f *Server) LastBody() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// GoogleError writes Google's JSON error envelope.
func GoogleError(w http.ResponseWriter, code int, status, msg string, details ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"code": code, "message": msg, "status": status}
	if len(details) > 0 {
		body["details"] = details
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}

var ratios = map[string][2]int{"1:1": {1024, 1024}, "16:9": {1344, 768}, "9:16": {768, 1344},
	"21:9": {1536, 672}, "2:3": {832, 1248}, "3:2": {1248, 832}, "3:4": {864, 1184},
	"4:3": {1184, 864}, "4:5": {896, 1152}, "5:4": {1152, 896}}

type fakeBody struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text       *string `json:"text"`
			InlineData *struct {
				MimeType string `json:"mimeType"`
				Data     string `json:"data"`
			} `json:"inlineData"`
		} `json:"parts"`
	} `json:"contents"`
	GenerationConfig *struct {
		ResponseModalities []string `json:"responseModalities"`
		ImageConfig        *struct {
			AspectRatio string `json:"aspectRatio"`
		} `json:"imageConfig"`
		Seed        *int64   `json:"seed"`
		Temperature *float64 `json:"temperature"`
	} `json:"generationConfig"`
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.CountCreate()
	f.mu.Lock()
	f.calls++
	fail := f.failNext
	f.failNext = nil
	f.mu.Unlock()
	if f.Hang(r) {
		return
	}
	if r.URL.Path != "/v1beta/models/"+modelFlashImage+":generateContent" ||
		r.Method != http.MethodPost {
		GoogleError(w, 404, "NOT_FOUND", "model or method not found")
		return
	}
	switch key := r.Header.Get(apiKeyHeader); {
	case key == "":
		GoogleError(w, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
		return
	case key != Key:
		GoogleError(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID"})
		return
	}
	if fail != nil {
		fail(w)
		return
	}
	if after, ok := f.TakeThrottle(); ok {
		GoogleError(w, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo",
				"retryDelay": after + "s"})
		return
	}
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(r.Body)
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	var body fakeBody
	if err := dec.Decode(&body); err != nil {
		GoogleError(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	var m map[string]any
	_ = json.Unmarshal(raw.Bytes(), &m)
	f.mu.Lock()
	f.last = m
	f.mu.Unlock()
	ratio, prompt, msg := "1:1", "", f.validate(body)
	if msg != "" {
		GoogleError(w, 400, "INVALID_ARGUMENT", msg)
		return
	}
	if ic := body.GenerationConfig.ImageConfig; ic != nil {
		ratio = ic.AspectRatio
	}
	for _, p := range body.Contents[0].Parts {
		if p.Text != nil {
			prompt += *p.Text
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer(prompt, ratios[ratio]))
}

func (f *Server) validate(b fakeBody) string {
	if len(b.Contents) == 0 || len(b.Contents[0].Parts) == 0 {
		return "contents is not specified"
	}
	hasText := false
	for _, p := range b.Contents[0].Parts {
		if p.Text != nil {
			hasText = true
		}
		if d := p.InlineData; d != nil {
			if _, err := base64.StdEncoding.DecodeString(d.Data); err != nil ||
				!strings.HasPrefix(d.MimeType, "image/") {
				return "Unable to process input image."
			}
		}
	}
	gc := b.GenerationConfig
	switch {
	case !hasText:
		return "a text part is required"
	case gc == nil || !slices.Contains(gc.ResponseModalities, "IMAGE"):
		return "responseModalities must include IMAGE for this model"
	case gc.ImageConfig != nil:
		if _, ok := ratios[gc.ImageConfig.AspectRatio]; !ok {
			return "aspectRatio is not supported"
		}
	}
	return ""
}

func pngOf(wh [2]int) string {
	return base64.StdEncoding.EncodeToString(providertest.PNG(wh[0], wh[1]))
}

func answer(prompt string, wh [2]int) map[string]any {
	usage := map[string]any{"promptTokenCount": 12, "candidatesTokenCount": 1290,
		"totalTokenCount": 1302}
	cand := func(parts []any, reason string) map[string]any {
		c := map[string]any{"finishReason": reason, "index": 0}
		if parts != nil {
			c["content"] = map[string]any{"role": "model", "parts": parts}
		}
		return c
	}
	switch {
	case strings.Contains(prompt, "blocked"):
		return map[string]any{"promptFeedback": map[string]any{"blockReason": "SAFETY"},
			"usageMetadata": usage}
	case strings.Contains(prompt, "unsafe"):
		return map[string]any{"candidates": []any{cand(nil, "IMAGE_SAFETY")}}
	case strings.Contains(prompt, "chatty"):
		return map[string]any{"candidates": []any{cand([]any{
			map[string]any{"text": "Which courier do you mean?"}}, "STOP")}}
	case strings.Contains(prompt, "snake"):
		return map[string]any{"candidates": []any{cand([]any{map[string]any{
			"inline_data": map[string]any{"mime_type": "image/png", "data": pngOf(wh)}}},
			"STOP")}}
	}
	return map[string]any{"candidates": []any{cand([]any{
		map[string]any{"text": "Here is the frame."},
		map[string]any{"inlineData": map[string]any{"mimeType": "image/png",
			"data": pngOf(wh)}}}, "STOP")},
		"usageMetadata": usage, "modelVersion": modelFlashImage}
}
