package wan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelforge/reelforge/internal/provider"
)

// DashScope's task_status values.
const (
	statusPending   = "PENDING"
	statusRunning   = "RUNNING"
	statusSucceeded = "SUCCEEDED"
	statusFailed    = "FAILED"
	statusCanceled  = "CANCELED"
	statusUnknown   = "UNKNOWN"
)

// inputParams are Request.Params keys that belong in "input"; every other
// key goes to "parameters" (prompt_extend, watermark, ...).
var inputParams = []string{"audio_url"}

// reserved are the fields the adapter sets itself from the Request.
var reserved = []string{"model", "input", "parameters", "prompt", "negative_prompt",
	"img_url", "size", "resolution", "duration", "seed", "audio"}

// createBody is the video-synthesis request.
type createBody struct {
	Model      string         `json:"model"`
	Input      map[string]any `json:"input"`
	Parameters map[string]any `json:"parameters"`
}

// buildCreate maps a defaulted, validated request onto DashScope's body.
func buildCreate(req provider.Request) (createBody, *provider.Error) {
	bad := func(msg string) (createBody, *provider.Error) {
		return createBody{}, provider.NewError(provider.CodeBadRequest, msg)
	}
	if utf8.RuneCountInString(req.NegativePrompt) > maxNegativeChars {
		return bad("wan accepts negative prompts of at most 500 characters")
	}
	b := createBody{Model: req.Model, Input: map[string]any{},
		Parameters: map[string]any{"duration": req.DurationSeconds, "audio": req.Audio}}
	if req.Prompt != "" {
		b.Input["prompt"] = req.Prompt
	}
	if req.NegativePrompt != "" {
		b.Input["negative_prompt"] = req.NegativePrompt
	}
	switch req.Model {
	case modelT2V:
		size, ok := sizes[req.Resolution][req.AspectRatio]
		if !ok {
			return bad("wan has no size for " + req.Resolution + " " + req.AspectRatio)
		}
		b.Parameters["size"] = size
	case modelI2V:
		res, ok := resolutions[req.Resolution]
		if !ok {
			return bad("wan has no resolution " + req.Resolution)
		}
		b.Input["img_url"] = req.ImageURL
		b.Parameters["resolution"] = res
	default:
		return bad("unknown wan model " + strconv.Quote(req.Model))
	}
	if req.Seed != nil {
		if *req.Seed < 0 || *req.Seed > maxSeed {
			return bad("wan seeds run from 0 to 2147483647")
		}
		b.Parameters["seed"] = *req.Seed
	}
	for k, v := range req.Params {
		switch {
		case slices.Contains(reserved, k):
			return bad("param " + strconv.Quote(k) + " is set by reelforge and cannot be " +
				"passed through")
		case slices.Contains(inputParams, k):
			b.Input[k] = v
		default:
			b.Parameters[k] = v
		}
	}
	return b, nil
}

// answer is any DashScope answer: a task (create, query) or a request
// error at the top level.
type answer struct {
	RequestID string     `json:"request_id"`
	Code      flexString `json:"code"`
	Message   string     `json:"message"`
	Output    struct {
		TaskID       string     `json:"task_id"`
		TaskStatus   string     `json:"task_status"`
		Code         flexString `json:"code"`
		Message      string     `json:"message"`
		VideoURL     string     `json:"video_url"`
		ActualPrompt string     `json:"actual_prompt"`
	} `json:"output"`
	Usage struct {
		Duration            flexFloat  `json:"duration"`
		OutputVideoDuration flexFloat  `json:"output_video_duration"`
		VideoDuration       flexFloat  `json:"video_duration"`
		Size                flexString `json:"size"`
	} `json:"usage"`
}

// decodeAnswer reads a 2xx body that must name a task.
func decodeAnswer(raw []byte) (answer, error) {
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("wan: decoding answer: %w", err)
	}
	if a.Output.TaskID == "" && a.Output.TaskStatus != statusUnknown {
		return a, errors.New("wan: answer without output.task_id")
	}
	return a, nil
}

