package veo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/reelforge/reelforge/internal/provider"
)

// Name is the provider name used in PROVIDERS_ENABLED and logs.
const Name = "veo"

// Default endpoints and settings.
const (
	// DefaultGeminiBaseURL is the Gemini API host, used with an API key.
	DefaultGeminiBaseURL = "https://generativelanguage.googleapis.com"
	// DefaultRegion is the Vertex AI region when PROVIDER_VEO_REGION is
	// unset.
	DefaultRegion = "us-central1"
	// DefaultTimeout bounds one API call when provider.Config has no
	// HTTPClient. Creates and polls answer in well under a second; only a
	// finished Vertex operation with inline video takes longer to read.
	DefaultTimeout = 30 * time.Second
	// FetchTimeout bounds one output download, which moves tens of
	// megabytes and so gets more time than an API call.
	FetchTimeout = 10 * time.Minute
	// defaultGCSBaseURL serves gs:// objects through the JSON API.
	defaultGCSBaseURL = "https://storage.googleapis.com"
	// cloudPlatformScope is the OAuth scope Vertex AI and GCS accept.
	cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
)

// route says which Google surface the credentials select.
type route int

const (
	routeVertex route = iota + 1
	routeGemini
)

func (r route) String() string {
	if r == routeVertex {
		return "vertex"
	}
	return "gemini"
}

// Adapter drives Veo through Vertex AI or the Gemini API. It is safe for
// concurrent use; the Vertex token source caches and refreshes its token.
type Adapter struct {
	route      route
	base       string // BaseURL override; "" derives the Vertex host per region
	apiKey     string
	tokens     oauth2.TokenSource
	project    string
	region     string
	storageURI string
	gcsBase    string
	client     *http.Client
	log        *slog.Logger
	caps       provider.Capabilities
}

