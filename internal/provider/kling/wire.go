package kling

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// Kling's task_status values; "succeed" is spelt that way on the wire.
const (
	statusSubmitted  = "submitted"
	statusProcessing = "processing"
	statusSucceed    = "succeed"
	statusFailed     = "failed"
)

// envelope is the wrapper of every Kling answer, errors included: code 0 is
// success, anything else an error even under HTTP 200.
type envelope struct {
	Code      flexInt         `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// task is the data of a create, query or callback answer.
type task struct {
	TaskID        flexString `json:"task_id"`
	TaskStatus    string     `json:"task_status"`
	TaskStatusMsg string     `json:"task_status_msg"`
	TaskInfo      struct {
		ExternalTaskID flexString `json:"external_task_id"`
	} `json:"task_info"`
	FinalUnitDeduction flexString `json:"final_unit_deduction"`
	CreatedAt          flexInt    `json:"created_at"`
	UpdatedAt          flexInt    `json:"updated_at"`
	TaskResult         struct {
		Videos []struct {
			ID       flexString `json:"id"`
			URL      string     `json:"url"`
			Duration flexFloat  `json:"duration"`
		} `json:"videos"`
	} `json:"task_result"`
}

// flexInt reads a JSON number or a numeric string ("1759320600000"),
// because Kling's numbers are not consistently typed.
type flexInt int64

// UnmarshalJSON accepts 5, 5.0, "5" and null.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return err
	}
	if v > math.MaxInt64/2 || v < math.MinInt64/2 {
		return fmt.Errorf("kling: number %v out of range", v)
	}
	*f = flexInt(v)
	return nil
}

// flexFloat reads a JSON number or a numeric string ("5.1" seconds).
type flexFloat float64

// UnmarshalJSON accepts 5.1, "5.1" and null.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	*f = flexFloat(v)
	return err
}

func flexNumber(b []byte) (float64, error) {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return 0, nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
		if s == "" {
			return 0, nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("kling: not a number: %.40q", s)
	}
	return v, nil
}

// flexString reads a JSON string or number as text (ids sent as numbers).
type flexString string

// UnmarshalJSON accepts "x", 12 and null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("kling: want a string or number: %w", err)
	}
	*f = flexString(n.String())
	return nil
}

// decodeTask reads an envelope's data as a task.
func decodeTask(data json.RawMessage) (task, error) {
	var t task
	if len(data) == 0 || string(data) == "null" {
		return t, errors.New("kling: answer without data")
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return t, fmt.Errorf("kling: decoding task: %w", err)
	}
	if t.TaskID == "" {
		return t, errors.New("kling: task without task_id")
	}
	return t, nil
}

// toStatus maps a task onto the unified status. An unknown task_status is
// an error: the next poll may bring a known one.
func toStatus(t task) (provider.Status, error) {
	st := provider.Status{Metadata: map[string]any{"kling_task_id": string(t.TaskID)}}
	if t.TaskInfo.ExternalTaskID != "" {
		st.Metadata["external_task_id"] = string(t.TaskInfo.ExternalTaskID)
	}
	if t.FinalUnitDeduction != "" {
		st.Metadata["units_charged"] = string(t.FinalUnitDeduction)
	}
	switch t.TaskStatus {
	case statusSubmitted:
		st.State, st.PollAfter = provider.StateQueued, pollInterval
	case statusProcessing:
		st.State, st.PollAfter = provider.StateProcessing, pollInterval
	case statusSucceed:
		st.State, st.Progress = provider.StateSucceeded, 1
		for _, v := range t.TaskResult.Videos {
			if v.URL == "" {
				continue
			}
			st.Outputs = append(st.Outputs, provider.Output{URL: v.URL,
				Kind: provider.OutputVideo, MIME: "video/mp4",
				DurationSeconds: max(float64(v.Duration), 0)})
		}
		if len(st.Outputs) == 0 {
			st.State, st.Progress = provider.StateFailed, 0
			st.Err = provider.NewError(provider.CodeProviderError,
				"kling reported success without a video")
		}
	case statusFailed:
		st.State = provider.StateFailed
		st.Err = failure(t.TaskStatusMsg)
	default:
		return provider.Status{}, fmt.Errorf("kling: unknown task_status %.40q", t.TaskStatus)
	}
	return st, nil
}

// failure classifies a failed task's reason: moderation refusals will fail
// again and are bad_request, anything else is the vendor's provider_error.
func failure(msg string) *provider.Error {
	if msg == "" {
		msg = "kling task failed without a reason"
	}
	code := provider.CodeProviderError
	lower := strings.ToLower(msg)
	for _, w := range []string{"risk", "policy", "sensitive", "violat", "moderat",
		"inappropriate"} {
		if strings.Contains(lower, w) {
			code = provider.CodeBadRequest
			break
		}
	}
	return provider.NewError(code, msg)
}

// Default waits when a rate refusal carries no Retry-After: a QPS refusal
// clears within a second, a concurrency refusal only when a running task
// finishes.
const (
	qpsBackoff         = time.Second
	concurrencyBackoff = 10 * time.Second
)

// vendorError maps a refusal (non-2xx status or non-zero code) to a
// provider.Error, by Kling code first because quota problems arrive as 429.
func vendorError(status int, header http.Header, body []byte, env *envelope) *provider.Error {
	if env == nil || env.Code == 0 {
		e := provider.FromHTTP(status, header, body)
		if e == nil { // 2xx without a code: the body was not an envelope
			e = provider.NewError(provider.CodeProviderError, "kling answered an error "+
				"without a code")
			e.HTTPStatus = status
		}
		return e
	}
	code := codeClass(int(env.Code))
	if code == "" {
		if fe := provider.FromHTTP(status, header, body); fe != nil {
			code = fe.Code
		} else {
			code = provider.CodeProviderError
		}
	}
	msg := env.Message
	if msg == "" {
		msg = "kling error " + strconv.Itoa(int(env.Code))
	}
	e := &provider.Error{Code: code, Message: provider.Sanitize(msg),
		ProviderCode: strconv.Itoa(int(env.Code)), HTTPStatus: status}
	if code == provider.CodeRateLimited {
		if d, ok := provider.ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
			e.RetryAfter = d
		} else if env.Code == 1303 {
			e.RetryAfter = concurrencyBackoff
		} else {
			e.RetryAfter = qpsBackoff
		}
	}
	return e
}

// codeClass is Kling's error table; "" for codes it does not list.
func codeClass(c int) provider.Code {
	switch {
	case c >= 1000 && c <= 1004, c == 1100, c == 1103, c == 1304:
		return provider.CodeAuthFailed
	case c == 1101, c == 1102:
		return provider.CodeQuotaExhausted
	case c >= 1200 && c <= 1203, c == 1300, c == 1301:
		return provider.CodeBadRequest
	case c == 1302, c == 1303:
		return provider.CodeRateLimited
	case c == 5002:
		return provider.CodeTimeout
	case c >= 5000 && c < 6000:
		return provider.CodeProviderError
	}
	return ""
}
