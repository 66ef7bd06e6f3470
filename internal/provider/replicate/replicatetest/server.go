// Package replicatetest is a strict fake of Replicate's predictions API for
// tests: the replicate adapter's own tests and the engine's end-to-end
// tests. It must not be imported by production code.
//
// Predictions move starting → processing → terminal on a Clock that tests
// step with Advance or let run with Options.Tick. The prompt picks the
// outcome: "nsfw" fails on the content filter, "crash" fails inside the
// model, "abort" misses its deadline, "empty" succeeds without output;
// anything else succeeds with a real 1 s 640x360 MP4 served by the fake
// itself. Token authenticates, BrokeToken answers 402 (no credit), any
// other token 401.
package replicatetest

import (
	"bytes"
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

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// Credentials and the pinned version the fake knows.
const (
	// Token is the API token the fake accepts.
	Token = "r8_fakeTokenForTests0123456789"
	// BrokeToken authenticates an account without credit: creates get 402.
	BrokeToken = "r8_brokeTokenNoCredit000000000"
	// Version is a pinned version id of the model "acme/thing".
	Version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
	// WebhookSecret is a valid signing secret for Options.WebhookSecret.
	WebhookSecret = "whsec_cmVlbGZvcmdlLWZha2UtcmVwbGljYXRlLXNpZ25pbmcta2V5"
)

// Lifecycle on the fake clock, in steps since creation.
const (
	// TicksStarting: a prediction is "starting" during step 0.
	TicksStarting = 1
	// TicksDone: it is "processing" until this step, then terminal.
	TicksDone = 3
	// TicksRetention: from this step a finished prediction's output is
	// removed (data_removed).
	TicksRetention = 10
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
var fakeVersions = map[string]string{Version: "acme/thing"}

// Options configure a Server.
type Options struct {
	// Tick, when positive, moves the clock one step per Tick of real time.
	Tick time.Duration
	// WebhookSecret signs the pushes sent by Push; empty means
	// WebhookSecret.
	WebhookSecret string
	// PlainHTTPWebhooks accepts http:// webhook URLs, for an engine on a
	// loopback address; Replicate itself requires https.
	PlainHTTPWebhooks bool
}

type prediction struct {
	id, model, version, webhook string
	input                       map[string]any
	events                      []string
	born                        int
	canceled                    bool
}

// push is one webhook delivery, kept for Replay.
type push struct {
	url    string
	header http.Header
	body   []byte
}

// Server is a strict stand-in for api.replicate.com. Its knobs (Knobs) make
// the next create 429 or every call hang; it counts creates and cancels.
type Server struct {
	providertest.Knobs
	srv   *httptest.Server
	clock *providertest.Clock
	opts  Options

	mu         sync.Mutex
	preds      map[string]*prediction
	next       int
	preferSeen bool
	lastBody   map[string]any
	lastPath   string
	lastPush   *push
}

// NewServer starts a fake closed at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.WebhookSecret == "" {
		o.WebhookSecret = WebhookSecret
	}
	f := &Server{clock: providertest.NewClock(o.Tick), opts: o,
		preds: map[string]*prediction{}}
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

// LastBody is the JSON body of the last create that passed the basic
// checks; LastPath its URL path.
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

// PreferSeen reports whether any call carried a Prefer header.
func (f *Server) PreferSeen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.preferSeen
}

// WebhookEvents is the webhook_events_filter prediction id was created
// with.
func (f *Server) WebhookEvents(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.preds[id]; p != nil {
		return slices.Clone(p.events)
	}
	return nil
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail,
		"status": status})
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/delivery/") {
		providertest.ServeMP4(w, r)
		return
	}
	f.mu.Lock()
	if r.Header.Get("Prefer") != "" {
		f.preferSeen = true
	}
	f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	isCreate := r.Method == http.MethodPost && (r.URL.Path == "/v1/predictions" ||
		len(parts) == 5 && parts[1] == "models" && parts[4] == "predictions")
	isCancel := r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "predictions" &&
		parts[3] == "cancel"
	if isCreate {
		f.CountCreate()
	}
	if isCancel {
		f.CountCancel()
	}
	if f.Hang(r) {
		return
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + Token:
	case "Bearer " + BrokeToken:
		problem(w, http.StatusPaymentRequired, "Insufficient credit",
			"You have insufficient credit to run this model.")
		return
	default:
		problem(w, http.StatusUnauthorized, "Unauthenticated",
			"You did not pass a valid authentication token")
		return
	}
	switch {
	case isCreate && len(parts) == 5:
		f.create(w, r, parts[2]+"/"+parts[3])
	case isCreate:
		f.create(w, r, "")
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "predictions":
		f.CountPoll()
		f.get(w, parts[2], false)
	case isCancel:
		f.get(w, parts[2], true)
	default:
		problem(w, http.StatusNotFound, "Not found", "The requested resource does not exist")
	}
}

