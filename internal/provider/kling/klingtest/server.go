// Package klingtest is a strict fake of Kling's video API for tests: the
// kling adapter's own tests and the engine's end-to-end tests. It must not
// be imported by production code.
//
// It checks HS256 tokens for signature, iss, exp and nbf against its own
// clock, checks bodies field by field, and moves tasks submitted →
// processing → succeed/failed one step per step of a Clock that tests move
// with Advance or let run with Options.Tick. Finished tasks with a
// callback_url queue a plain POST (Callbacks), which tests deliver
// themselves. Successful tasks point at a real 1 s 640x360 MP4 served by
// the fake. Prompts steer refusals: "ratelimit" (429 1303 with
// Retry-After), "quota" (429 1102), "overload" (HTTP 200 carrying 5001),
// "hang" (no answer until the client gives up), "fail" (task fails).
package klingtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// Credentials the fake accepts: the adapter's Credentials are
// Access + ":" + Secret.
const (
	// Access is the access key, the token's iss.
	Access = "AKtest0001"
	// Secret is the secret key tokens are signed with.
	Secret = "SKtest-very-secret-value"
)

// Wire values of Kling's API.
const (
	kindT2V          = "text2video"
	kindI2V          = "image2video"
	modeStd          = "std"
	modePro          = "pro"
	statusSubmitted  = "submitted"
	statusProcessing = "processing"
	statusSucceed    = "succeed"
	statusFailed     = "failed"
)

// Options configure a Server.
type Options struct {
	// Start, when set, freezes the fake's wall clock at Start; it then
	// moves only with Advance and Shift. Zero follows real time, as the
	// engine's tokens need.
	Start time.Time
	// Tick, when positive, moves the task clock one step per Tick of real
	// time besides Advance.
	Tick time.Duration
}

// Server speaks Kling's video API strictly. Its knobs (Knobs) make the
// next create 429 or every call hang; it counts creates (Kling has no
// cancel call).
type Server struct {
	providertest.Knobs
	srv   *httptest.Server
	steps *providertest.Clock

	mu        sync.Mutex
	frozen    bool
	now       time.Time     // the frozen clock
	offset    time.Duration // added to real time when not frozen
	seq       int
	tasks     map[string]*fakeTask
	tokens    map[string]int
	lastBody  map[string]any
	callbacks []Callback
}

type fakeTask struct {
	id, kind, ext, prompt, callback string
	born                            int
	created                         time.Time
	notified                        bool
}

// Callback is a push Kling would POST to a task's callback_url.
type Callback struct {
	// URL is the task's callback_url; Body the JSON envelope.
	URL  string
	Body []byte
}

// Request builds the POST Kling sends for the callback: unsigned JSON.
func (c Callback) Request() (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// Send POSTs the callback as Kling does and returns the status the
// receiver answered.
func (c Callback) Send() (int, error) {
	req, err := c.Request()
	if err != nil {
		return 0, err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// NewServer starts a fake closed at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	f := &Server{frozen: !o.Start.IsZero(), now: o.Start, tasks: map[string]*fakeTask{},
		tokens: map[string]int{}, steps: providertest.NewClock(o.Tick)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/videos/{kind}", f.create)
	mux.HandleFunc("GET /v1/videos/{kind}/{id}", f.query)
	api := f.authorize(mux)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cdn/") {
			providertest.ServeMP4(w, r)
			return
		}
		if r.Method == http.MethodPost {
			f.CountCreate()
		} else {
			f.CountPoll()
		}
		if f.Hang(r) {
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// SetTick makes the task clock move one step per tick of real time from
// now on (0 stops it), as Options.Tick does from the start.
func (f *Server) SetTick(tick time.Duration) { f.steps.SetTick(tick) }

// URL is the fake's base URL (the adapter's BaseURL).
func (f *Server) URL() string { return f.srv.URL }

// Now is the fake's wall clock, against which tokens are checked.
func (f *Server) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nowLocked()
}

func (f *Server) nowLocked() time.Time {
	if f.frozen {
		return f.now
	}
	return time.Now().Add(f.offset)
}

// Shift moves the wall clock by d without moving any task.
func (f *Server) Shift(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.offset += d
}

// Advance moves every task one step and the wall clock by d, recording the
// callbacks of tasks that just finished.
func (f *Server) Advance(d time.Duration) {
	f.steps.Advance(1)
	f.Shift(d)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collectLocked()
}

// Tokens is the number of distinct bearer tokens the fake accepted.
func (f *Server) Tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokens)
}

