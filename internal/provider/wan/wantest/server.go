// Package wantest is a strict fake of Alibaba Cloud DashScope's async
// video-synthesis API (Wan 2.5) for tests: the wan adapter's own tests and
// the engine's end-to-end tests. It must not be imported by production
// code.
//
// It checks the bearer key, X-DashScope-Async on creates and bodies field
// by field; tasks move PENDING → RUNNING → SUCCEEDED/FAILED one step per
// step of a Clock that tests move with Advance or let run with
// Options.Tick, and become UNKNOWN once the 24 h retention has passed on
// its wall clock. Usage numbers come as strings, as DashScope sometimes
// sends them. Successful tasks point at a real 1 s 640x360 MP4 served by
// the fake. Prompts steer refusals: "throttle" (429 with Retry-After),
// "arrears" (400 Arrearage), "boom" (500), "hang" (no answer), "moderate"
// (task fails moderation).
package wantest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// Key is the API key the fake accepts.
const Key = "sk-test0123456789abcdef"

// Wire values of DashScope's API.
const (
	modelT2V        = "wan2.5-t2v-preview"
	modelI2V        = "wan2.5-i2v-preview"
	statusPending   = "PENDING"
	statusRunning   = "RUNNING"
	statusSucceeded = "SUCCEEDED"
	statusFailed    = "FAILED"
	statusCanceled  = "CANCELED"
	statusUnknown   = "UNKNOWN"
)

// Options configure a Server.
type Options struct {
	// Start, when set, freezes the fake's wall clock at Start; it then
	// moves only with Advance. Zero follows real time.
	Start time.Time
	// Tick, when positive, moves the task clock one step per Tick of real
	// time besides Advance.
	Tick time.Duration
}

// Server speaks DashScope's async task API strictly. Its knobs (Knobs)
// make the next create 429 or every call hang; it counts creates and
// cancels.
type Server struct {
	providertest.Knobs
	srv   *httptest.Server
	steps *providertest.Clock

	mu       sync.Mutex
	frozen   bool
	now      time.Time
	offset   time.Duration
	seq      int
	tasks    map[string]*fakeTask
	lastBody map[string]any
}

type fakeTask struct {
	id, model, prompt string
	born              int
	created           time.Time
	canceled          bool
	size, resolution  string
	duration          int
}

// NewServer starts a fake closed at the end of the test. The API is under
// /api/v1 (the adapter's BaseURL is URL()+"/api/v1").
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	f := &Server{frozen: !o.Start.IsZero(), now: o.Start, tasks: map[string]*fakeTask{},
		steps: providertest.NewClock(o.Tick)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/services/aigc/video-generation/video-synthesis", f.create)
	mux.HandleFunc("GET /api/v1/tasks/{id}", f.query)
	mux.HandleFunc("POST /api/v1/tasks/{id}/cancel", f.cancel)
	mux.HandleFunc("GET /oss/{file}", providertest.ServeMP4)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oss/") {
			mux.ServeHTTP(w, r)
			return
		}
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel"):
			f.CountCancel()
		case r.Method == http.MethodPost:
			f.CountCreate()
		default:
			f.CountPoll()
		}
		if f.Hang(r) {
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+Key {
			writeErr(w, 401, "InvalidApiKey", "Invalid API-key provided.")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// SetTick makes the task clock move one step per tick of real time from
// now on (0 stops it), as Options.Tick does from the start.
func (f *Server) SetTick(tick time.Duration) { f.steps.SetTick(tick) }

// URL is the fake's base URL; the adapter's BaseURL is URL()+"/api/v1".
func (f *Server) URL() string { return f.srv.URL }

// Advance moves every task one step and the wall clock by d.
func (f *Server) Advance(d time.Duration) {
	f.steps.Advance(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.offset += d
}

// LastBody is the JSON body of the last create that was accepted.
func (f *Server) LastBody() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastBody
}

func (f *Server) nowLocked() time.Time {
	if f.frozen {
		return f.now
	}
	return time.Now().Add(f.offset)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg,
		"request_id": "req-err"})
}

var (
	t2vSizes = []string{"832*480", "480*832", "624*624", "1280*720", "720*1280", "960*960",
		"1088*832", "832*1088", "1920*1080", "1080*1920", "1440*1440", "1632*1248",
		"1248*1632"}
	t2vParams = []string{"size", "duration", "prompt_extend", "seed", "watermark", "audio"}
	i2vParams = []string{"resolution", "duration", "prompt_extend", "seed", "watermark",
		"audio"}
)

