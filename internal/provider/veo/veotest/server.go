// Package veotest is a fake of the Google endpoints Veo uses (Vertex AI
// predictLongRunning and fetchPredictOperation, the Gemini API's
// operations and file downloads, the OAuth token endpoint and Cloud
// Storage) for tests: the veo adapter's own tests and the engine's
// end-to-end tests. It must not be imported by production code.
//
// Operations finish two steps after their create on a Clock that tests
// move with Advance or let run with Options.Tick. The prompt picks the
// outcome: "filtered" is blocked by the safety filter, "invalid" fails with
// INVALID_ARGUMENT, anything else succeeds with a real 1 s 640x360 MP4
// (Video). APIKey authenticates the Gemini route; ServiceAccount the
// Vertex route.
package veotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/reelforge/reelforge/internal/provider/providertest"
)

// SigningKey is the service account's RSA key, one per process: generating
// keys is slow on shared machines.
var SigningKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	return k
})

// Identities the fake knows.
const (
	// Project is the Google Cloud project of the service account.
	Project = "proj-1"
	// Email is the service account's client_email.
	Email = "veo@proj-1.iam.gserviceaccount.com"
	// APIKey is the Gemini API key the fake accepts.
	APIKey = "AIzaFakeKeyForTests0001"
)

// Wire values of the Google APIs.
const (
	apiKeyHeader       = "x-goog-api-key"
	cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
)

// Video is the file every successful operation produces: a real 1 s
// 640x360 MP4.
func Video() []byte { return providertest.MP4() }

// Options configure a Server.
type Options struct {
	// Tick, when positive, moves the clock one step per Tick of real time.
	Tick time.Duration
}

// Server speaks the Vertex AI, Gemini API, OAuth token and Cloud Storage
// protocols Veo uses. Its knobs (Knobs) make the next create 429 or every
// call hang; FailNext answers the next call with anything. It counts
// creates; Veo has no cancel call.
type Server struct {
	providertest.Knobs
	t     testing.TB
	srv   *httptest.Server
	clock *providertest.Clock

	mu       sync.Mutex
	tokens   map[string]bool
	grants   int
	ops      map[string]*fakeOp
	seq      int
	creates  []map[string]any
	calls    int
	failNext func(w http.ResponseWriter) // answers the next API call instead
	files    map[string]string           // Gemini file id → bytes
	gcs      map[string]string           // bucket/object → bytes
}

type fakeOp struct {
	name, model, prompt string
	gemini              bool
	doneAt              int
	storage             string
}

// NewServer starts a fake closed at the end of the test.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	f := &Server{t: t, tokens: map[string]bool{}, ops: map[string]*fakeOp{},
		files: map[string]string{}, gcs: map[string]string{},
		clock: providertest.NewClock(o.Tick)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// SetTick makes the task clock move one step per tick of real time from
// now on (0 stops it), as Options.Tick does from the start.
func (f *Server) SetTick(tick time.Duration) { f.clock.SetTick(tick) }

// URL is the fake's base URL (the adapter's BaseURL, and its Cloud Storage
// base).
func (f *Server) URL() string { return f.srv.URL }

// Advance moves the fake clock n steps.
func (f *Server) Advance(n int) { f.clock.Advance(n) }

// FailNext makes answer respond to the next API call (not the token
// endpoint) instead of the fake.
func (f *Server) FailNext(answer func(w http.ResponseWriter)) {
	f.mu.Lock()
	f.failNext = answer
	f.mu.Unlock()
}

// Grants is the number of access tokens the token endpoint issued.
func (f *Server) Grants() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grants
}

// Calls is the number of API calls (not token grants) the fake received.
func (f *Server) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// CreateBodies are the JSON bodies of the accepted creates, in order.
func (f *Server) CreateBodies() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.creates)
}

