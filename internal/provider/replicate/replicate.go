package replicate

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

// Name is the provider name of the plain Replicate adapter.
const Name = "replicate"

// DefaultBaseURL is Replicate's API root; paths below it start with /v1.
const DefaultBaseURL = "https://api.replicate.com"

// DefaultTimeout bounds one API call when provider.Config has no
// HTTPClient. Creates return at once because Prefer: wait is never sent.
const DefaultTimeout = 30 * time.Second

// EnvModels names extra model references, comma-separated, that the plain
// adapter advertises besides its catalog (generic capabilities, see
// Generic); read through provider.Config.Getenv.
const EnvModels = "PROVIDER_REPLICATE_MODELS"

// maxResponseBytes caps what is read of an answer; a prediction is a few
// kilobytes, logs included.
const maxResponseBytes = 4 << 20

// Documented limits: 600 prediction creates per minute; no published cap
// on running predictions, so a modest default keeps spending visible.
const (
	defaultRatePerMinute = 600
	defaultConcurrency   = 5
)

// Interfaces the adapter implements beyond provider.Provider.
var _ provider.Webhooker = (*Adapter)(nil)

// Adapter drives Replicate predictions. It is the plain "replicate"
// provider when built by New and a bridge (a provider named after a vendor
// whose official models it runs on Replicate) when built by NewBridge. It
// is safe for concurrent use.
type Adapter struct {
	name     string
	base     string
	token    string
	client   *http.Client
	log      *slog.Logger
	caps     provider.Capabilities
	specs    map[string]ModelSpec
	anyModel bool // the plain adapter accepts references outside caps
	progress *progressMemo
	hooks    *webhookVerifier
}

// New builds the plain Replicate adapter from cfg: Credentials is the API
// token; BaseURL defaults to DefaultBaseURL; HTTPClient to one with
// DefaultTimeout; Logger nil discards. It advertises the curated catalog
// plus the references in PROVIDER_REPLICATE_MODELS, and Create also takes
// any other "owner/name", "owner/name:version" or version id (generic input
// mapping). The webhook secret is PROVIDER_REPLICATE_WEBHOOK_SECRET.
func New(cfg provider.Config) (*Adapter, error) {
	specs := make([]ModelSpec, 0, len(catalog))
	specs = append(specs, catalog...)
	if cfg.Getenv != nil {
		for _, s := range strings.Split(cfg.Getenv(EnvModels), ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if _, err := parseRef(s); err != nil {
				return nil, fmt.Errorf("replicate: reading %s: %w", EnvModels, err)
			}
			specs = append(specs, specFor(s))
		}
	}
	name := cfg.Name
	if name == "" {
		name = Name
	}
	a, err := newAdapter(cfg, name, specs)
	if err != nil {
		return nil, err
	}
	a.anyModel = true
	return a, nil
}

// Factory returns the provider.Factory of the plain adapter.
func Factory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) { return New(cfg) }
}

// NewBridge builds a provider called name that runs only the given models
// on Replicate with the Replicate token in cfg.Credentials, for operators
// who buy a vendor's model through Replicate instead of directly. The first
// spec is the default model. Use Known or Generic for the specs, or write
// your own MapInput.
func NewBridge(cfg provider.Config, name string, specs ...ModelSpec) (*Adapter, error) {
	if name == "" || len(specs) == 0 {
		return nil, errors.New("replicate: bridge needs a name and at least one model")
	}
	for _, s := range specs {
		if _, err := parseRef(s.Model.ID); err != nil {
			return nil, fmt.Errorf("replicate: bridge %s: %w", name, err)
		}
		if s.MapInput == nil {
			return nil, fmt.Errorf("replicate: bridge %s: model %s has no MapInput", name,
				s.Model.ID)
		}
	}
	return newAdapter(cfg, name, specs)
}

func newAdapter(cfg provider.Config, name string, specs []ModelSpec) (*Adapter, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" {
		return nil, fmt.Errorf("replicate: base URL %q is not an http(s) URL",
			provider.Sanitize(base))
	}
	a := &Adapter{name: name, base: base, token: cfg.Credentials, client: cfg.HTTPClient,
		log: cfg.Logger, specs: make(map[string]ModelSpec, len(specs)),
		progress: newProgressMemo(progressMemoSize)}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	secret := ""
	if cfg.Getenv != nil {
		secret = cfg.Getenv(EnvWebhookSecret)
	}
	hooks, err := newWebhookVerifier(secret, time.Now)
	if err != nil {
		return nil, err
	}
	a.hooks = hooks
	a.caps = provider.Capabilities{Provider: name, DefaultConcurrency: defaultConcurrency,
		DefaultRatePerMinute: defaultRatePerMinute}
	kinds := map[provider.Kind]bool{}
	for _, s := range specs {
		if _, dup := a.specs[s.Model.ID]; dup {
			return nil, fmt.Errorf("replicate: model %s listed twice", s.Model.ID)
		}
		a.specs[s.Model.ID] = s
		a.caps.Models = append(a.caps.Models, s.Model)
		for _, k := range s.Model.Kinds {
			if !kinds[k] {
				kinds[k] = true
				a.caps.Kinds = append(a.caps.Kinds, k)
			}
		}
	}
	return a, nil
}

