package kling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// Name is the provider name used in PROVIDERS_ENABLED and logs.
const Name = "kling"

// DefaultBaseURL is Kling's current global API domain. Mainland-China
// accounts use https://api-beijing.klingai.com; keys only work on the
// platform that issued them.
const DefaultBaseURL = "https://api-singapore.klingai.com"

// DefaultTimeout bounds one API call when provider.Config has no
// HTTPClient; Kling answers creates and queries at once.
const DefaultTimeout = 30 * time.Second

// pollInterval is the wait advised between queries of a running task;
// clients commonly use 10 s and renders take 30 s to 5 min.
const pollInterval = 10 * time.Second

// maxResponseBytes caps what is read of an answer: a task is a few hundred
// bytes.
const maxResponseBytes = 1 << 20

// ErrInvalidConfig is wrapped by New for malformed credentials or BaseURL.
var ErrInvalidConfig = errors.New("kling: invalid configuration")

// Endpoint kinds, which are also the prefixes of the adapter's job ids
// ("text2video:<task_id>"): Kling queries a task under the endpoint that
// created it.
const (
	kindT2V = "text2video"
	kindI2V = "image2video"
)

// Adapter drives Kling's text2video and image2video endpoints. It is safe
// for concurrent use.
type Adapter struct {
	base   string
	client *http.Client
	log    *slog.Logger
	auth   *signer
	caps   provider.Capabilities
	now    func() time.Time
	seen   *replayGuard
}

// Compile-time checks of the optional interfaces.
var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Finder    = (*Adapter)(nil)
	_ provider.Webhooker = (*Adapter)(nil)
)

// New builds an adapter from cfg: Credentials is "ACCESS_KEY:SECRET_KEY";
// BaseURL defaults to DefaultBaseURL; HTTPClient defaults to one with
// DefaultTimeout; a nil Logger discards. Errors wrap ErrInvalidConfig and
// never quote the credential.
func New(cfg provider.Config) (*Adapter, error) {
	ak, sk, err := parseCredentials(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL %q is not an http(s) URL", ErrInvalidConfig,
			provider.Sanitize(base))
	}
	a := &Adapter{base: base, client: cfg.HTTPClient, log: cfg.Logger, caps: capabilities(),
		now: time.Now}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.auth = &signer{access: ak, secret: []byte(sk), now: func() time.Time { return a.now() }}
	a.seen = newReplayGuard(webhookWindow, replayCapacity)
	return a, nil
}

// Factory returns the provider.Factory registered under Name.
func Factory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) {
		a, err := New(cfg)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return a, nil
	}
}

// Name returns "kling".
func (a *Adapter) Name() string { return Name }

// Capabilities returns the model table (see the package doc).
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// Create submits req to text2video or image2video. The task id goes out as
// external_task_id, so Find can recover the job after a crash, and
// Request.CallbackURL as callback_url.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	if err := a.caps.Validate(req); err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	kind, body, perr := buildCreate(req)
	if perr != nil {
		return provider.Created{}, perr
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest,
			"encoding request: "+err.Error())
	}
	env, err := a.call(ctx, http.MethodPost, "/v1/videos/"+kind, raw)
	if err != nil {
		return provider.Created{}, err
	}
	t, err := decodeTask(env.Data)
	if err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	jobID := kind + ":" + string(t.TaskID)
	a.log.DebugContext(ctx, "kling: task created", "provider", Name, "task_id", req.TaskID,
		"job_id", jobID, "status", t.TaskStatus)
	return provider.Created{JobID: jobID}, nil
}

// Get queries the task under the endpoint recorded in jobID.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	kind, id, ok := splitJobID(jobID)
	if !ok {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest,
			fmt.Sprintf("malformed kling job id %.80q", jobID))
	}
	env, err := a.call(ctx, http.MethodGet, "/v1/videos/"+kind+"/"+url.PathEscape(id), nil)
	if err != nil {
		return provider.Status{}, err
	}
	t, err := decodeTask(env.Data)
	if err != nil {
		return provider.Status{}, provider.AsError(err)
	}
	st, err := toStatus(t)
	if err != nil {
		a.log.WarnContext(ctx, "kling: unexpected task status", "provider", Name,
			"job_id", jobID, "error", err)
		return provider.Status{}, provider.AsError(err)
	}
	return st, nil
}