// New builds an Adapter. Credentials choose the route: a service-account
// JSON document (starting with "{") selects Vertex AI, anything else is a
// Gemini API key. Vertex settings come through cfg.Getenv:
// PROVIDER_VEO_REGION (default us-central1) and PROVIDER_VEO_STORAGE_URI
// (a gs://bucket/prefix/ for outputs; unset returns videos inline). BaseURL
// overrides the vendor host of either route; HTTPClient defaults to one
// with DefaultTimeout; a nil Logger discards.
func New(cfg provider.Config) (*Adapter, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	a := &Adapter{client: cfg.HTTPClient, log: cfg.Logger, caps: capabilities(),
		gcsBase: defaultGCSBaseURL, base: strings.TrimRight(cfg.BaseURL, "/")}
	if a.client == nil {
		a.client = &http.Client{Timeout: DefaultTimeout}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.base != "" {
		if u, err := url.Parse(a.base); err != nil || u.Host == "" ||
			(u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("veo: configuring: BaseURL %q is not an http(s) URL",
				provider.Sanitize(a.base))
		}
	}
	creds := strings.TrimSpace(cfg.Credentials)
	switch {
	case creds == "":
		return nil, fmt.Errorf("veo: configuring: no credentials; set a Gemini API key " +
			"or a service-account JSON")
	case strings.HasPrefix(creds, "{"):
		a.route = routeVertex
		a.region = strings.TrimSpace(getenv("PROVIDER_VEO_REGION"))
		if a.region == "" {
			a.region = DefaultRegion
		}
		if !validSegment(a.region) {
			return nil, fmt.Errorf("veo: configuring: PROVIDER_VEO_REGION %q is not a region",
				provider.Sanitize(a.region))
		}
		a.storageURI = strings.TrimSpace(getenv("PROVIDER_VEO_STORAGE_URI"))
		if a.storageURI != "" && !strings.HasPrefix(a.storageURI, "gs://") {
			return nil, fmt.Errorf("veo: configuring: PROVIDER_VEO_STORAGE_URI must be gs://…")
		}
		if err := a.vertexAuth([]byte(creds)); err != nil {
			return nil, err
		}
	default:
		a.route = routeGemini
		a.apiKey = creds
		if a.base == "" {
			a.base = DefaultGeminiBaseURL
		}
	}
	return a, nil
}

// Factory returns a provider.Factory that builds an Adapter.
func Factory() provider.Factory {
	return func(cfg provider.Config) (provider.Provider, error) { return New(cfg) }
}

// Name returns "veo".
func (a *Adapter) Name() string { return Name }

// Capabilities lists the Veo 3 and 3.1 models; see the package doc.
func (a *Adapter) Capabilities() provider.Capabilities { return a.caps }

// Create starts a predictLongRunning operation and returns its full name as
// the job id. Veo has no idempotency key, so a retried Create after a crash
// starts a second operation.
func (a *Adapter) Create(ctx context.Context, req provider.Request) (provider.Created, error) {
	req = a.caps.WithDefaults(req)
	if err := a.caps.Validate(req); err != nil {
		return provider.Created{}, provider.AsError(err)
	}
	body, perr := buildCreate(req, a.route, a.storageURI)
	if perr != nil {
		return provider.Created{}, perr
	}
	var path string
	if a.route == routeVertex {
		path = "/v1/" + modelPath(a.project, a.region, req.Model) + ":predictLongRunning"
	} else {
		path = "/v1beta/models/" + req.Model + ":predictLongRunning"
	}
	raw, err := a.call(ctx, http.MethodPost, a.region, path, body)
	if err != nil {
		return provider.Created{}, err
	}
	name, _, derr := decodeOperation(raw)
	if derr != nil || !a.validOpName(name) {
		a.log.Warn("veo: create answered no usable operation", "provider", Name,
			"task_id", req.TaskID, "error", derr)
		return provider.Created{}, provider.NewError(provider.CodeProviderError,
			"veo: the create call answered no operation name")
	}
	a.log.Debug("veo: operation started", "provider", Name, "task_id", req.TaskID,
		"job_id", name, "route", a.route.String())
	return provider.Created{JobID: name}, nil
}

// Get reads the operation: fetchPredictOperation on Vertex, GET of the
// operation name on the Gemini API. An operation without "done" is still
// running.
func (a *Adapter) Get(ctx context.Context, jobID string) (provider.Status, error) {
	if !a.validOpName(jobID) {
		return provider.Status{}, provider.NewError(provider.CodeBadRequest,
			"veo: unknown job id format")
	}
	var raw []byte
	var err error
	if a.route == routeVertex {
		seg := strings.Split(jobID, "/")
		project, loc, model := seg[1], seg[3], seg[7]
		body, _ := jsonString("operationName", jobID)
		raw, err = a.call(ctx, http.MethodPost, loc,
			"/v1/"+modelPath(project, loc, model)+":fetchPredictOperation", body)
	} else {
		raw, err = a.call(ctx, http.MethodGet, "", "/v1beta/"+jobID, nil)
	}
	if err != nil {
		return provider.Status{}, err
	}
	_, st, derr := decodeOperation(raw)
	if derr != nil {
		a.log.Warn("veo: malformed operation", "provider", Name, "job_id", jobID,
			"error", derr)
		return provider.Status{}, provider.AsError(derr)
	}
	if st.State.Terminal() {
		a.log.Debug("veo: operation finished", "provider", Name, "job_id", jobID,
			"status", string(st.State))
	}
	return st, nil
}

// Cancel returns nil: Google documents no cancel call for Veo operations,
// so the engine simply stops polling (the render is still billed).
func (a *Adapter) Cancel(ctx context.Context, jobID string) error { return nil }

func modelPath(project, region, model string) string {
	return "projects/" + project + "/locations/" + region + "/publishers/google/models/" + model
}

// validOpName checks a job id against the operation name shape of the
// route, so that a stored id can never steer a request to another path.
func (a *Adapter) validOpName(name string) bool {
	seg := strings.Split(name, "/")
	if a.route == routeVertex {
		return len(seg) == 10 && seg[0] == "projects" && seg[2] == "locations" &&
			seg[4] == "publishers" && seg[5] == "google" && seg[6] == "models" &&
			seg[8] == "operations" && allValid(seg)
	}
	return len(seg) == 4 && seg[0] == "models" && seg[2] == "operations" && allValid(seg)
}

func allValid(seg []string) bool {
	for _, s := range seg {
		if !validSegment(s) {
			return false
		}
	}
	return true
}

// validSegment accepts one path segment of an operation name or a region.
func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
