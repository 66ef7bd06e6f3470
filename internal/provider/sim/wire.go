package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// The JSON shapes of the simulator's HTTP API, shared by the server (api.go)
// and the client (remote.go) so that the two cannot drift apart.

// wireRequest is the body of POST /v1/jobs. It mirrors provider.Request
// except CallbackURL: the simulator never pushes results.
type wireRequest struct {
	TaskID          string         `json:"task_id,omitempty"`
	Model           string         `json:"model,omitempty"`
	Kind            string         `json:"kind"`
	Prompt          string         `json:"prompt"`
	NegativePrompt  string         `json:"negative_prompt,omitempty"`
	ImageURL        string         `json:"image_url,omitempty"`
	DurationSeconds int            `json:"duration_seconds,omitempty"`
	Resolution      string         `json:"resolution,omitempty"`
	AspectRatio     string         `json:"aspect_ratio,omitempty"`
	Audio           bool           `json:"audio,omitempty"`
	Seed            *int64         `json:"seed,omitempty"`
	Params          map[string]any `json:"params,omitempty"`
}

func toWireRequest(r provider.Request) wireRequest {
	return wireRequest{TaskID: r.TaskID, Model: r.Model, Kind: string(r.Kind),
		Prompt: r.Prompt, NegativePrompt: r.NegativePrompt, ImageURL: r.ImageURL,
		DurationSeconds: r.DurationSeconds, Resolution: r.Resolution,
		AspectRatio: r.AspectRatio, Audio: r.Audio, Seed: r.Seed, Params: r.Params}
}

func (w wireRequest) request() provider.Request {
	return provider.Request{TaskID: w.TaskID, Model: w.Model, Kind: provider.Kind(w.Kind),
		Prompt: w.Prompt, NegativePrompt: w.NegativePrompt, ImageURL: w.ImageURL,
		DurationSeconds: w.DurationSeconds, Resolution: w.Resolution,
		AspectRatio: w.AspectRatio, Audio: w.Audio, Seed: w.Seed, Params: w.Params}
}

