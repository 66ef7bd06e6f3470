package wan

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

// Name is the provider name used in PROVIDERS_ENABLED and logs.
const Name = "wan"

// Regional DashScope endpoints. Model, endpoint and API key must belong to
// the same region; cross-region calls fail.
const (
	// IntlBaseURL is the international (Singapore) endpoint, the default.
	IntlBaseURL = "https://dashscope-intl.aliyuncs.com/api/v1"
	// CNBaseURL is the mainland China (Beijing) endpoint.
	CNBaseURL = "https://dashscope.aliyuncs.com/api/v1"
)

// RegionEnv selects the endpoint when Config.BaseURL is empty: "intl"
// (default) or "cn".
const RegionEnv = "PROVIDER_WAN_REGION"

// DefaultTimeout bounds one API call when provider.Config has no
// HTTPClient; DashScope answers creates and queries at once.
const DefaultTimeout = 30 * time.Second

// pollInterval is the wait DashScope's docs suggest between queries.
const pollInterval = 15 * time.Second

// maxResponseBytes caps what is read of an answer.
const maxResponseBytes = 1 << 20

// Paths of the API, relative to the base URL.
const (
	createPath = "/services/aigc/video-generation/video-synthesis"
	tasksPath  = "/tasks/"
)

// ErrInvalidConfig is wrapped by New for a missing key, a malformed BaseURL
// or an unknown region.
var ErrInvalidConfig = errors.New("wan: invalid configuration")

// Adapter drives Wan 2.5 through DashScope's asynchronous task API. It is
// safe for concurrent use.
type Adapter struct {
	base   string
	key    string
	client *http.Client
	log    *slog.Logger
	caps   provider.Capabilities
}

var _ provider.Provider = (*Adapter)(nil)

// New builds an adapter from cfg: Credentials is the DashScope API key;
// BaseURL, when empty, is chosen by PROVIDER_WAN_REGION (read through
// Getenv; "intl" by default, or "cn"); HTTPClient defaults to one with
// DefaultTimeout; a nil Logger discards. Errors wrap ErrInvalidConfig and
// never quote the key.
func New(cfg provider.Config) (*Adapter, error) {
	key := strings.TrimSpace(cfg.Credentials)
	if key == "" {
		return nil, fmt.Errorf("%w: credentials must be a DashScope API key", ErrInvalidConfig)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		region := ""
		if cfg.Getenv != nil {
			region = strings.ToLower(strings.TrimSpace(cfg.Getenv(RegionEnv)))
		}
		switch region {
		case "", "intl":
			base = IntlBaseURL
		case "cn":
			base = CNBaseURL
		default:
			return nil, fmt.Errorf("%w: %s=%.20q; use intl or cn", ErrInvalidConfig,
				RegionEnv, region)
		}
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL %q is not an http(s) URL", ErrInvalidConfig,
			provider.Sanitize(base))
	}
	a := &Adapter{base: base, key: key, client: cfg.HTTPClient, log: cfg.Logger,
		caps: capabilities()}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
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

// Name returns "wan".
func (a *Adapter) Name() string { return Name }

// Capabilities returns the model table (see the package doc).
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// Create submits req as an asynchronous video-synthesis task. DashScope has
// no idempotency key, so a Create retried after a crash starts a second
// task.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	if err := a.caps.Validate(req); err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	body, perr := buildCreate(req)
	if perr != nil {
		return provider.Created{}, perr
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest,
			"encoding request: "+err.Error())
	}
	ans, err := a.call(ctx, http.MethodPost, createPath, raw)
	if err != nil {
		return provider.Created{}, err
	}
	if ans.Output.TaskID == "" {
		return provider.Created{}, provider.NewError(provider.CodeProviderError,
			"wan accepted the task without a task_id")
	}
	a.log.DebugContext(ctx, "wan: task created", "provider", Name, "task_id", req.TaskID,
		"job_id", ans.Output.TaskID, "status", ans.Output.TaskStatus)
	return provider.Created{JobID: ans.Output.TaskID}, nil
}

// Get queries the task. A task DashScope reports as UNKNOWN (past its 24 h
// retention, or queried with another region's key) is failed.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	if jobID == "" {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	ans, err := a.call(ctx, http.MethodGet, tasksPath+url.PathEscape(jobID), nil)
	if err != nil {
		return provider.Status{}, err
	}
	st, err := toStatus(ans)
	if err != nil {
		a.log.WarnContext(ctx, "wan: unexpected task status", "provider", Name,
			"job_id", jobID, "error", err)
		return provider.Status{}, provider.AsError(err)
	}
	return st, nil
}

// Cancel asks DashScope to cancel the task, which it does only while the
// task is PENDING. Its refusal for a running or finished task is logged and
// not returned: the engine stops polling either way, and a running task
// will still be billed.
func (a *Adapter) Cancel(ctx context.Context, jobID string) error {
	if jobID == "" {
		return provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	_, err := a.send(ctx, http.MethodPost, tasksPath+url.PathEscape(jobID)+"/cancel", nil)
	var pe *provider.Error
	if errors.As(err, &pe) && pe.Code == provider.CodeBadRequest {
		a.log.InfoContext(ctx, "wan: task can no longer be canceled", "provider", Name,
			"job_id", jobID, "error", pe.Message)
		return nil
	}
	return err
}

// call sends one request and decodes the task of a 2xx answer.
func (a *Adapter) call(ctx context.Context, method, path string, body []byte) (answer,
	error) {
	raw, err := a.send(ctx, method, path, body)
	if err != nil {
		return answer{}, err
	}
	ans, err := decodeAnswer(raw)
	if err != nil && ans.Code != "" {
		return answer{}, vendorError(http.StatusOK, http.Header{}, raw)
	}
	if err != nil {
		a.log.WarnContext(ctx, "wan: malformed answer", "provider", Name, "path", path,
			"error", err)
		return answer{}, provider.AsError(err)
	}
	return ans, nil
}

// send performs one call and returns the body of a 2xx answer; refusals
// are mapped by vendorError. Creates carry X-DashScope-Async: enable, which
// the video models require.
func (a *Adapter) send(ctx context.Context, method, path string, body []byte) ([]byte,
	error) {
	h := http.Header{"Authorization": {"Bearer " + a.key}}
	if body != nil {
		h.Set("X-DashScope-Async", "enable")
	}
	return provider.JSONCall{Name: "wan", Method: method, URL: a.base + path, Body: body,
		Header: h, MaxBytes: maxResponseBytes, MapError: vendorError,
		Logger: a.log}.Do(ctx, a.client)
}
