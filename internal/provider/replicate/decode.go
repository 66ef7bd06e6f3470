package replicate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// errMalformed reports a 2xx answer that is not a prediction.
var errMalformed = errors.New("replicate: malformed prediction")

// pollAfter is the advice for the next Get of a running prediction: video
// models take minutes, so Replicate's own 1 s SDK default is needlessly
// chatty.
const pollAfter = 4 * time.Second

// prediction is the part of Replicate's prediction object the adapter uses.
type prediction struct {
	ID          string          `json:"id"`
	Model       string          `json:"model"`
	Status      string          `json:"status"`
	Output      json.RawMessage `json:"output"`
	Error       any             `json:"error"`
	Logs        string          `json:"logs"`
	DataRemoved bool            `json:"data_removed"`
	Metrics     map[string]any  `json:"metrics"`
}

// decodePrediction parses a prediction and checks the fields every answer
// has.
func decodePrediction(raw []byte) (*prediction, error) {
	var p prediction
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if p.ID == "" {
		return nil, fmt.Errorf("%w: no id", errMalformed)
	}
	if p.Status == "" {
		return nil, fmt.Errorf("%w: no status", errMalformed)
	}
	return &p, nil
}

// status maps the prediction onto a provider.Status.
func (p *prediction) status() provider.Status {
	st := provider.Status{Metadata: p.metadata()}
	switch p.Status {
	case "starting":
		st.State, st.PollAfter = provider.StateStarting, pollAfter
	case "processing":
		st.State, st.PollAfter = provider.StateProcessing, pollAfter
		st.Progress = logProgress(p.Logs)
	case "succeeded":
		p.succeeded(&st)
	case "failed":
		st.State, st.Err = provider.StateFailed, failure(p.errorText())
	case "canceled":
		st.State = provider.StateCanceled
	case "aborted":
		st.State = provider.StateCanceled
		st.Err = &provider.Error{Code: provider.CodeTimeout, ProviderCode: "aborted",
			Message: "the prediction's deadline passed before it started"}
	default:
		// Statuses newer than this adapter are treated as still running.
		st.State, st.PollAfter = provider.StateProcessing, pollAfter
		st.Metadata["replicate_status"] = provider.Sanitize(p.Status)
	}
	if st.State.Terminal() {
		st.Progress = 1 // the job is over; progress never goes back
	}
	return st
}

func (p *prediction) succeeded(st *provider.Status) {
	urls := outputURLs(p.Output)
	if len(urls) == 0 {
		st.State = provider.StateFailed
		if p.DataRemoved {
			st.Err = &provider.Error{Code: provider.CodeProviderError, ProviderCode: "data_removed",
				Message: "outputs were deleted by Replicate's 1-hour retention before they " +
					"were downloaded; the generation has to run again"}
			return
		}
		st.Err = &provider.Error{Code: provider.CodeProviderError, ProviderCode: "no_output",
			Message: "prediction succeeded without an output file"}
		return
	}
	st.State, st.Progress = provider.StateSucceeded, 1
	for _, u := range urls {
		st.Outputs = append(st.Outputs, output(u))
	}
}

func (p *prediction) metadata() map[string]any {
	md := map[string]any{}
	if p.Model != "" {
		md["model"] = provider.Sanitize(p.Model)
	}
	for _, k := range []string{"predict_time", "total_time"} {
		if v, ok := p.Metrics[k].(float64); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			md[k] = v
		}
	}
	if p.DataRemoved {
		md["data_removed"] = true
	}
	return md
}

// errorText renders the error member, which is a string in practice but
// typed loosely so that an object never breaks decoding.
func (p *prediction) errorText() string {
	switch e := p.Error.(type) {
	case nil:
		return ""
	case string:
		return e
	default:
		b, _ := json.Marshal(e)
		return string(b)
	}
}

// badInput matches failure texts that blame the input, which retrying
// cannot fix: content filters and validation messages.
var (
	badInput = regexp.MustCompile(`(?i)sensitive|nsfw|flagged|safety|moderation|` +
		`invalid|validation|not allowed|must be|unsupported`)
	errCode = regexp.MustCompile(`\((E\d{3,4})\)`)
)