func (f *Server) create(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-DashScope-Async") != "enable" {
		writeErr(w, 403, "AccessDenied", "current user api does not support synchronous calls")
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		writeErr(w, 400, "InvalidParameter", "content type must be application/json")
		return
	}
	var body struct {
		Model      string                     `json:"model"`
		Input      map[string]json.RawMessage `json:"input"`
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeErr(w, 400, "InvalidParameter", "malformed request body")
		return
	}
	t := &fakeTask{model: body.Model}
	if msg := checkBody(body.Model, body.Input, body.Parameters, t); msg != "" {
		writeErr(w, 400, "InvalidParameter", msg)
		return
	}
	var raw map[string]any
	_ = json.Unmarshal(mustJSON(body), &raw)
	switch p := t.prompt; {
	case strings.Contains(p, "hang"):
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		return
	case strings.Contains(p, "throttle"):
		w.Header().Set("Retry-After", "3")
		writeErr(w, 429, "Throttling.RateQuota", "Requests rate limit exceeded")
		return
	case strings.Contains(p, "arrears"):
		writeErr(w, 400, "Arrearage", "Access denied, please make sure your account is "+
			"in good standing.")
		return
	case strings.Contains(p, "boom"):
		writeErr(w, 500, "InternalError", "internal error")
		return
	}
	if after, ok := f.TakeThrottle(); ok {
		w.Header().Set("Retry-After", after)
		writeErr(w, 429, "Throttling.RateQuota", "Requests rate limit exceeded")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastBody = raw
	f.seq++
	t.id, t.born = fmt.Sprintf("0385dc79-%04d", f.seq), f.steps.Step()
	t.created = f.nowLocked()
	f.tasks[t.id] = t
	writeJSON(w, 200, map[string]any{"request_id": "req-create",
		"output": map[string]any{"task_id": t.id, "task_status": statusPending}})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// checkBody validates model, input and parameters as DashScope does and
// fills t; "" means valid.
func checkBody(model string, in, params map[string]json.RawMessage, t *fakeTask) string {
	inputs, allowed := []string{"prompt", "negative_prompt", "audio_url"}, t2vParams
	switch model {
	case modelT2V:
	case modelI2V:
		inputs, allowed = append(inputs, "img_url"), i2vParams
	default:
		return "Model not exist."
	}
	for k := range in {
		if !slices.Contains(inputs, k) {
			return "unknown input field " + k
		}
	}
	for k := range params {
		if !slices.Contains(allowed, k) {
			return "unknown parameter " + k
		}
	}
	_ = json.Unmarshal(in["prompt"], &t.prompt)
	if model == modelT2V && t.prompt == "" {
		return "prompt is required"
	}
	var neg string
	_ = json.Unmarshal(in["negative_prompt"], &neg)
	if utf8.RuneCountInString(neg) > 500 {
		return "negative_prompt is too long"
	}
	if model == modelI2V {
		var img string
		if json.Unmarshal(in["img_url"], &img) != nil || img == "" {
			return "img_url is required"
		}
		if json.Unmarshal(params["resolution"], &t.resolution) != nil ||
			!slices.Contains([]string{"480P", "720P", "1080P"}, t.resolution) {
			return "resolution must be 480P, 720P or 1080P"
		}
	} else {
		t.size = "1920*1080"
		if raw, ok := params["size"]; ok {
			if json.Unmarshal(raw, &t.size) != nil || !slices.Contains(t2vSizes, t.size) {
				return "The size is not match the model."
			}
		}
	}
	t.duration = 5
	if raw, ok := params["duration"]; ok {
		if json.Unmarshal(raw, &t.duration) != nil || (t.duration != 5 && t.duration != 10) {
			return "duration must be the integer 5 or 10"
		}
	}
	if raw, ok := params["seed"]; ok {
		var seed int64
		if json.Unmarshal(raw, &seed) != nil || seed < 0 || seed > 2147483647 {
			return "seed out of range"
		}
	}
	for _, k := range []string{"audio", "prompt_extend", "watermark"} {
		var b bool
		if raw, ok := params[k]; ok && json.Unmarshal(raw, &b) != nil {
			return k + " must be a boolean"
		}
	}
	return ""
}

const retention = 24 * time.Hour

func (f *Server) query(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[r.PathValue("id")]
	if t == nil || f.nowLocked().Sub(t.created) > retention {
		writeJSON(w, 200, map[string]any{"request_id": "req-q", "output": map[string]any{
			"task_id": r.PathValue("id"), "task_status": statusUnknown}})
		return
	}
	out := map[string]any{"task_id": t.id, "task_status": f.statusLocked(t),
		"submit_time": t.created.UTC().Format("2006-01-02 15:04:05.000")}
	ans := map[string]any{"request_id": "req-q", "output": out}
	switch out["task_status"] {
	case statusFailed:
		out["code"], out["message"] = "DataInspectionFailed",
			"Input data may contain inappropriate content."
	case statusSucceeded:
		size := t.size
		if size == "" {
			size = map[string]string{"720P": "1280*720", "1080P": "1920*1080"}[t.resolution]
		}
		out["video_url"] = f.srv.URL + "/oss/" + t.id +
			".mp4?Expires=1&OSSAccessKeyId=x&Signature=y"
		out["actual_prompt"] = "rewritten: " + t.prompt
		d := fmt.Sprint(t.duration)
		ans["usage"] = map[string]any{"duration": d, "output_video_duration": d,
			"video_count": "1", "SR": "1080", "size": size}
	}
	writeJSON(w, 200, ans)
}

func (f *Server) statusLocked(t *fakeTask) string {
	switch age := f.steps.Step() - t.born; {
	case t.canceled:
		return statusCanceled
	case age <= 0:
		return statusPending
	case age == 1:
		return statusRunning
	case strings.Contains(t.prompt, "moderate"):
		return statusFailed
	}
	return statusSucceeded
}

func (f *Server) cancel(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[r.PathValue("id")]
	if t == nil {
		writeErr(w, 404, "NotFound", "task not found")
		return
	}
	if f.statusLocked(t) != statusPending {
		writeErr(w, 400, "UnsupportedOperation", "only PENDING tasks can be canceled")
		return
	}
	t.canceled = true
	writeJSON(w, 200, map[string]any{"request_id": "req-c"})
}