func (f *Server) create(w http.ResponseWriter, r *http.Request, model string) {
	if after, ok := f.TakeThrottle(); ok {
		w.Header().Set("Retry-After", after)
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"detail":"Request was throttled. ` +
			`Your rate limit resets in ~` + after + `s."}`))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
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
	p := &prediction{id: fmt.Sprintf("pred%04dxk2m9", f.next), model: model,
		version: version, input: input, born: f.clock.Step()}
	f.next++
	if hook, ok := body["webhook"].(string); ok {
		if !strings.HasPrefix(hook, "https://") &&
			!(f.opts.PlainHTTPWebhooks && strings.HasPrefix(hook, "http://")) {
			problem(w, http.StatusUnprocessableEntity, "Input validation failed",
				"- webhook: must be an HTTPS URL")
			return
		}
		p.webhook = hook
		events, _ := body["webhook_events_filter"].([]any)
		for _, e := range events {
			s, _ := e.(string)
			p.events = append(p.events, s)
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

func (f *Server) get(w http.ResponseWriter, id string, cancel bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.preds[id]
	if !ok {
		problem(w, http.StatusNotFound, "Not found", "The requested resource does not exist")
		return
	}
	if cancel && !p.canceled && f.clock.Step()-p.born < TicksDone {
		p.canceled = true
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f.render(p))
}

// render builds the prediction object as Replicate shows it at the current
// step.
func (f *Server) render(p *prediction) map[string]any {
	age := f.clock.Step() - p.born
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
	case age < TicksStarting:
		out["status"] = "starting"
	case strings.Contains(prompt, "abort"):
		out["status"] = "aborted"
	case age < TicksDone:
		out["status"], out["started_at"] = "processing", "2025-10-01T12:00:04.100Z"
		pct := 100 * age / TicksDone
		out["logs"] = fmt.Sprintf("loading\n %3d%%|####      | %d/%d [00:10<00:20]\n", pct,
			age, TicksDone)
	case strings.Contains(prompt, "nsfw"):
		out["status"], out["error"] = "failed", "The input or output was flagged as "+
			"sensitive. Please try again with different inputs. (E005)"
		out["metrics"] = map[string]any{"predict_time": 3.2, "total_time": 5.0}
	case strings.Contains(prompt, "crash"):
		out["status"], out["error"] = "failed", "CUDA out of memory. Tried to allocate 2.00 GiB"
	default:
		out["status"] = "succeeded"
		out["metrics"] = map[string]any{"predict_time": 126.8, "total_time": 130.9}
		if age >= TicksRetention {
			out["data_removed"] = true
		} else if !strings.Contains(prompt, "empty") {
			out["output"] = f.srv.URL + "/delivery/xezq/" + id + "/tmpk2x9.mp4"
		}
	}
	return out
}

// Sign produces the headers Replicate sends with a webhook: a v1 HMAC-SHA256
// of "<msgID>.<ts>.<body>" under the whsec_ secret.
func Sign(secret, msgID string, ts int64, body []byte) http.Header {
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

// PushRequest builds the push Replicate would send for prediction id's
// current state to the webhook it was created with, signed with the
// configured secret. It becomes the push Replay repeats.
func (f *Server) PushRequest(id string) (*http.Request, error) {
	return f.pushRequest(id, f.opts.WebhookSecret)
}

// ForgedPushRequest builds the same push signed with a secret that is not
// the account's, as an attacker who knows the URL would.
func (f *Server) ForgedPushRequest(id string) (*http.Request, error) {
	return f.pushRequest(id, "whsec_"+base64.StdEncoding.EncodeToString([]byte("not-it")))
}

// ReplayRequest builds the last genuine push again, byte for byte.
func (f *Server) ReplayRequest() (*http.Request, error) {
	f.mu.Lock()
	msg := f.lastPush
	f.mu.Unlock()
	if msg == nil {
		return nil, fmt.Errorf("replicatetest: nothing pushed yet")
	}
	return msg.request()
}

// Push sends PushRequest(id) and returns the status the receiver answered.
func (f *Server) Push(id string) (int, error) {
	req, err := f.PushRequest(id)
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

func (f *Server) pushRequest(id, secret string) (*http.Request, error) {
	f.mu.Lock()
	p := f.preds[id]
	if p == nil || p.webhook == "" {
		f.mu.Unlock()
		return nil, fmt.Errorf("replicatetest: prediction %q has no webhook", id)
	}
	body, _ := json.Marshal(f.render(p))
	f.next++
	msg := &push{url: p.webhook, body: body,
		header: Sign(secret, fmt.Sprintf("msg_%s_%d", id, f.next), time.Now().Unix(), body)}
	if secret == f.opts.WebhookSecret {
		f.lastPush = msg
	}
	f.mu.Unlock()
	return msg.request()
}

func (msg *push) request() (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, msg.url, bytes.NewReader(msg.body))
	if err != nil {
		return nil, err
	}
	for k, v := range msg.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
