package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// DefaultRemoteTimeout bounds one API call of Remote when provider.Config
// has no HTTPClient. Creates and Gets answer at once; a Cancel waits for
// ffmpeg to stop, which takes well under a second.
const DefaultRemoteTimeout = 60 * time.Second

// maxResponseBytes caps what Remote reads of an answer; a job resource is a
// few hundred bytes, so anything near this is a broken or hostile server.
const maxResponseBytes = 1 << 20

// Remote is the simulator as a remote vendor: a provider.Provider that
// drives a Sim in another process through its HTTP API, exactly as the real
// adapters drive hosted models. Workers use it so that every process sees
// the same jobs (see the package doc). It is safe for concurrent use.
type Remote struct {
	base   string
	token  string
	client *http.Client
	log    *slog.Logger
	caps   provider.Capabilities
}

// NewRemote builds a Remote from cfg: BaseURL is where the Sim's Handler is
// mounted (default DefaultBaseURL, the simulator of a local `reelforge
// serve`); Credentials is the bearer token, falling back to SIM_TOKEN read
// through Getenv; HTTPClient defaults to one with DefaultRemoteTimeout;
// Logger nil discards. SIM_MAX_PARALLEL (through Getenv, default 2) must
// match the serving simulator's so that both advertise the same
// Capabilities. A malformed BaseURL or SIM_* variable is an error wrapping
// ErrInvalidConfig.
func NewRemote(cfg provider.Config) (*Remote, error) {
	sc, err := LoadConfig(cfg.Getenv)
	if err != nil {
		return nil, fmt.Errorf("sim: configuring remote: %w", err)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if err := checkBaseURL(base); err != nil {
		return nil, fmt.Errorf("sim: configuring remote: %w: BaseURL %q: %v",
			ErrInvalidConfig, provider.Sanitize(base), err)
	}
	r := &Remote{base: base, token: cfg.Credentials, client: cfg.HTTPClient, log: cfg.Logger,
		caps: capabilities(sc.MaxParallelRenders)}
	if r.token == "" {
		r.token = sc.Token
	}
	if r.client == nil {
		r.client = &http.Client{Timeout: DefaultRemoteTimeout}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// RemoteFactory returns a provider.Factory that builds a Remote, for the
// command wiring of processes that do not run the simulator themselves
// (`reelforge worker`); the provider is still named "sim".
func RemoteFactory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) {
		return NewRemote(cfg)
	}
}

// Name returns "sim": a Remote stands in for the in-process simulator.
func (r *Remote) Name() string { return Name }

// Capabilities returns exactly what the in-process simulator advertises.
func (r *Remote) Capabilities() provider.Capabilities { return r.caps }

// Create submits req with POST /v1/jobs. The simulator answers a TaskID it
// already knows with the existing job, so a Create retried after a crash
// never starts a second render.
func (r *Remote) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	body, err := json.Marshal(toWireRequest(req))
	if err != nil {
		e := provider.NewError(provider.CodeBadRequest, "encoding request: "+err.Error())
		return provider.Created{}, e
	}
	id, _, err := r.job(ctx, http.MethodPost, "/v1/jobs", body)
	if err != nil {
		return provider.Created{}, err
	}
	r.log.Debug("sim: remote job created", "provider", Name, "task_id", req.TaskID,
		"job_id", id)
	return provider.Created{JobID: id}, nil
}

// Get reads the job with GET /v1/jobs/{id}. An id the simulator does not
// know (it restarted) is bad_request, as with the in-process simulator.
func (r *Remote) Get(ctx context.Context, jobID string) (provider.Status, error) {
	if jobID == "" {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	_, st, err := r.job(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(jobID), nil)
	return st, err
}

// Find looks up the job created for a task id with GET
// /v1/tasks/{task_id}/job; a 404 means none.
func (r *Remote) Find(ctx context.Context, taskID string) (string, bool, error) {
	id, _, err := r.job(ctx, http.MethodGet, "/v1/tasks/"+url.PathEscape(taskID)+"/job", nil)
	var pe *provider.Error
	if errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return id, true, nil
}

// Cancel stops the job with POST /v1/jobs/{id}/cancel, which returns once
// the render has stopped. Cancelling a finished job is not an error.
func (r *Remote) Cancel(ctx context.Context, jobID string) error {
	if jobID == "" {
		return provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	_, _, err := r.job(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(jobID)+"/cancel",
		[]byte("{}"))
	return err
}

// job performs one call that answers a job resource. Errors are
// *provider.Error: FromHTTP for non-2xx answers, AsError for transport
// failures, provider_error for a 2xx answer that is not a job.
func (r *Remote) job(ctx context.Context, method, path string, body []byte) (
	string, provider.Status, error) {
	raw, err := r.call(ctx, method, path, body)
	if err != nil {
		return "", provider.Status{}, err
	}
	id, st, err := decodeStatus(raw)
	if err != nil {
		r.log.Warn("sim: remote answered a malformed job", "provider", Name,
			"method", method, "path", path, "error", err)
		return "", provider.Status{}, provider.AsError(fmt.Errorf("sim: decoding job: %w", err))
	}
	return id, st, nil
}

// call sends one request and returns the body of a 2xx answer.
func (r *Remote) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	c := provider.JSONCall{Name: "sim", Method: method, URL: r.base + path, Body: body,
		MaxBytes: maxResponseBytes, Logger: r.log}
	if r.token != "" {
		c.Header = http.Header{"Authorization": {"Bearer " + r.token}}
	}
	return c.Do(ctx, r.client)
}
