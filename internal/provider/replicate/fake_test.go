package replicate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken   = "r8_fakeTokenForTests0123456789"
	brokeToken  = "r8_brokeTokenNoCredit000000000"
	testVersion = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
)

// field describes one input of a fake model: its JSON type and, when set,
// the values it allows.
type field struct {
	typ    string // "string", "integer", "boolean", "number"
	values []any
	req    bool
}

// fakeModels mirrors the schemas of PROVIDERS.md §1.10 closely enough that
// a wrong field name, type or enum value is refused as Replicate does.
var fakeModels = map[string]map[string]field{
	"kwaivgi/kling-v2.1": {"prompt": {typ: "string", req: true},
		"start_image": {typ: "string", req: true}, "negative_prompt": {typ: "string"},
		"mode":      {typ: "string", values: []any{"standard", "pro"}},
		"duration":  {typ: "integer", values: []any{5.0, 10.0}},
		"end_image": {typ: "string"}},
	"google/veo-3": {"prompt": {typ: "string", req: true}, "image": {typ: "string"},
		"aspect_ratio":    {typ: "string", values: []any{"16:9", "9:16"}},
		"resolution":      {typ: "string", values: []any{"720p", "1080p"}},
		"negative_prompt": {typ: "string"}, "generate_audio": {typ: "boolean"},
		"seed": {typ: "integer"}},
	"google/veo-3.1": {"prompt": {typ: "string", req: true}, "image": {typ: "string"},
		"aspect_ratio":    {typ: "string", values: []any{"16:9", "9:16"}},
		"resolution":      {typ: "string", values: []any{"720p", "1080p"}},
		"duration":        {typ: "integer", values: []any{4.0, 6.0, 8.0}},
		"negative_prompt": {typ: "string"}, "generate_audio": {typ: "boolean"},
		"seed": {typ: "integer"}, "last_frame": {typ: "string"}},
	"wan-video/wan-2.5-t2v": {"prompt": {typ: "string", req: true},
		"size": {typ: "string", values: []any{"832*480", "480*832", "1280*720", "720*1280",
			"1920*1080", "1080*1920"}},
		"duration":        {typ: "integer", values: []any{5.0, 10.0}},
		"negative_prompt": {typ: "string"}, "seed": {typ: "integer"}},
	"acme/thing": {"prompt": {typ: "string", req: true}, "duration": {typ: "integer"},
		"aspect_ratio": {typ: "string"}, "resolution": {typ: "string"},
		"image": {typ: "string"}, "seed": {typ: "integer"}, "negative_prompt": {typ: "string"}},
}

// fakeVersions maps pinned version ids to their model.
var fakeVersions = map[string]string{testVersion: "acme/thing"}

// Lifecycle on the fake clock, in ticks since creation.
const (
	ticksStarting  = 1 // starting during tick 0
	ticksDone      = 3 // processing during ticks 1 and 2
	ticksRetention = 10
)

type fakePrediction struct {
	id, model, version, webhook string
	input                       map[string]any
	events                      []string
	born                        int
	canceled                    bool
	canceledAt                  int
}

// fakeReplicate is a strict stand-in for api.replicate.com.
type fakeReplicate struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	clock       int
	preds       map[string]*fakePrediction
	next        int
	throttle    bool
	hang        time.Duration
	preferSeen  bool
	lastBody    map[string]any
	lastPath    string
	createCalls int
}

func newFake(t *testing.T) *fakeReplicate {
	t.Helper()
	f := &fakeReplicate{t: t, preds: map[string]*fakePrediction{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// advance moves the fake clock forward.
func (f *fakeReplicate) advance(n int) {
	f.mu.Lock()
	f.clock += n
	f.mu.Unlock()
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail,
		"status": status})
}

func (f *fakeReplicate) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hang := f.hang
	if r.Header.Get("Prefer") != "" {
		f.preferSeen = true
	}
	f.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
		}
		return
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + testToken:
	case "Bearer " + brokeToken:
		problem(w, http.StatusPaymentRequired, "Insufficient credit",
			"You have insufficient credit to run this model.")
		return
	default:
		problem(w, http.StatusUnauthorized, "Unauthenticated",
			"You did not pass a valid authentication token")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 5 && parts[1] == "models" &&
		parts[4] == "predictions":
		f.create(w, r, parts[2]+"/"+parts[3])
	case r.Method == http.MethodPost && r.URL.Path == "/v1/predictions":
		f.create(w, r, "")
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "predictions":
		f.get(w, parts[2], false)
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "predictions" &&
		parts[3] == "cancel":
		f.get(w, parts[2], true)
	default:
		problem(w, http.StatusNotFound, "Not found", "The requested resource does not exist")
	}
}

