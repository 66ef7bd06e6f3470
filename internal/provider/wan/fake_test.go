package wan

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
)

const testKey = "sk-test0123456789abcdef"

// fakeDashScope speaks DashScope's async task API strictly: bearer key,
// X-DashScope-Async on creates, bodies checked field by field, tasks moving
// PENDING → RUNNING → SUCCEEDED/FAILED one step per advance and UNKNOWN
// once the 24 h retention has passed on its clock. Usage numbers come as
// strings, as DashScope sometimes sends them. Prompts steer refusals:
// "throttle" (429 with Retry-After), "arrears" (400 Arrearage), "boom"
// (500), "hang" (no answer), "moderate" (task fails moderation).
type fakeDashScope struct {
	srv *httptest.Server

	mu       sync.Mutex
	now      time.Time
	tick     int
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

func newFakeDashScope(t *testing.T) *fakeDashScope {
	t.Helper()
	f := &fakeDashScope{now: time.Unix(1_759_150_000, 0), tasks: map[string]*fakeTask{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/services/aigc/video-generation/video-synthesis", f.create)
	mux.HandleFunc("GET /api/v1/tasks/{id}", f.query)
	mux.HandleFunc("POST /api/v1/tasks/{id}/cancel", f.cancel)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			writeErr(w, 401, "InvalidApiKey", "Invalid API-key provided.")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDashScope) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tick++
	f.now = f.now.Add(d)
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

func (f *fakeDashScope) create(w http.ResponseWriter, r *http.Request) {
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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastBody = raw
	f.seq++
	t.id, t.born, t.created = fmt.Sprintf("0385dc79-%04d", f.seq), f.tick, f.now
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

func (f *fakeDashScope) query(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[r.PathValue("id")]
	if t == nil || f.now.Sub(t.created) > retention {
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
		out["video_url"] = "https://dashscope-result.example.test/" + t.id +
			".mp4?Expires=1&OSSAccessKeyId=x&Signature=y"
		out["actual_prompt"] = "rewritten: " + t.prompt
		d := fmt.Sprint(t.duration)
		ans["usage"] = map[string]any{"duration": d, "output_video_duration": d,
			"video_count": "1", "SR": "1080", "size": size}
	}
	writeJSON(w, 200, ans)
}

func (f *fakeDashScope) statusLocked(t *fakeTask) string {
	switch age := f.tick - t.born; {
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

func (f *fakeDashScope) cancel(w http.ResponseWriter, r *http.Request) {
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