// wireJob is the job resource returned by every /v1/jobs call.
type wireJob struct {
	ID          string         `json:"id"`
	TaskID      string         `json:"task_id,omitempty"`
	Status      string         `json:"status"`
	Progress    float64        `json:"progress"`
	Outputs     []wireOutput   `json:"outputs"`
	CoverURL    string         `json:"cover_url"`
	Error       *wireError     `json:"error"`
	PollAfterMS int64          `json:"poll_after_ms"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

type wireOutput struct {
	URL             string  `json:"url"`
	Kind            string  `json:"kind"`
	MIME            string  `json:"mime"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	DurationSeconds float64 `json:"duration_seconds"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// wireErrorBody is the body of every non-2xx answer of the API.
type wireErrorBody struct {
	Error wireError `json:"error"`
}

// wireCreates is the body of GET /v1/creates.
type wireCreates struct {
	TaskID  string `json:"task_id"`
	Creates int    `json:"creates"`
	Total   int    `json:"total"`
}

func toWireJob(id, taskID string, st provider.Status) wireJob {
	w := wireJob{ID: id, TaskID: taskID, Status: string(st.State), Progress: st.Progress,
		Outputs: make([]wireOutput, 0, len(st.Outputs)), CoverURL: st.CoverURL,
		PollAfterMS: st.PollAfter.Milliseconds(), Metadata: st.Metadata}
	for _, o := range st.Outputs {
		w.Outputs = append(w.Outputs, wireOutput{URL: o.URL, Kind: string(o.Kind),
			MIME: o.MIME, Width: o.Width, Height: o.Height,
			DurationSeconds: o.DurationSeconds})
	}
	if st.Err != nil {
		w.Error = &wireError{Code: string(st.Err.Code), Message: st.Err.Message}
	}
	return w
}

// Bounds applied to what a server claims, so that a hostile or broken
// vendor cannot make the engine sleep for days or store absurd sizes.
const (
	maxPollAfter  = time.Minute
	maxDimension  = 1 << 16
	maxClipLength = 24 * time.Hour
)

// errMalformedJob reports a 2xx job answer that does not describe a job.
var errMalformedJob = errors.New("sim: malformed job response")

// decodeStatus reads a job resource. It never panics on any input: unknown
// states, missing ids and non-http output URLs are errors wrapping
// errMalformedJob; out-of-range numbers are clamped; an unknown error code
// becomes provider_error; a failed job without an error and a succeeded job
// without outputs both become failed with provider_error.
func decodeStatus(body []byte) (string, provider.Status, error) {
	var w wireJob
	if err := json.Unmarshal(body, &w); err != nil {
		return "", provider.Status{}, fmt.Errorf("%w: %w", errMalformedJob, err)
	}
	if w.ID == "" {
		return "", provider.Status{}, fmt.Errorf("%w: no job id", errMalformedJob)
	}
	st := provider.Status{State: provider.State(w.Status), CoverURL: httpURL(w.CoverURL),
		Metadata: w.Metadata, Progress: clamp(w.Progress, 0, 1)}
	switch st.State {
	case provider.StateQueued, provider.StateStarting, provider.StateProcessing,
		provider.StateSucceeded, provider.StateFailed, provider.StateCanceled:
	default:
		return "", provider.Status{}, fmt.Errorf("%w: unknown status %q", errMalformedJob,
			provider.Sanitize(w.Status))
	}
	if w.PollAfterMS > 0 {
		st.PollAfter = time.Duration(min(w.PollAfterMS, maxPollAfter.Milliseconds())) *
			time.Millisecond
	}
	for _, o := range w.Outputs {
		out, err := decodeOutput(o)
		if err != nil {
			return "", provider.Status{}, err
		}
		st.Outputs = append(st.Outputs, out)
	}
	if w.Error != nil {
		st.Err = provider.NewError(knownCode(w.Error.Code), w.Error.Message)
		st.Err.ProviderCode = provider.Sanitize(w.Error.Code)
	}
	switch {
	case st.State == provider.StateFailed && st.Err == nil:
		st.Err = provider.NewError(provider.CodeProviderError, "job failed without a reason")
	case st.State == provider.StateSucceeded && len(st.Outputs) == 0:
		st.State = provider.StateFailed
		st.Err = provider.NewError(provider.CodeProviderError, "job succeeded without outputs")
	}
	if st.State != provider.StateSucceeded {
		st.Outputs = nil
	}
	return w.ID, st, nil
}

func decodeOutput(o wireOutput) (provider.Output, error) {
	u := httpURL(o.URL)
	if u == "" {
		return provider.Output{}, fmt.Errorf("%w: output URL is not http(s)", errMalformedJob)
	}
	out := provider.Output{URL: u, Kind: provider.OutputVideo, MIME: provider.Sanitize(o.MIME),
		Width: max(min(o.Width, maxDimension), 0), Height: max(min(o.Height, maxDimension), 0),
		DurationSeconds: clamp(o.DurationSeconds, 0, maxClipLength.Seconds())}
	if o.Kind == string(provider.OutputImage) {
		out.Kind, out.DurationSeconds = provider.OutputImage, 0
	}
	return out, nil
}

// httpURL returns raw if it is an absolute http(s) URL, else "".
func httpURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return raw
}

func clamp(f, lo, hi float64) float64 {
	if math.IsNaN(f) {
		return lo
	}
	return min(max(f, lo), hi)
}

// knownCode maps a wire code to a normalized one; unknown codes are
// provider_error, the retryable catch-all.
func knownCode(c string) provider.Code {
	switch code := provider.Code(c); code {
	case provider.CodeRateLimited, provider.CodeAuthFailed, provider.CodeBadRequest,
		provider.CodeTimeout, provider.CodeProviderError, provider.CodeQuotaExhausted:
		return code
	}
	return provider.CodeProviderError
}

// statusFor is the HTTP status the API answers for a failure. A status
// already set on e is kept when provider.FromHTTP maps it back to e.Code
// (404 for an unknown job, 422 for a validation error); otherwise the
// canonical one is used: 429, 401, 402, 400, 504 or 500.
func statusFor(e *provider.Error) int {
	if e.HTTPStatus >= 400 && e.HTTPStatus <= 599 &&
		provider.FromHTTP(e.HTTPStatus, http.Header{}, nil).Code == e.Code {
		return e.HTTPStatus
	}
	switch e.Code {
	case provider.CodeRateLimited:
		return http.StatusTooManyRequests
	case provider.CodeAuthFailed:
		return http.StatusUnauthorized
	case provider.CodeQuotaExhausted:
		return http.StatusPaymentRequired
	case provider.CodeBadRequest:
		return http.StatusBadRequest
	case provider.CodeTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