// LastBody is the JSON body of the last create that passed validation.
func (f *Server) LastBody() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastBody
}

// Callbacks returns every push recorded so far, in order, first recording
// those of tasks that finished since.
func (f *Server) Callbacks() []Callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collectLocked()
	return slices.Clone(f.callbacks)
}

// collectLocked records the callbacks of tasks that just finished.
func (f *Server) collectLocked() {
	for _, t := range f.tasks {
		if status, _ := f.statusLocked(t); (status == statusSucceed ||
			status == statusFailed) && t.callback != "" && !t.notified {
			t.notified = true
			body, _ := json.Marshal(map[string]any{"code": 0, "message": "SUCCEED",
				"request_id": "cb-" + t.id, "data": f.dataLocked(t)})
			f.callbacks = append(f.callbacks, Callback{URL: t.callback, Body: body})
		}
	}
}

func (f *Server) statusLocked(t *fakeTask) (status, msg string) {
	switch age := f.steps.Step() - t.born; {
	case age <= 0:
		return statusSubmitted, ""
	case age == 1:
		return statusProcessing, ""
	case strings.Contains(t.prompt, "fail"):
		return statusFailed, "Failure to pass the risk control system"
	}
	return statusSucceed, ""
}

func (f *Server) dataLocked(t *fakeTask) map[string]any {
	status, msg := f.statusLocked(t)
	d := map[string]any{"task_id": t.id, "task_status": status, "task_status_msg": msg,
		"task_info":  map[string]any{"external_task_id": t.ext},
		"created_at": t.created.UnixMilli(), "updated_at": f.nowLocked().UnixMilli()}
	if status == statusSucceed {
		d["final_unit_deduction"] = "3.5"
		d["task_result"] = map[string]any{"videos": []any{map[string]any{
			"id": "vid-" + t.id, "url": f.srv.URL + "/cdn/" + t.id + ".mp4",
			"duration": "5.1"}}}
	}
	return d
}

func writeEnv(w http.ResponseWriter, status, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg,
		"request_id": "req-1", "data": data})
}

// authorize checks the bearer JWT the way Kling's gateway does.
func (f *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			writeEnv(w, 401, 1001, "Authorization is empty", nil)
			return
		}
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			writeEnv(w, 401, 1002, "Authorization is invalid", nil)
			return
		}
		parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) {
			return []byte(Secret), nil
		}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(Access),
			jwt.WithExpirationRequired(), jwt.WithNotBeforeRequired(),
			jwt.WithTimeFunc(f.Now))
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			writeEnv(w, 401, 1004, "token expired", nil)
			return
		case errors.Is(err, jwt.ErrTokenNotValidYet):
			writeEnv(w, 401, 1003, "token not yet valid", nil)
			return
		case err != nil || parsed.Header["typ"] != "JWT":
			writeEnv(w, 401, 1002, "Authorization is invalid", nil)
			return
		}
		f.mu.Lock()
		f.tokens[tok]++
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

var (
	t2vFields = []string{"model_name", "prompt", "negative_prompt", "cfg_scale", "mode",
		"aspect_ratio", "duration", "sound", "camera_control", "callback_url",
		"external_task_id"}
	i2vFields = []string{"model_name", "prompt", "negative_prompt", "cfg_scale", "mode",
		"duration", "sound", "camera_control", "callback_url", "external_task_id", "image",
		"image_tail", "static_mask", "dynamic_masks", "voice_list"}
	t2vModels = []string{"kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1-master",
		"kling-v2-5-turbo", "kling-v2-6"}
	i2vModels = append(slices.Clone(t2vModels), "kling-v1-5", "kling-v2-1")
)

