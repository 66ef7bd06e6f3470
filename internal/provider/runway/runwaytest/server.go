// Package runwaytest is a strict fake of Runway's developer API for tests:
// the runway adapter's own tests and the engine's end-to-end tests. It must
// not be imported by production code.
//
// Tasks move PENDING → RUNNING (progress) → terminal, one state per step of
// a Clock that tests step with Advance or let run with Options.Tick. The
// prompt picks the path: "busy" waits THROTTLED, "unsafe" fails moderation
// (SAFETY.INPUT.TEXT), "glitch" fails the quality check
// (INTERNAL.BAD_OUTPUT.CODE01); anything else succeeds with a real 1 s
// 640x360 MP4 (or a PNG for text_to_image) served by the fake itself. Key
// authenticates, BrokeKey has no credits, any other key gets 401.
package runwaytest

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

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// API keys the fake knows.
const (
	// Key is the API key the fake accepts.
	Key = "key_fake0123456789abcdef"
	// BrokeKey authenticates an organization without credits.
	BrokeKey = "key_broke0123456789abcdef"
)

// fakeSpec is what the fake accepts per model and endpoint (PROVIDERS.md
// §2.3).
type fakeSpec struct {
	endpoints []string
	ratios    map[string][]string // by endpoint
	durations []float64
	fields    []string // optional fields beyond the common ones
}

var gen4 = []string{"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
var veo = []string{"1280:720", "720:1280", "1080:1920", "1920:1080"}

var fakeModels = map[string]fakeSpec{
	"gen4_turbo": {endpoints: []string{"image_to_video"},
		ratios:    map[string][]string{"image_to_video": gen4},
		durations: []float64{2, 3, 4, 5, 6, 7, 8, 9, 10}, fields: []string{"contentModeration"}},
	"gen4.5": {endpoints: []string{"image_to_video", "text_to_video"},
		ratios: map[string][]string{"image_to_video": gen4,
			"text_to_video": {"1280:720", "720:1280"}},
		durations: []float64{2, 3, 4, 5, 6, 7, 8, 9, 10}, fields: []string{"contentModeration"}},
	"veo3": {endpoints: []string{"image_to_video", "text_to_video"},
		ratios:    map[string][]string{"image_to_video": veo, "text_to_video": veo},
		durations: []float64{8}, fields: []string{"negativePrompt"}},
	"veo3.1": {endpoints: []string{"image_to_video", "text_to_video"},
		ratios:    map[string][]string{"image_to_video": veo, "text_to_video": veo},
		durations: []float64{4, 6, 8}, fields: []string{"negativePrompt", "audio"}},
	"veo3.1_fast": {endpoints: []string{"image_to_video", "text_to_video"},
		ratios:    map[string][]string{"image_to_video": veo, "text_to_video": veo},
		durations: []float64{4, 6, 8}, fields: []string{"negativePrompt", "audio"}},
	"gen4_image": {endpoints: []string{"text_to_image"},
		ratios: map[string][]string{"text_to_image": {"1920:1080", "1080:1920", "1024:1024",
			"1360:768", "1080:1080", "1280:720", "720:1280", "720:720", "1680:720",
			"2112:912"}},
		fields: []string{"referenceImages", "contentModeration"}},
}

type fakeTask struct {
	id, endpoint, prompt string
	born                 int
	canceled, deleted    bool
}

// Options configure a Server.
type Options struct {
	// Tick, when positive, moves the clock one step per Tick of real time.
	Tick time.Duration
}

// Server is a strict stand-in for api.dev.runwayml.com. Its knobs (Knobs)
// make the next create 429 or every call hang; it counts creates and
// cancels (DELETE calls).
type Server struct {
	providertest.Knobs
	srv   *httptest.Server
	clock *providertest.Clock

	mu       sync.Mutex
	tasks    map[string]*fakeTask
	next     int
	lastBody map[string]any
	lastPath string
}

// NewServer starts a fake closed at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	f := &Server{tasks: map[string]*fakeTask{}, clock: providertest.NewClock(o.Tick)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// SetTick makes the task clock move one step per tick of real time from
// now on (0 stops it), as Options.Tick does from the start.
func (f *Server) SetTick(tick time.Duration) { f.clock.SetTick(tick) }

// URL is the fake's base URL (the adapter's BaseURL).
func (f *Server) URL() string { return f.srv.URL }

// Advance moves the fake clock n steps.
func (f *Server) Advance(n int) { f.clock.Advance(n) }

// LastBody is the JSON body of the last create that was valid JSON.
func (f *Server) LastBody() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastBody
}

// LastPath is the URL path of the last create.
func (f *Server) LastPath() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastPath
}

