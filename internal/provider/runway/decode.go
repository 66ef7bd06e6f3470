package runway

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// errMalformed reports a 2xx answer that is not a task.
var errMalformed = errors.New("runway: malformed task")

// Poll advice: the SDK waits 6 s (plus jitter) between reads; a throttled
// task waits for another of ours to finish, so it is read less often.
const (
	pollAfter          = 6 * time.Second
	pollAfterThrottled = 15 * time.Second
	maxOutputs         = 16
)

// task is Runway's task object; progress, failure, failureCode and output
// only appear in the states that carry them.
type task struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	CreatedAt   string   `json:"createdAt"`
	Progress    *float64 `json:"progress"`
	Output      []any    `json:"output"`
	Failure     string   `json:"failure"`
	FailureCode string   `json:"failureCode"`
}

func decodeTask(raw []byte) (*task, error) {
	var t task
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if t.ID == "" || t.Status == "" {
		return nil, fmt.Errorf("%w: no id or status", errMalformed)
	}
	return &t, nil
}

// status maps the task; image says the job came from text_to_image.
func (t *task) status(image bool) provider.Status {
	st := provider.Status{Metadata: map[string]any{}}
	if t.CreatedAt != "" {
		st.Metadata["created_at"] = provider.Sanitize(t.CreatedAt)
	}
	switch t.Status {
	case "PENDING":
		st.State, st.PollAfter = provider.StateQueued, pollAfter
	case "THROTTLED":
		st.State, st.PollAfter = provider.StateQueued, pollAfterThrottled
		st.Metadata["throttled"] = true
	case "RUNNING":
		st.State, st.PollAfter = provider.StateProcessing, pollAfter
		if t.Progress != nil && !math.IsNaN(*t.Progress) {
			st.Progress = min(max(*t.Progress, 0), 0.99)
		}
	case "SUCCEEDED":
		t.succeeded(&st, image)
	case "FAILED":
		st.State, st.Err = provider.StateFailed, failure(t.FailureCode, t.Failure)
	case "CANCELLED":
		st.State = provider.StateCanceled
	default:
		// A status newer than this adapter: keep polling.
		st.State, st.PollAfter = provider.StateProcessing, pollAfter
		st.Metadata["runway_status"] = provider.Sanitize(t.Status)
	}
	if st.State.Terminal() {
		st.Progress = 1 // the job is over; progress never goes back
	}
	return st
}

func (t *task) succeeded(st *provider.Status, image bool) {
	for _, v := range t.Output {
		s, ok := v.(string)
		if !ok || len(st.Outputs) >= maxOutputs {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			continue
		}
		st.Outputs = append(st.Outputs, output(u, image))
	}
	if len(st.Outputs) == 0 {
		st.State = provider.StateFailed
		st.Err = &provider.Error{Code: provider.CodeProviderError, ProviderCode: "no_output",
			Message: "task succeeded without an output URL"}
		return
	}
	st.State, st.Progress = provider.StateSucceeded, 1
}

func output(u *url.URL, image bool) provider.Output {
	if !image {
		return provider.Output{URL: u.String(), Kind: provider.OutputVideo, MIME: "video/mp4"}
	}
	mime := "image/png"
	switch strings.ToLower(path.Ext(u.Path)) {
	case ".jpg", ".jpeg":
		mime = "image/jpeg"
	case ".webp":
		mime = "image/webp"
	}
	return provider.Output{URL: u.String(), Kind: provider.OutputImage, MIME: mime}
}

// failure maps failureCode families (docs: task failures) to codes. The
// failure text is for developers, so the message leads with our own words.
func failure(code, text string) *provider.Error {
	e := &provider.Error{Code: provider.CodeProviderError, ProviderCode: provider.Sanitize(code)}
	var why string
	switch {
	case strings.HasPrefix(code, "SAFETY.INPUT"):
		e.Code, why = provider.CodeBadRequest, "the input was rejected by content moderation"
	case strings.HasPrefix(code, "SAFETY.OUTPUT"):
		e.Code, why = provider.CodeBadRequest, "the result was rejected by content moderation"
	case strings.HasPrefix(code, "SAFETY"):
		e.Code, why = provider.CodeBadRequest, "rejected by content moderation"
	case strings.HasPrefix(code, "ASSET.INVALID"), strings.HasPrefix(code, "INPUT_PREPROCESSING"):
		e.Code, why = provider.CodeBadRequest, "an input file could not be used"
	case strings.HasPrefix(code, "INTERNAL.BAD_OUTPUT"):
		why = "the result failed Runway's quality checks; a changed input may help"
	default:
		why = "the generation failed on Runway's side"
	}
	if text = provider.Sanitize(text); text != "" {
		why += ": " + text
	}
	e.Message = provider.Sanitize(why)
	return e
}
