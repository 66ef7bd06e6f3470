package runway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// Name is the provider name.
const Name = "runway"

// DefaultBaseURL is Runway's developer API host; paths start with /v1.
const DefaultBaseURL = "https://api.dev.runwayml.com"

// APIVersion is sent as X-Runway-Version on every call; Runway refuses
// calls without it and 2024-11-06 is the only published version.
const APIVersion = "2024-11-06"

// DefaultTimeout bounds one API call when provider.Config has no HTTPClient.
const DefaultTimeout = 30 * time.Second

// defaultConcurrency is usage tier 1's 1–2 concurrent generations; more
// tasks are accepted but wait as THROTTLED. Runway publishes daily caps,
// not a per-minute rate, so DefaultRatePerMinute stays 0.
const defaultConcurrency = 2

// maxResponseBytes caps what is read of an answer; a task is tiny.
const maxResponseBytes = 1 << 20

// imagePrefix marks the job ids of text_to_image tasks, whose outputs are
// images although Runway's task object does not say so.
const imagePrefix = "image:"

// Adapter drives Runway's developer API. It is safe for concurrent use.
type Adapter struct {
	name   string
	base   string
	key    string
	client *http.Client
	log    *slog.Logger
	caps   provider.Capabilities
}

// New builds the adapter: Credentials is the API secret; BaseURL defaults
// to DefaultBaseURL; HTTPClient to one with DefaultTimeout; Logger nil
// discards.
func New(cfg provider.Config) (*Adapter, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" {
		return nil, fmt.Errorf("runway: base URL %q is not an http(s) URL",
			provider.Sanitize(base))
	}
	name := cfg.Name
	if name == "" {
		name = Name
	}
	a := &Adapter{name: name, base: base, key: cfg.Credentials, client: cfg.HTTPClient,
		log: cfg.Logger, caps: capabilities(name)}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

// Factory returns the provider.Factory of the adapter.
func Factory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) { return New(cfg) }
}

// Name returns "runway".
func (a *Adapter) Name() string { return a.name }

// Capabilities returns the model table (see the package doc).
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// Create posts the task to /v1/image_to_video, /v1/text_to_video or
// /v1/text_to_image. Request.Params are merged into the body last (for
// example contentModeration, or a promptImage list with a last frame); they
// cannot change the model.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	if err := a.caps.Validate(req); err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	m, _ := findModel(req.Model)
	ratio, err := m.check(req)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest,
			"provider runway "+err.Error())
	}
	body := map[string]any{"model": m.caps.ID, "ratio": ratio}
	if req.Prompt != "" {
		body["promptText"] = req.Prompt
	}
	if req.Seed != nil {
		body["seed"] = *req.Seed
	}
	path := "/v1/text_to_image"
	if req.Kind.IsVideo() {
		path = "/v1/text_to_video"
		body["duration"] = req.DurationSeconds
		if req.Kind == provider.KindImageToVideo {
			path = "/v1/image_to_video"
			body["promptImage"] = req.ImageURL
		}
		if req.NegativePrompt != "" {
			body["negativePrompt"] = req.NegativePrompt
		}
		if m.audio {
			body["audio"] = req.Audio
		}
	}
	maps.Copy(body, req.Params)
	body["model"] = m.caps.ID
	raw, err := json.Marshal(body)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest,
			"encoding request: "+err.Error())
	}
	resp, err := a.call(ctx, http.MethodPost, path, raw)
	if err != nil {
		return provider.Created{}, err
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &created); err != nil || !validID(created.ID) {
		return provider.Created{}, provider.NewError(provider.CodeProviderError,
			"runway answered a create without a task id")
	}
	id := created.ID
	if req.Kind == provider.KindTextToImage {
		id = imagePrefix + id
	}
	a.log.Debug("runway: task created", "provider", a.name, "task_id", req.TaskID,
		"job_id", id, "model", m.caps.ID)
	return provider.Created{JobID: id}, nil
}

// validID accepts the ids Runway hands out (UUIDs) and nothing that could
// escape the task path.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' ||
			r == '_') {
			return false
		}
	}
	return true
}

// splitJob returns the Runway task id and whether the job made an image.
func splitJob(jobID string) (string, bool, error) {
	id, image := strings.CutPrefix(jobID, imagePrefix)
	if !validID(id) {
		return "", false, provider.NewError(provider.CodeBadRequest, "malformed job id")
	}
	return id, image, nil
}

// Get reads the task with GET /v1/tasks/{id}.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	id, image, err := splitJob(jobID)
	if err != nil {
		return provider.Status{}, err
	}
	raw, err := a.call(ctx, http.MethodGet, "/v1/tasks/"+id, nil)
	if err != nil {
		return provider.Status{}, err
	}
	t, err := decodeTask(raw)
	if err != nil {
		a.log.Warn("runway: malformed task", "provider", a.name, "job_id", jobID,
			"error", err)
		return provider.Status{}, provider.AsError(err)
	}
	st := t.status(image)
	if st.State == provider.StateFailed {
		a.log.Info("runway: task failed", "provider", a.name, "job_id", jobID,
			"status", t.Status, "error", st.Err.Message)
	}
	return st, nil
}

// Cancel stops a pending, throttled or running task with DELETE
// /v1/tasks/{id}. Because the same call deletes a finished task and its
// output, Cancel first reads the task and leaves finished ones alone; a task
// that no longer exists is not an error.
func (a *Adapter) Cancel(ctx context.Context, jobID string) error {
	st, err := a.Get(ctx, jobID)
	var pe *provider.Error
	switch {
	case errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound:
		return nil
	case err != nil:
		return err
	case st.State.Terminal():
		return nil
	}
	id, _, _ := splitJob(jobID)
	_, err = a.call(ctx, http.MethodDelete, "/v1/tasks/"+id, nil)
	if errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound {
		return nil
	}
	return err
}

// call sends one request and returns the body of a 2xx answer; everything
// else is a *provider.Error.
func (a *Adapter) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	return provider.JSONCall{Name: "runway", Method: method, URL: a.base + path, Body: body,
		Header: http.Header{"Authorization": {"Bearer " + a.key},
			"X-Runway-Version": {APIVersion}},
		MaxBytes: maxResponseBytes, MapError: httpError, Logger: a.log}.Do(ctx, a.client)
}

// httpError maps a non-2xx answer. On top of provider.FromHTTP, a refusal
// that talks about credits is quota_exhausted whatever its status, since
// Runway documents no dedicated status for an empty balance.
func httpError(status int, header http.Header, raw []byte) *provider.Error {
	e := provider.FromHTTP(status, header, raw)
	if e == nil {
		return nil
	}
	if status >= 400 && status < 500 && mentionsCredits(e.Message) {
		e.Code = provider.CodeQuotaExhausted
	}
	return e
}

func mentionsCredits(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "credit") || strings.Contains(m, "insufficient balance")
}