func fail(w http.ResponseWriter, status int, msg string, issues ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"error": msg}
	if len(issues) > 0 {
		body["issues"] = issues
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/cdn/") {
		if strings.HasSuffix(r.URL.Path, ".png") {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(providertest.PNG(1080, 1080))
			return
		}
		providertest.ServeMP4(w, r)
		return
	}
	endpoint, isCreate := strings.CutPrefix(r.URL.Path, "/v1/")
	id, isTask := strings.CutPrefix(r.URL.Path, "/v1/tasks/")
	switch {
	case r.Method == http.MethodPost && isCreate && !isTask:
		f.CountCreate()
	case r.Method == http.MethodDelete && isTask:
		f.CountCancel()
	}
	if f.Hang(r) {
		return
	}
	if r.Header.Get("X-Runway-Version") != "2024-11-06" {
		fail(w, http.StatusBadRequest, "The X-Runway-Version header is required and must be "+
			"set to a supported version.")
		return
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + Key, "Bearer " + BrokeKey:
	default:
		fail(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && isCreate && !isTask:
		if r.Header.Get("Authorization") == "Bearer "+BrokeKey {
			fail(w, http.StatusBadRequest, "You do not have enough credits to run this task.")
			return
		}
		f.create(w, r, endpoint)
	case r.Method == http.MethodGet && isTask:
		f.CountPoll()
		t, ok := f.tasks[id]
		if !ok || t.deleted {
			fail(w, http.StatusNotFound, "Task not found.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.render(t))
	case r.Method == http.MethodDelete && isTask:
		t, ok := f.tasks[id]
		if !ok || t.deleted {
			fail(w, http.StatusNotFound, "Task not found.")
			return
		}
		if f.render(t)["status"] == "PENDING" || f.render(t)["status"] == "THROTTLED" ||
			f.render(t)["status"] == "RUNNING" {
			t.canceled = true
		} else {
			t.deleted = true
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(w, http.StatusMethodNotAllowed, "Method not allowed.")
	}
}

func (f *Server) create(w http.ResponseWriter, r *http.Request, endpoint string) {
	if after, ok := f.TakeThrottle(); ok {
		w.Header().Set("Retry-After", after)
		fail(w, http.StatusTooManyRequests, "You have exceeded the rate limit.")
		return
	}
	var body map[string]any
	if r.Header.Get("Content-Type") != "application/json" ||
		json.NewDecoder(r.Body).Decode(&body) != nil {
		fail(w, http.StatusBadRequest, "Request body must be JSON.")
		return
	}
	f.lastBody, f.lastPath = body, r.URL.Path
	if msg := validate(endpoint, body); msg != "" {
		fail(w, http.StatusBadRequest, "Validation of body failed", msg)
		return
	}
	t := &fakeTask{id: fmt.Sprintf("17f20503-6c24-4c16-946b-%012d", f.next), endpoint: endpoint,
		born: f.clock.Step()}
	t.prompt, _ = body["promptText"].(string)
	f.next++
	f.tasks[t.id] = t
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": t.id})
}

// validate checks a create body as Runway's schema does and returns the
// first issue.
func validate(endpoint string, body map[string]any) string {
	name, _ := body["model"].(string)
	spec, ok := fakeModels[name]
	if !ok || !slices.Contains(spec.endpoints, endpoint) {
		return fmt.Sprintf("model: invalid model %q for %s", name, endpoint)
	}
	allowed := append([]string{"model", "promptText", "ratio", "seed"}, spec.fields...)
	if endpoint != "text_to_image" {
		allowed = append(allowed, "duration")
	}
	if endpoint == "image_to_video" {
		allowed = append(allowed, "promptImage")
	}
	for k := range body {
		if !slices.Contains(allowed, k) {
			return "Unrecognized key(s) in object: '" + k + "'"
		}
	}
	if ratio, _ := body["ratio"].(string); !slices.Contains(spec.ratios[endpoint], ratio) {
		return "ratio: Invalid enum value for " + name
	}
	prompt, hasPrompt := body["promptText"].(string)
	if (endpoint != "image_to_video" && !hasPrompt) || (hasPrompt && prompt == "") ||
		len(prompt) > 1000 {
		return "promptText: must be 1 to 1000 characters"
	}
	if endpoint == "image_to_video" {
		if img, _ := body["promptImage"].(string); !strings.HasPrefix(img, "https://") &&
			!strings.HasPrefix(img, "data:image/") {
			return "promptImage: Invalid url"
		}
	}
	if endpoint != "text_to_image" {
		if d, ok := body["duration"].(float64); !ok || !slices.Contains(spec.durations, d) {
			return fmt.Sprintf("duration: invalid value %v for %s", body["duration"], name)
		}
	}
	if a, ok := body["audio"]; ok {
		if _, isBool := a.(bool); !isBool {
			return "audio: Expected boolean"
		}
	}
	return ""
}

// render is the task at the current tick. The prompt picks the path:
// "busy" waits THROTTLED, "unsafe" fails moderation, "glitch" fails the
// quality check.
func (f *Server) render(t *fakeTask) map[string]any {
	age := f.clock.Step() - t.born
	out := map[string]any{"id": t.id, "createdAt": "2025-10-01T12:00:00.000Z"}
	busy := strings.Contains(t.prompt, "busy")
	if busy {
		age -= 2 // two extra ticks in THROTTLED
	}
	switch {
	case t.canceled:
		out["status"] = "CANCELLED"
	case age < 0:
		out["status"] = "THROTTLED"
	case age == 0:
		out["status"] = "PENDING"
		if busy {
			out["status"] = "THROTTLED"
		}
	case age < 3:
		out["status"], out["progress"] = "RUNNING", float64(age)/3
	case strings.Contains(t.prompt, "unsafe"):
		out["status"], out["failureCode"] = "FAILED", "SAFETY.INPUT.TEXT"
		out["failure"] = "Your prompt was flagged by our content moderation system."
	case strings.Contains(t.prompt, "glitch"):
		out["status"], out["failureCode"] = "FAILED", "INTERNAL.BAD_OUTPUT.CODE01"
		out["failure"] = "An unexpected error occurred."
	default:
		ext := ".mp4"
		if t.endpoint == "text_to_image" {
			ext = ".png"
		}
		out["status"] = "SUCCEEDED"
		out["output"] = []string{f.srv.URL + "/cdn/" + t.id + ext +
			"?_jwt=eyJhbGciOiJIUzI1NiJ9.e30.x"}
	}
	return out
}