// ServiceAccount is a service-account JSON document for key whose
// token_uri is the fake's token endpoint; with SigningKey() it selects the
// Vertex route and authenticates.
func (f *Server) ServiceAccount(key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	b, _ := json.Marshal(map[string]string{"type": "service_account",
		"project_id": Project, "private_key_id": "kid-1", "private_key": string(pemKey),
		"client_email": Email, "client_id": "1", "token_uri": f.srv.URL + "/token"})
	return string(b)
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

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, ":predictLongRunning"):
		f.CountCreate()
	case strings.HasSuffix(p, ":fetchPredictOperation"),
		strings.HasPrefix(p, "/v1beta/models/") && r.Method == http.MethodGet:
		f.CountPoll()
	}
	f.mu.Lock()
	f.calls++
	fail := f.failNext
	f.failNext = nil
	f.mu.Unlock()
	if f.Hang(r) {
		return
	}
	if fail != nil {
		fail(w)
		return
	}
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/v1/projects/"):
		if !f.bearerOK(r) {
			GoogleError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
			return
		}
		f.serveVertex(w, r)
	case strings.HasPrefix(p, "/storage/v1/b/"):
		if !f.bearerOK(r) {
			GoogleError(w, 401, "UNAUTHENTICATED", "Invalid Credentials")
			return
		}
		f.serveGCS(w, r)
	case strings.HasPrefix(p, "/v1beta/"):
		switch key := r.Header.Get(apiKeyHeader); {
		case r.URL.Query().Get("key") != "":
			f.t.Errorf("API key sent in the query string")
		case key == "":
			GoogleError(w, 403, "PERMISSION_DENIED",
				"Method doesn't allow unregistered callers.")
			return
		case key != APIKey:
			GoogleError(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid "+
				"API key.", map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID", "domain": "googleapis.com"})
			return
		}
		f.serveGemini(w, r)
	default:
		GoogleError(w, 404, "NOT_FOUND", "no such path")
	}
}

// serveToken checks the RS256 JWT-bearer grant the way Google's token
// endpoint does and issues an access token.
func (f *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	refuse := func(why string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant",
			"error_description": why})
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		refuse("bad request")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		refuse("unsupported grant_type")
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims,
		func(*jwt.Token) (any, error) { return &SigningKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(Email),
		jwt.WithAudience(f.srv.URL+"/token"), jwt.WithExpirationRequired())
	if err != nil {
		refuse("Invalid JWT Signature.")
		return
	}
	if scope, _ := claims["scope"].(string); !slices.Contains(strings.Fields(scope),
		cloudPlatformScope) {
		refuse("missing scope")
		return
	}
	f.mu.Lock()
	f.grants++
	tok := fmt.Sprintf("ya29.fake-%d", f.grants)
	f.tokens[tok] = true
	f.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": 3600})
}

func (f *Server) bearerOK(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return ok && f.tokens[tok]
}

var fakeModels = []string{"veo-3.0-generate-001", "veo-3.0-fast-generate-001",
	"veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"}

func (f *Server) serveVertex(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1/")
	path, method, _ := strings.Cut(rest, ":")
	seg := strings.Split(path, "/")
	if r.Method != http.MethodPost || len(seg) != 8 || seg[1] != Project ||
		seg[3] != "us-central1" || !slices.Contains(fakeModels, seg[7]) {
		GoogleError(w, 404, "NOT_FOUND", "Publisher model not found")
		return
	}
	switch method {
	case "predictLongRunning":
		f.create(w, r, seg[7], false)
	case "fetchPredictOperation":
		var body struct {
			OperationName string `json:"operationName"`
		}
		if !decodeStrict(w, r, &body) {
			return
		}
		f.answerOp(w, body.OperationName, seg[7])
	default:
		GoogleError(w, 404, "NOT_FOUND", "unknown method")
	}
}