// toStatus maps a task answer onto the unified status. An unknown
// task_status is an error: the next poll may bring a known one.
func toStatus(a answer) (provider.Status, error) {
	st := provider.Status{Metadata: map[string]any{}}
	if a.Output.TaskID != "" {
		st.Metadata["dashscope_task_id"] = a.Output.TaskID
	}
	switch a.Output.TaskStatus {
	case statusPending:
		st.State, st.PollAfter = provider.StateQueued, pollInterval
	case statusRunning:
		st.State, st.PollAfter = provider.StateProcessing, pollInterval
	case statusSucceeded:
		if a.Output.VideoURL == "" {
			st.State = provider.StateFailed
			st.Err = provider.NewError(provider.CodeProviderError,
				"wan reported success without a video_url")
			return st, nil
		}
		out := provider.Output{URL: a.Output.VideoURL, Kind: provider.OutputVideo,
			MIME: "video/mp4"}
		out.Width, out.Height = parseSize(string(a.Usage.Size))
		for _, d := range []flexFloat{a.Usage.OutputVideoDuration, a.Usage.VideoDuration,
			a.Usage.Duration} {
			if d > 0 {
				out.DurationSeconds = float64(d)
				break
			}
		}
		st.State, st.Progress, st.Outputs = provider.StateSucceeded, 1, []provider.Output{out}
		if a.Usage.Duration > 0 {
			st.Metadata["billed_seconds"] = float64(a.Usage.Duration)
		}
		if a.Output.ActualPrompt != "" {
			st.Metadata["actual_prompt"] = a.Output.ActualPrompt
		}
	case statusFailed:
		st.State = provider.StateFailed
		st.Err = taskError(string(a.Output.Code), a.Output.Message)
	case statusCanceled:
		st.State = provider.StateCanceled
	case statusUnknown:
		st.State = provider.StateFailed
		st.Err = provider.NewError(provider.CodeProviderError, "wan no longer knows the "+
			"task: it expired after 24 h, or the key or region differs from the creator's")
		st.Err.ProviderCode = statusUnknown
	default:
		return provider.Status{}, fmt.Errorf("wan: unknown task_status %.40q",
			a.Output.TaskStatus)
	}
	return st, nil
}

// parseSize reads "1920*1080"; zeros when absent or malformed.
func parseSize(s string) (w, h int) {
	ws, hs, ok := strings.Cut(s, "*")
	if !ok {
		return 0, 0
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 1<<16 || h > 1<<16 {
		return 0, 0
	}
	return w, h
}

// taskError classifies a failed task's output.code and message.
func taskError(code, msg string) *provider.Error {
	if msg == "" {
		msg = "wan task failed"
		if code != "" {
			msg += ": " + code
		}
	}
	class := codeClass(code)
	if class == "" {
		class = provider.CodeProviderError
	}
	e := provider.NewError(class, msg)
	e.ProviderCode = provider.Sanitize(code)
	return e
}

// vendorError maps a non-2xx answer, or a 2xx one carrying a top-level
// error code. The DashScope code decides where it
// is known, because quota and throttling share statuses with other errors.
func vendorError(status int, header http.Header, raw []byte) *provider.Error {
	e := provider.FromHTTP(status, header, raw)
	var a answer
	if json.Unmarshal(raw, &a) != nil || a.Code == "" {
		return e
	}
	if e == nil { // an error envelope under a 2xx status
		e = &provider.Error{Code: provider.CodeProviderError, HTTPStatus: status,
			Message: provider.Sanitize(a.Message)}
	}
	if class := codeClass(string(a.Code)); class != "" {
		e.Code = class
	}
	e.ProviderCode = provider.Sanitize(string(a.Code))
	if e.Code == provider.CodeRateLimited && e.RetryAfter == 0 {
		if d, ok := provider.ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
			e.RetryAfter = d
		}
	}
	if e.Code != provider.CodeRateLimited {
		e.RetryAfter = 0
	}
	return e
}

// codeClass is DashScope's error table; "" for codes it does not list.
func codeClass(code string) provider.Code {
	switch {
	case code == "":
		return ""
	case strings.Contains(code, "FreeTierOnly"), code == "Arrearage":
		return provider.CodeQuotaExhausted
	case strings.HasPrefix(code, "Throttling"):
		return provider.CodeRateLimited
	case code == "InvalidApiKey", strings.HasPrefix(code, "AccessDenied"):
		return provider.CodeAuthFailed
	case strings.HasPrefix(code, "InvalidParameter"), code == "DataInspectionFailed",
		code == "IPInfringementSuspect", code == "ModelNotFound", code == "NotFound",
		code == "BadRequest":
		return provider.CodeBadRequest
	case code == "InternalError", strings.HasPrefix(code, "InternalError."),
		code == "SystemError":
		return provider.CodeProviderError
	}
	return ""
}

// flexFloat reads a JSON number or a numeric string ("SR":"540"). Usage
// figures are informative, so anything else reads as 0 rather than failing
// the whole answer.
type flexFloat float64

// UnmarshalJSON accepts 10, 10.5 and "10"; other values give 0.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	*f = 0
	s := strings.TrimSpace(string(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		*f = flexFloat(v)
	}
	return nil
}

// flexString reads a JSON string or number as text; other values give "".
type flexString string

// UnmarshalJSON accepts "x" and 12.
func (f *flexString) UnmarshalJSON(b []byte) error {
	*f = ""
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		*f = flexString(n.String())
	}
	return nil
}