// failure classifies the error text of a failed prediction.
func failure(text string) *provider.Error {
	e := &provider.Error{Code: provider.CodeProviderError, Message: provider.Sanitize(text)}
	if e.Message == "" {
		e.Message = "prediction failed without an error message"
	}
	if badInput.MatchString(text) {
		e.Code = provider.CodeBadRequest
	}
	if m := errCode.FindStringSubmatch(text); m != nil {
		e.ProviderCode = m[1]
	}
	return e
}

// maxOutputs bounds how many files one prediction may list.
const maxOutputs = 64

// outputURLs reads an output that is a URL string or a list of them;
// anything else (objects, numbers, non-http strings) is ignored.
func outputURLs(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if httpURL(one) {
			return []string{one}
		}
		return nil
	}
	var many []any
	if json.Unmarshal(raw, &many) != nil {
		return nil
	}
	var out []string
	for _, v := range many {
		if s, ok := v.(string); ok && httpURL(s) && len(out) < maxOutputs {
			out = append(out, s)
		}
	}
	return out
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// mimes maps file extensions of Replicate outputs to kinds and types.
var mimes = map[string]struct {
	kind provider.OutputKind
	mime string
}{
	".mp4": {provider.OutputVideo, "video/mp4"}, ".mov": {provider.OutputVideo, "video/quicktime"},
	".webm": {provider.OutputVideo, "video/webm"}, ".png": {provider.OutputImage, "image/png"},
	".jpg": {provider.OutputImage, "image/jpeg"}, ".jpeg": {provider.OutputImage, "image/jpeg"},
	".webp": {provider.OutputImage, "image/webp"}, ".gif": {provider.OutputImage, "image/gif"},
}

// output describes one URL by its extension; video models without one are
// assumed to produce MP4.
func output(u string) provider.Output {
	ext := ""
	if pu, err := url.Parse(u); err == nil {
		ext = strings.ToLower(path.Ext(pu.Path))
	}
	if m, ok := mimes[ext]; ok {
		return provider.Output{URL: u, Kind: m.kind, MIME: m.mime}
	}
	return provider.Output{URL: u, Kind: provider.OutputVideo, MIME: "video/mp4"}
}

// progressRe matches tqdm lines such as " 45%|████ | 9/20".
var progressRe = regexp.MustCompile(`(\d{1,3})%\|`)

// logProgress returns the last tqdm percentage in logs as 0..0.99 (1 is
// reserved for success).
func logProgress(logs string) float64 {
	// Only the tail matters and logs can be long.
	if len(logs) > 4096 {
		logs = logs[len(logs)-4096:]
	}
	m := progressRe.FindAllStringSubmatch(logs, -1)
	if len(m) == 0 {
		return 0
	}
	n, err := strconv.Atoi(m[len(m)-1][1])
	if err != nil {
		return 0
	}
	return min(float64(n)/100, 0.99)
}

// progressMemoSize bounds the remembered progress values, one per running
// prediction of this process.
const progressMemoSize = 4096

// progressMemo keeps the highest progress reported for each running job so
// that models printing several progress bars never make it go backwards.
type progressMemo struct {
	mu   sync.Mutex
	max  int
	seen map[string]float64
}

func newProgressMemo(max int) *progressMemo {
	return &progressMemo{max: max, seen: make(map[string]float64)}
}

// raise records p for id and returns the highest value seen for it.
func (m *progressMemo) raise(id string, p float64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.seen[id]; ok && prev >= p {
		return prev
	}
	if _, ok := m.seen[id]; !ok && len(m.seen) >= m.max {
		for k := range m.seen { // drop an arbitrary entry; only monotonicity suffers
			delete(m.seen, k)
			break
		}
	}
	m.seen[id] = p
	return p
}

func (m *progressMemo) forget(id string) {
	m.mu.Lock()
	delete(m.seen, id)
	m.mu.Unlock()
}
