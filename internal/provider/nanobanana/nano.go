package nanobanana

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/googleapi"
)

// Name is the provider name used in PROVIDERS_ENABLED and logs.
const Name = "nano"

const (
	// DefaultBaseURL is the Gemini API host.
	DefaultBaseURL = "https://generativelanguage.googleapis.com"
	// DefaultTimeout bounds one generateContent call when provider.Config
	// has no HTTPClient. The call is synchronous and renders the image
	// before answering, which takes tens of seconds, so it is longer than
	// the 30 s other adapters use.
	DefaultTimeout = 120 * time.Second
	// MaxStoredResults bounds the results kept for Get; the oldest goes
	// first.
	MaxStoredResults = 64
	// ResultTTL is how long a result stays available to Get.
	ResultTTL = time.Hour
	// maxResponseBytes caps an answer: one inline image is 1–3 MB of base64.
	maxResponseBytes = 32 << 20
	apiKeyHeader     = "x-goog-api-key"
)

// Adapter calls Gemini 2.5 Flash Image. It is safe for concurrent use.
type Adapter struct {
	base   string
	apiKey string
	client *http.Client
	log    *slog.Logger
	caps   provider.Capabilities
	now    func() time.Time

	mu      sync.Mutex
	results map[string]stored
	order   []string // job ids, oldest first
}

type stored struct {
	status provider.Status
	at     time.Time
}

// New builds an Adapter. Credentials is a Gemini API key, sent in the
// x-goog-api-key header; BaseURL overrides the API host; HTTPClient
// defaults to one with DefaultTimeout; a nil Logger discards.
func New(cfg provider.Config) (*Adapter, error) {
	a := &Adapter{base: strings.TrimRight(cfg.BaseURL, "/"), apiKey: cfg.Credentials,
		client: cfg.HTTPClient, log: cfg.Logger, caps: capabilities(), now: time.Now,
		results: map[string]stored{}}
	if strings.TrimSpace(a.apiKey) == "" {
		return nil, fmt.Errorf("nano: configuring: no Gemini API key")
	}
	if a.base == "" {
		a.base = DefaultBaseURL
	}
	if u, err := url.Parse(a.base); err != nil || u.Host == "" ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("nano: configuring: BaseURL %q is not an http(s) URL",
			provider.Sanitize(a.base))
	}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

// Factory returns a provider.Factory that builds an Adapter.
func Factory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) { return New(cfg) }
}

// Name returns "nano".
func (a *Adapter) Name() string { return Name }

// Capabilities lists gemini-2.5-flash-image for text_to_image.
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// Create generates the image synchronously and returns it in
// Created.Result under a generated job id. A response without an image is
// an error: bad_request when Google names a safety or policy reason,
// provider_error otherwise.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	check := req
	check.ImageURL = "" // a reference image is allowed here, unlike in Validate
	if err := a.caps.Validate(check); err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	body, perr := buildRequest(req)
	if perr != nil {
		return provider.Created{}, perr
	}
	raw, err := a.call(ctx, "/v1beta/models/"+req.Model+":generateContent", body)
	if err != nil {
		return provider.Created{}, err
	}
	st, refused, derr := decodeResponse(raw)
	if derr != nil {
		a.log.Warn("nano: malformed response", "provider", Name, "task_id", req.TaskID,
			"error", derr)
		return provider.Created{}, provider.AsError(derr)
	}
	if refused != nil {
		a.log.Info("nano: no image generated", "provider", Name, "task_id", req.TaskID,
			"error", refused.Message)
		return provider.Created{}, refused
	}
	id, err := newJobID()
	if err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	a.remember(id, st)
	a.log.Debug("nano: image generated", "provider", Name, "task_id", req.TaskID,
		"job_id", id)
	return provider.Created{JobID: id, Result: &st}, nil
}

// Get returns the result Create stored for jobID. Results live in this
// process only, for ResultTTL and at most MaxStoredResults of them, so after
// a restart or eviction Get answers bad_request "unknown job"; the engine
// never needs Get for this provider because Create returns the result.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire()
	s, ok := a.results[jobID]
	if !ok {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest,
			"nano: unknown job; results are kept in memory for an hour")
	}
	return s.status, nil
}

// Cancel returns nil: a job is finished by the time Create returns.
func (a *Adapter) Cancel(ctx context.Context, jobID string) error { return nil }

func (a *Adapter) remember(id string, st provider.Status) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire()
	for len(a.order) >= MaxStoredResults {
		delete(a.results, a.order[0])
		a.order = a.order[1:]
	}
	a.results[id] = stored{status: st, at: a.now()}
	a.order = append(a.order, id)
}

// expire drops results older than ResultTTL; a.mu is held.
func (a *Adapter) expire() {
	cutoff := a.now().Add(-ResultTTL)
	for len(a.order) > 0 && a.results[a.order[0]].at.Before(cutoff) {
		delete(a.results, a.order[0])
		a.order = a.order[1:]
	}
}

func newJobID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("nano: generating job id: %w", err)
	}
	return "nano-" + hex.EncodeToString(b), nil
}

// call POSTs body and returns a 2xx answer; errors are *provider.Error.
func (a *Adapter) call(ctx context.Context, path string, body []byte) ([]byte, error) {
	return provider.JSONCall{Name: "nano", Method: http.MethodPost, URL: a.base + path,
		Body: body, Header: http.Header{apiKeyHeader: {a.apiKey}}, MaxBytes: maxResponseBytes,
		MapError: googleapi.MapHTTP, Logger: a.log}.Do(ctx, a.client)
}