// Name returns the provider name ("replicate" or the bridge's name).
func (a *Adapter) Name() string { return a.name }

// Capabilities returns the advertised models.
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// createBody is the JSON of a prediction create call.
type createBody struct {
	Version      string         `json:"version,omitempty"`
	Input        map[string]any `json:"input"`
	Webhook      string         `json:"webhook,omitempty"`
	WebhookEvent []string       `json:"webhook_events_filter,omitempty"`
}

// Create starts a prediction. An unpinned "owner/name" goes to the model's
// predictions endpoint; a pinned version to POST /v1/predictions. With a
// CallbackURL the prediction pushes only its completion to it.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	spec, ok := a.specs[req.Model]
	if !ok && a.anyModel {
		spec, ok = specFor(req.Model), true
	}
	if !ok {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest, fmt.Sprintf(
			"provider %s has no model %q", a.name, req.Model))
	}
	r, err := parseRef(spec.Model.ID)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest, err.Error())
	}
	body := createBody{Input: spec.MapInput(req)}
	maps.Copy(body.Input, req.Params)
	if req.CallbackURL != "" {
		body.Webhook, body.WebhookEvent = req.CallbackURL, []string{"completed"}
	}
	path := "/v1/predictions"
	if r.version == "" {
		path = "/v1/models/" + url.PathEscape(r.owner) + "/" + url.PathEscape(r.name) +
			"/predictions"
	} else {
		body.Version = r.version
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return provider.Created{}, provider.NewError(provider.CodeBadRequest,
			"encoding input: "+err.Error())
	}
	p, err := a.prediction(ctx, http.MethodPost, path, raw)
	if err != nil {
		return provider.Created{}, err
	}
	a.log.Debug("replicate: prediction created", "provider", a.name, "task_id", req.TaskID,
		"job_id", p.ID, "model", spec.Model.ID)
	return provider.Created{JobID: p.ID}, nil
}

// Get reads a prediction with GET /v1/predictions/{id}.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	if jobID == "" {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	p, err := a.prediction(ctx, http.MethodGet, "/v1/predictions/"+url.PathEscape(jobID), nil)
	if err != nil {
		return provider.Status{}, err
	}
	st := p.status()
	if st.State.Terminal() {
		a.progress.forget(jobID)
	} else {
		st.Progress = a.progress.raise(jobID, st.Progress)
	}
	if st.State == provider.StateFailed {
		a.log.Info("replicate: prediction failed", "provider", a.name, "job_id", jobID,
			"status", p.Status, "error", st.Err.Message)
	}
	return st, nil
}

// Cancel stops a prediction with POST /v1/predictions/{id}/cancel; Replicate
// answers a finished prediction with it unchanged, which is not an error.
func (a *Adapter) Cancel(ctx context.Context, jobID string) error {
	if jobID == "" {
		return provider.NewError(provider.CodeBadRequest, "empty job id")
	}
	_, err := a.prediction(ctx, http.MethodPost,
		"/v1/predictions/"+url.PathEscape(jobID)+"/cancel", nil)
	a.progress.forget(jobID)
	return err
}

// prediction performs one call answered by a prediction object.
func (a *Adapter) prediction(ctx context.Context, method, path string, body []byte) (
	*prediction, error) {
	raw, err := a.call(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	p, err := decodePrediction(raw)
	if err != nil {
		a.log.Warn("replicate: malformed prediction", "provider", a.name, "method", method,
			"error", err)
		return nil, provider.AsError(err)
	}
	return p, nil
}

// call sends one request and returns the body of a 2xx answer; everything
// else is a *provider.Error.
func (a *Adapter) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	return provider.JSONCall{Name: "replicate", Method: method, URL: a.base + path,
		Body: body, Header: http.Header{"Authorization": {"Bearer " + a.token}},
		MaxBytes: maxResponseBytes, Logger: a.log}.Do(ctx, a.client)
}
