package nanobanana

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const fakeKey = "AIzaFakeNanoKey0001"

// fakeGemini speaks generateContent for gemini-2.5-flash-image. The prompt
// picks the outcome: "blocked" (promptFeedback), "unsafe" (IMAGE_SAFETY
// finish), "chatty" (text only), "snake" (snake_case image part).
type fakeGemini struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	calls    int
	last     map[string]any
	failNext func(w http.ResponseWriter)
	hang     bool
}

func newFake(t *testing.T) *fakeGemini {
	f := &fakeGemini{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func googleErr(w http.ResponseWriter, code int, status, msg string, details ...any) {
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

func (f *fakeGemini) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	fail, hang := f.failNext, f.hang
	f.failNext = nil
	f.mu.Unlock()
	if hang {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if r.URL.Path != "/v1beta/models/"+ModelFlashImage+":generateContent" ||
		r.Method != http.MethodPost {
		googleErr(w, 404, "NOT_FOUND", "model or method not found")
		return
	}
	switch key := r.Header.Get(apiKeyHeader); {
	case key == "":
		googleErr(w, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
		return
	case key != fakeKey:
		googleErr(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID"})
		return
	}
	if fail != nil {
		fail(w)
		return
	}
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(r.Body)
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	var body fakeBody
	if err := dec.Decode(&body); err != nil {
		googleErr(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	var m map[string]any
	_ = json.Unmarshal(raw.Bytes(), &m)
	f.mu.Lock()
	f.last = m
	f.mu.Unlock()
	ratio, prompt, msg := "1:1", "", f.validate(body)
	if msg != "" {
		googleErr(w, 400, "INVALID_ARGUMENT", msg)
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

func (f *fakeGemini) validate(b fakeBody) string {
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
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, wh[0], wh[1])))
	return base64.StdEncoding.EncodeToString(buf.Bytes())
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
		"usageMetadata": usage, "modelVersion": ModelFlashImage}
}