func (f *Server) serveGemini(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1beta/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(rest, ":predictLongRunning"):
		model := strings.TrimSuffix(strings.TrimPrefix(rest, "models/"), ":predictLongRunning")
		if !slices.Contains(fakeModels, model) {
			GoogleError(w, 404, "NOT_FOUND", "models/"+model+" is not found")
			return
		}
		f.create(w, r, model, true)
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "models/"):
		f.answerOp(w, rest, "")
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "files/"):
		id := strings.TrimSuffix(strings.TrimPrefix(rest, "files/"), ":download")
		f.mu.Lock()
		data, ok := f.files[id]
		f.mu.Unlock()
		if !ok || r.URL.Query().Get("alt") != "media" {
			GoogleError(w, 404, "NOT_FOUND", "file not found")
			return
		}
		_, _ = io.WriteString(w, data)
	default:
		GoogleError(w, 404, "NOT_FOUND", "no such method")
	}
}

func (f *Server) serveGCS(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/storage/v1/b/")
	bucket, object, ok := strings.Cut(rest, "/o/")
	if !ok || r.URL.Query().Get("alt") != "media" || strings.Contains(object, "/") {
		GoogleError(w, 400, "INVALID_ARGUMENT", "bad object path")
		return
	}
	name, _ := urlUnescape(object)
	f.mu.Lock()
	data, found := f.gcs[bucket+"/"+name]
	f.mu.Unlock()
	if !found {
		GoogleError(w, 404, "NOT_FOUND", "No such object")
		return
	}
	_, _ = io.WriteString(w, data)
}

// fakeCreateBody is the request schema; unknown fields are refused.
type fakeCreateBody struct {
	Instances []struct {
		Prompt string `json:"prompt"`
		Image  *struct {
			BytesBase64Encoded string `json:"bytesBase64Encoded"`
			GCSURI             string `json:"gcsUri"`
			MimeType           string `json:"mimeType"`
		} `json:"image"`
	} `json:"instances"`
	Parameters struct {
		AspectRatio      string `json:"aspectRatio"`
		DurationSeconds  int    `json:"durationSeconds"`
		Resolution       string `json:"resolution"`
		GenerateAudio    *bool  `json:"generateAudio"`
		SampleCount      int    `json:"sampleCount"`
		NegativePrompt   string `json:"negativePrompt"`
		Seed             *int64 `json:"seed"`
		StorageURI       string `json:"storageUri"`
		PersonGeneration string `json:"personGeneration"`
		EnhancePrompt    *bool  `json:"enhancePrompt"`
	} `json:"parameters"`
}

func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		GoogleError(w, 400, "INVALID_ARGUMENT", "content type must be JSON")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		GoogleError(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return false
	}
	return true
}

func (f *Server) create(w http.ResponseWriter, r *http.Request, model string, gemini bool) {
	if after, ok := f.TakeThrottle(); ok {
		GoogleError(w, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for base model "+model,
			map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo",
				"retryDelay": after + "s"})
		return
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(raw)))
	var body fakeCreateBody
	if !decodeStrict(w, r, &body) {
		return
	}
	bad := func(msg string) { GoogleError(w, 400, "INVALID_ARGUMENT", msg) }
	p := body.Parameters
	switch {
	case len(body.Instances) != 1:
		bad("exactly one instance is supported")
	case strings.TrimSpace(body.Instances[0].Prompt) == "":
		bad("prompt is required")
	case p.AspectRatio != "16:9" && p.AspectRatio != "9:16":
		bad("aspectRatio must be 16:9 or 9:16")
	case !slices.Contains([]int{4, 6, 8}, p.DurationSeconds):
		bad(fmt.Sprintf("Duration %d is not supported for this model.", p.DurationSeconds))
	case p.Resolution != "720p" && p.Resolution != "1080p":
		bad("resolution must be 720p or 1080p")
	case p.SampleCount < 1 || p.SampleCount > 4:
		bad("sampleCount must be 1 to 4")
	case gemini && (p.GenerateAudio != nil || p.Seed != nil || p.StorageURI != ""):
		bad("generateAudio, seed and storageUri are not supported by the Gemini API")
	case !gemini && p.GenerateAudio == nil:
		bad("generateAudio is required for Veo 3")
	case body.Instances[0].Image != nil && !validImage(body.Instances[0].Image.
		BytesBase64Encoded, body.Instances[0].Image.GCSURI, body.Instances[0].Image.MimeType,
		gemini):
		bad("image must carry bytesBase64Encoded or gcsUri and a mimeType")
	default:
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		f.mu.Lock()
		f.seq++
		id := fmt.Sprintf("op-%04d", f.seq)
		name := "models/" + model + "/operations/" + id
		if !gemini {
			name = "projects/" + Project + "/locations/us-central1/publishers/google/" +
				"models/" + model + "/operations/" + id
		}
		f.ops[name] = &fakeOp{name: name, model: model, prompt: body.Instances[0].Prompt,
			gemini: gemini, doneAt: f.clock.Step() + 2, storage: p.StorageURI}
		f.creates = append(f.creates, m)
		f.mu.Unlock()
		writeJSON(w, map[string]string{"name": name})
	}
}