func (f *Server) create(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != kindT2V && kind != kindI2V {
		writeEnv(w, 404, 1202, "invalid method", nil)
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		writeEnv(w, 400, 1200, "content type must be application/json", nil)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeEnv(w, 400, 1200, "invalid request parameters", nil)
		return
	}
	if msg := checkBody(kind, body); msg != "" {
		writeEnv(w, 400, 1201, msg, nil)
		return
	}
	prompt, _ := body["prompt"].(string)
	switch {
	case strings.Contains(prompt, "hang"):
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		return
	case strings.Contains(prompt, "ratelimit"):
		w.Header().Set("Retry-After", "7")
		writeEnv(w, 429, 1303, "parallel task over resource pack limit", nil)
		return
	}
	if after, ok := f.TakeThrottle(); ok {
		w.Header().Set("Retry-After", after)
		writeEnv(w, 429, 1302, "too many requests", nil)
		return
	}
	switch {
	case strings.Contains(prompt, "quota"):
		writeEnv(w, 429, 1102, "resource pack exhausted", nil)
		return
	case strings.Contains(prompt, "overload"):
		writeEnv(w, 200, 5001, "server unavailable", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastBody = body
	ext, _ := body["external_task_id"].(string)
	for _, t := range f.tasks {
		if ext != "" && t.ext == ext {
			writeEnv(w, 400, 1201, "external_task_id already exists", nil)
			return
		}
	}
	f.seq++
	cb, _ := body["callback_url"].(string)
	t := &fakeTask{id: fmt.Sprintf("7946%014d", f.seq), kind: kind, ext: ext,
		prompt: prompt, callback: cb, born: f.steps.Step(), created: f.nowLocked()}
	f.tasks[t.id] = t
	writeEnv(w, 200, 0, "SUCCEED", f.dataLocked(t))
}

// checkBody validates a create body as Kling does; "" means valid.
func checkBody(kind string, b map[string]any) string {
	fields, mdls := t2vFields, t2vModels
	if kind == kindI2V {
		fields, mdls = i2vFields, i2vModels
	}
	for k := range b {
		if !slices.Contains(fields, k) {
			return "unknown parameter " + k
		}
	}
	model, _ := b["model_name"].(string)
	if !slices.Contains(mdls, model) {
		return "model_name is invalid"
	}
	if d, ok := b["duration"].(string); !ok || (d != "5" && d != "10") {
		return "duration must be \"5\" or \"10\""
	}
	if m, ok := b["mode"]; ok && m != modeStd && m != modePro {
		return "mode is invalid"
	}
	if a, ok := b["aspect_ratio"]; ok && a != "16:9" && a != "9:16" && a != "1:1" {
		return "aspect_ratio is invalid"
	}
	prompt, hasPrompt := b["prompt"].(string)
	if kind == kindT2V && (!hasPrompt || prompt == "") {
		return "prompt is required"
	}
	if utf8.RuneCountInString(prompt) > 2500 {
		return "prompt is too long"
	}
	if kind == kindI2V {
		img, _ := b["image"].(string)
		if img == "" || strings.HasPrefix(img, "data:") {
			return "image must be a URL or bare base64"
		}
	}
	if s, ok := b["sound"]; ok {
		if model != "kling-v2-6" || (s != "on" && s != "off") ||
			(s == "on" && b["mode"] != modePro) {
			return "sound is invalid for this model or mode"
		}
	}
	if cb, ok := b["callback_url"].(string); ok {
		if u, err := url.Parse(cb); err != nil || u.Host == "" {
			return "callback_url is invalid"
		}
	}
	return ""
}

// query answers GET /v1/videos/{kind}/{id}, where id is a task_id or an
// external_task_id.
func (f *Server) query(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, kind := r.PathValue("id"), r.PathValue("kind")
	t := f.tasks[id]
	if t == nil {
		for _, c := range f.tasks {
			if c.ext != "" && c.ext == id {
				t = c
			}
		}
	}
	if t == nil || t.kind != kind {
		writeEnv(w, 404, 1203, "task not found", nil)
		return
	}
	writeEnv(w, 200, 0, "SUCCEED", f.dataLocked(t))
}