func (f *fakeReplicate) create(w http.ResponseWriter, r *http.Request, model string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.createCalls++
	if f.throttle {
		f.throttle = false
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"detail":"Request was throttled. ` +
			`Your rate limit resets in ~30s."}`))
		return
	}
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	if r.Header.Get("Content-Type") != "application/json" || dec.Decode(&body) != nil {
		problem(w, http.StatusBadRequest, "Bad request", "body must be a JSON object")
		return
	}
	f.lastBody, f.lastPath = body, r.URL.Path
	allowed := []string{"input", "webhook", "webhook_events_filter"}
	version, _ := body["version"].(string)
	if model == "" {
		allowed = append(allowed, "version")
		if model = fakeVersions[version]; model == "" {
			problem(w, http.StatusUnprocessableEntity, "Invalid version or not permitted",
				"The specified version does not exist (or perhaps you don't have permission "+
					"to use it?)")
			return
		}
	}
	for k := range body {
		if !slices.Contains(allowed, k) {
			problem(w, http.StatusUnprocessableEntity, "Input validation failed",
				"- "+k+": Additional property is not allowed")
			return
		}
	}
	schema, ok := fakeModels[model]
	if !ok {
		problem(w, http.StatusNotFound, "Not found", "The requested model does not exist")
		return
	}
	input, _ := body["input"].(map[string]any)
	if msg := validateInput(schema, input); msg != "" {
		problem(w, http.StatusUnprocessableEntity, "Input validation failed", msg)
		return
	}
	p := &fakePrediction{id: fmt.Sprintf("pred%04dxk2m9", f.next), model: model,
		version: version, input: input, born: f.clock}
	f.next++
	if hook, ok := body["webhook"].(string); ok {
		if !strings.HasPrefix(hook, "https://") {
			problem(w, http.StatusUnprocessableEntity, "Input validation failed",
				"- webhook: must be an HTTPS URL")
			return
		}
		p.webhook = hook
		for _, e := range body["webhook_events_filter"].([]any) {
			p.events = append(p.events, e.(string))
		}
	}
	f.preds[p.id] = p
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(f.render(p))
}

func validateInput(schema map[string]field, input map[string]any) string {
	if input == nil {
		return "- input: input is required"
	}
	for k, v := range input {
		fd, ok := schema[k]
		if !ok {
			return "- input: Additional property " + k + " is not allowed"
		}
		typ := map[string]string{"string": "string", "float64": "number",
			"bool": "boolean"}[fmt.Sprintf("%T", v)]
		if n, isNum := v.(float64); isNum && n == float64(int64(n)) {
			typ = "integer"
		}
		if typ != fd.typ && !(fd.typ == "number" && typ == "integer") {
			return fmt.Sprintf("- input.%s: Invalid type. Expected: %s, given: %s", k,
				fd.typ, typ)
		}
		if fd.values != nil && !slices.Contains(fd.values, v) {
			return fmt.Sprintf("- input.%s: %s must be one of the following: %v", k, k,
				fd.values)
		}
	}
	for k, fd := range schema {
		if _, ok := input[k]; fd.req && !ok {
			return "- input: " + k + " is required"
		}
	}
	return ""
}

func (f *fakeReplicate) get(w http.ResponseWriter, id string, cancel bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.preds[id]
	if !ok {
		problem(w, http.StatusNotFound, "Not found", "The requested resource does not exist")
		return
	}
	if cancel && !p.canceled && f.clock-p.born < ticksDone {
		p.canceled, p.canceledAt = true, f.clock
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f.render(p))
}

// render builds the prediction object as Replicate shows it at the current
// tick. The prompt picks the outcome: "nsfw" fails on the content filter,
// "crash" fails inside the model, "abort" misses its deadline, "empty"
// succeeds without output.
func (f *fakeReplicate) render(p *fakePrediction) map[string]any {
	age := f.clock - p.born
	prompt, _ := p.input["prompt"].(string)
	id := p.id
	out := map[string]any{"id": id, "model": p.model, "version": "hidden", "input": p.input,
		"logs": "", "output": nil, "error": nil, "data_removed": false, "source": "api",
		"created_at": "2025-10-01T12:00:00.000Z", "started_at": nil,
		"urls": map[string]any{"get": f.srv.URL + "/v1/predictions/" + id,
			"cancel": f.srv.URL + "/v1/predictions/" + id + "/cancel"}}
	if p.version != "" {
		out["version"] = p.version
	}
	if p.webhook != "" {
		out["webhook"], out["webhook_events_filter"] = p.webhook, p.events
	}
	switch {
	case p.canceled:
		out["status"] = "canceled"
	case age < ticksStarting:
		out["status"] = "starting"
	case strings.Contains(prompt, "abort"):
		out["status"] = "aborted"
	case age < ticksDone:
		out["status"], out["started_at"] = "processing", "2025-10-01T12:00:04.100Z"
		pct := 100 * age / ticksDone
		out["logs"] = fmt.Sprintf("loading\n %3d%%|####      | %d/%d [00:10<00:20]\n", pct,
			age, ticksDone)
	case strings.Contains(prompt, "nsfw"):
		out["status"], out["error"] = "failed", "The input or output was flagged as "+
			"sensitive. Please try again with different inputs. (E005)"
		out["metrics"] = map[string]any{"predict_time": 3.2, "total_time": 5.0}
	case strings.Contains(prompt, "crash"):
		out["status"], out["error"] = "failed", "CUDA out of memory. Tried to allocate 2.00 GiB"
	default:
		out["status"] = "succeeded"
		out["metrics"] = map[string]any{"predict_time": 126.8, "total_time": 130.9}
		if age >= ticksRetention {
			out["data_removed"] = true
		} else if !strings.Contains(prompt, "empty") {
			out["output"] = "https://replicate.delivery/xezq/" + id + "/tmpk2x9.mp4"
		}
	}
	return out
}

// sign produces the headers Replicate sends with a webhook.
func sign(secret, msgID string, ts int64, body []byte) http.Header {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", msgID, ts)
	mac.Write(body)
	h := http.Header{}
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", fmt.Sprint(ts))
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}