func validImage(b64, gcs, mime string, gemini bool) bool {
	if mime == "" || (b64 == "") == (gcs == "") || (gemini && gcs != "") {
		return false
	}
	if b64 != "" {
		_, err := base64.StdEncoding.DecodeString(b64)
		return err == nil
	}
	return strings.HasPrefix(gcs, "gs://")
}

// answerOp reports an operation. The prompt picks the outcome: "filtered"
// is blocked by the safety filter, "invalid" fails with INVALID_ARGUMENT,
// anything else succeeds.
func (f *Server) answerOp(w http.ResponseWriter, name, model string) {
	f.mu.Lock()
	op, ok := f.ops[name]
	tick := f.clock.Step()
	f.mu.Unlock()
	if !ok || (model != "" && op.model != model) {
		GoogleError(w, 404, "NOT_FOUND", "Operation not found")
		return
	}
	if tick < op.doneAt {
		writeJSON(w, map[string]any{"name": name}) // "done" omitted, as Google does
		return
	}
	out := map[string]any{"name": name, "done": true}
	switch {
	case strings.Contains(op.prompt, "invalid"):
		out["error"] = map[string]any{"code": 3, "message": "Duration is not supported."}
	case strings.Contains(op.prompt, "filtered"):
		reasons := []string{"The prompt contains content that violates our policies. " +
			"Support codes: 29310472"}
		if op.gemini {
			out["response"] = map[string]any{"@type": "type.googleapis.com/google.ai." +
				"generativelanguage.v1beta.PredictLongRunningResponse",
				"generateVideoResponse": map[string]any{"raiMediaFilteredCount": 1,
					"raiMediaFilteredReasons": reasons}}
		} else {
			out["response"] = map[string]any{"raiMediaFilteredCount": 1,
				"raiMediaFilteredReasons": reasons}
		}
	case op.gemini:
		id := strings.TrimPrefix(op.name[strings.LastIndex(op.name, "/")+1:], "op-")
		f.mu.Lock()
		f.files["vid"+id] = string(providertest.MP4())
		f.mu.Unlock()
		out["response"] = map[string]any{"generateVideoResponse": map[string]any{
			"generatedSamples": []any{map[string]any{"video": map[string]any{
				"uri": f.srv.URL + "/v1beta/files/vid" + id + ":download?alt=media"}}}}}
	case op.storage != "":
		obj := strings.TrimPrefix(op.storage, "gs://") + "1234/sample_0.mp4"
		f.mu.Lock()
		f.gcs[obj] = string(providertest.MP4())
		f.mu.Unlock()
		out["response"] = map[string]any{"raiMediaFilteredCount": 0,
			"videos": []any{map[string]any{"gcsUri": "gs://" + obj, "mimeType": "video/mp4"}}}
	default:
		out["response"] = map[string]any{"videos": []any{map[string]any{
			"bytesBase64Encoded": base64.StdEncoding.EncodeToString(providertest.MP4()),
			"mimeType":           "video/mp4"}}}
	}
	writeJSON(w, out)
}

func urlUnescape(s string) (string, error) { return url.PathUnescape(s) }