// Cancel returns nil: Kling documents no way to stop a task, so the engine
// just stops polling (the render is still charged).
func (a *Adapter) Cancel(ctx context.Context, jobID string) error {
	a.log.DebugContext(ctx, "kling: cancel is not supported; polling stops", "provider", Name,
		"job_id", jobID)
	return nil
}

// Find looks the task up by external_task_id under both endpoints, putting
// our task id where the task id would go, and accepts an answer only when
// its task_info.external_task_id is ours.
func (a *Adapter) Find(ctx context.Context, taskID string) (string, bool, error) {
	if taskID == "" {
		return "", false, provider.NewError(provider.CodeBadRequest, "empty task id")
	}
	for _, kind := range []string{kindT2V, kindI2V} {
		env, err := a.call(ctx, http.MethodGet, "/v1/videos/"+kind+"/"+url.PathEscape(taskID),
			nil)
		if notFound(err) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		t, err := decodeTask(env.Data)
		if err != nil || string(t.TaskInfo.ExternalTaskID) != taskID {
			continue
		}
		return kind + ":" + string(t.TaskID), true, nil
	}
	return "", false, nil
}

// notFound reports Kling's "resource not found" (1203, or a bare 404).
func notFound(err error) bool {
	var pe *provider.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.ProviderCode == "1203" || pe.HTTPStatus == http.StatusNotFound
}

func splitJobID(jobID string) (kind, id string, ok bool) {
	kind, id, ok = strings.Cut(jobID, ":")
	if !ok || id == "" || (kind != kindT2V && kind != kindI2V) {
		return "", "", false
	}
	return kind, id, true
}

// call sends one request and returns the envelope of a successful answer.
// A token Kling calls expired or not yet valid (1003, 1004) is re-signed
// and the call repeated once; Kling processed nothing in that case.
func (a *Adapter) call(ctx context.Context, method, path string, body []byte) (*envelope,
	error) {
	env, tok, err := a.once(ctx, method, path, body)
	var pe *provider.Error
	if errors.As(err, &pe) && (pe.ProviderCode == "1003" || pe.ProviderCode == "1004") {
		a.auth.forget(tok)
		env, _, err = a.once(ctx, method, path, body)
	}
	return env, err
}

func (a *Adapter) once(ctx context.Context, method, path string, body []byte) (*envelope,
	string, error) {
	tok, err := a.auth.bearer()
	if err != nil {
		return nil, "", provider.NewError(provider.CodeAuthFailed, err.Error())
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, tok, provider.AsError(fmt.Errorf("kling: building request: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	begin := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, tok, provider.AsError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, tok, provider.AsError(fmt.Errorf("kling: reading answer: %w", err))
	}
	if len(raw) > maxResponseBytes {
		return nil, tok, provider.NewError(provider.CodeProviderError, "answer over 1 MiB")
	}
	var env envelope
	decErr := json.Unmarshal(raw, &env)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok2xx || (decErr == nil && env.Code != 0) {
		var ep *envelope
		if decErr == nil {
			ep = &env
		}
		e := vendorError(resp.StatusCode, resp.Header, raw, ep)
		a.log.DebugContext(ctx, "kling: call refused", "provider", Name, "method", method,
			"path", path, "status", resp.StatusCode, "code", e.ProviderCode,
			"duration_ms", time.Since(begin).Milliseconds())
		return nil, tok, e
	}
	if decErr != nil {
		return nil, tok, provider.AsError(fmt.Errorf("kling: decoding answer: %w", decErr))
	}
	return &env, tok, nil
}
