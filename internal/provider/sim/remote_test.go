package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

const testToken = "s3cret-token"

// newRemote returns a Remote speaking to s's Handler with the given token.
func newRemote(t *testing.T, s *Sim, token string) *Remote {
	t.Helper()
	parallel := strconv.Itoa(s.cfg.MaxParallelRenders)
	r, err := NewRemote(provider.Config{Name: Name, BaseURL: s.cfg.BaseURL + "/",
		Credentials: token, Getenv: func(k string) string {
			return map[string]string{"SIM_MAX_PARALLEL": parallel}[k]
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitRemote polls Get until the job is terminal and returns every status.
func waitRemote(t *testing.T, r *Remote, id string) []provider.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var seen []provider.Status
	for {
		st, err := r.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		seen = append(seen, st)
		if st.State.Terminal() {
			return seen
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func TestRemoteLifecycle(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) {
		c.QueueDelay, c.RenderDelay, c.Token = 200*time.Millisecond, 400*time.Millisecond,
			testToken
	})
	r := newRemote(t, s, testToken)
	if r.Name() != Name || !reflect.DeepEqual(r.Capabilities(), s.Capabilities()) {
		t.Fatalf("remote %q capabilities differ from the simulator's", r.Name())
	}
	seed := int64(7)
	req := clip(nil)
	req.TaskID, req.Seed = "task-remote", &seed
	c, err := r.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	seen := waitRemote(t, r, c.JobID)
	var states []provider.State
	for _, st := range seen {
		if len(states) == 0 || states[len(states)-1] != st.State {
			states = append(states, st.State)
		}
		if !st.State.Terminal() && st.PollAfter <= 0 {
			t.Errorf("running status without poll advice: %+v", st)
		}
	}
	if got := joinStates(states); got != "queued,processing,succeeded" {
		t.Errorf("states %s", got)
	}
	st := seen[len(seen)-1]
	if st.Progress != 1 || len(st.Outputs) != 1 || st.CoverURL == "" || st.Err != nil ||
		st.Metadata["seed"] != float64(7) {
		t.Fatalf("final status %+v", st)
	}
	out := st.Outputs[0]
	if out.Kind != provider.OutputVideo || out.MIME != "video/mp4" || out.Width != 1280 ||
		out.Height != 720 {
		t.Errorf("output %+v", out)
	}
	// Outputs need no token even though the API does.
	info := probe(t, download(t, out.URL, "remote.mp4"))
	if info.Width != 1280 || info.Height != 720 || info.Duration < 900*time.Millisecond ||
		info.Duration > 1100*time.Millisecond {
		t.Errorf("probed %+v", info)
	}
}

func TestRemoteIdempotentCreate(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) { c.QueueDelay = 5 * time.Second })
	r := newRemote(t, s, "")
	req := clip(nil)
	req.TaskID = "task-idem"
	ctx := context.Background()
	a, err := r.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Create(ctx, req)
	if err != nil || b.JobID != a.JobID {
		t.Fatalf("second Create: %v %v, want %s", b, err, a.JobID)
	}
	body, _ := json.Marshal(toWireRequest(req))
	resp, err := http.Post(s.cfg.BaseURL+"/v1/jobs", "application/json",
		strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("create of a known task answered %s, want 200", resp.Status)
	}
	var got wireCreates
	getJSON(t, s.cfg.BaseURL+"/v1/creates?task_id=task-idem", "", &got)
	if got != (wireCreates{TaskID: "task-idem", Creates: 3, Total: 3}) ||
		s.Creates("task-idem") != 3 {
		t.Errorf("creates %+v", got)
	}
	if err := r.Cancel(ctx, a.JobID); err != nil {
		t.Fatal(err)
	}
}

// getJSON GETs url with an optional bearer token and decodes a 200 answer.
func getJSON(t *testing.T, url, token string, dst any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteForcedFailures(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	r := newRemote(t, s, "")
	ctx := context.Background()
	for code, status := range map[provider.Code]int{
		provider.CodeBadRequest:     http.StatusBadRequest,
		provider.CodeAuthFailed:     http.StatusUnauthorized,
		provider.CodeQuotaExhausted: http.StatusPaymentRequired,
	} {
		_, err := r.Create(ctx, clip(map[string]any{"sim_fail": string(code)}))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Code != code || pe.HTTPStatus != status ||
			pe.Message != "simulated "+string(code) {
			t.Errorf("sim_fail=%s: %v (%+v)", code, err, pe)
		}
	}
	req := clip(map[string]any{"sim_rate_limit_once": true})
	req.TaskID = "task-rl"
	_, err := r.Create(ctx, req)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != provider.CodeRateLimited ||
		pe.RetryAfter != time.Second || pe.HTTPStatus != http.StatusTooManyRequests {
		t.Fatalf("rate limit: %v", err)
	}
	for _, code := range []provider.Code{provider.CodeTimeout, provider.CodeProviderError} {
		c, err := r.Create(ctx, clip(map[string]any{"sim_fail": string(code)}))
		if err != nil {
			t.Fatal(err)
		}
		seen := waitRemote(t, r, c.JobID)
		st := seen[len(seen)-1]
		if st.State != provider.StateFailed || st.Err == nil || st.Err.Code != code ||
			len(st.Outputs) != 0 {
			t.Errorf("sim_fail=%s: final %+v", code, st)
		}
	}
	// The retry after the rate limit goes through and is counted.
	c, err := r.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Cancel(ctx, c.JobID)
	if n := s.Creates("task-rl"); n != 2 {
		t.Errorf("Creates = %d, want 2", n)
	}
	req = clip(nil)
	req.DurationSeconds = 21
	_, err = r.Create(ctx, req)
	if pe := provider.AsError(err); pe.Code != provider.CodeBadRequest ||
		pe.HTTPStatus != http.StatusUnprocessableEntity ||
		!strings.Contains(pe.Message, "does not support duration 21") {
		t.Errorf("validation: %v", err)
	}
}

func TestRemoteCancelAndUnknown(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) { c.QueueDelay = 10 * time.Second })
	r := newRemote(t, s, "")
	ctx := context.Background()
	c, err := r.Create(ctx, clip(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel(ctx, c.JobID); err != nil {
		t.Fatal(err)
	}
	st, err := r.Get(ctx, c.JobID)
	if err != nil || st.State != provider.StateCanceled {
		t.Fatalf("after Cancel: %+v %v", st, err)
	}
	if err := r.Cancel(ctx, c.JobID); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
	for _, err := range []error{
		func() error { _, err := r.Get(ctx, "sim_feedface"); return err }(),
		r.Cancel(ctx, "../outputs"),
		func() error { _, err := r.Get(ctx, ""); return err }(),
	} {
		if pe := provider.AsError(err); pe.Code != provider.CodeBadRequest {
			t.Errorf("unknown job: %v", err)
		}
	}
}

func TestRemoteAuth(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, func(c *Config) { c.Token = testToken })
	ctx := context.Background()
	for _, token := range []string{"", "wrong", testToken + "x"} {
		r := newRemote(t, s, token)
		_, err := r.Create(ctx, clip(nil))
		pe := provider.AsError(err)
		if pe.Code != provider.CodeAuthFailed || pe.HTTPStatus != http.StatusUnauthorized ||
			strings.Contains(pe.Error(), testToken) {
			t.Errorf("token %q: Create %v", token, err)
		}
		if _, err := r.Get(ctx, "sim_feedface"); provider.AsError(err).Code !=
			provider.CodeAuthFailed {
			t.Errorf("token %q: Get %v", token, err)
		}
	}
	if s.TotalCreates() != 0 {
		t.Errorf("unauthorized calls reached Create %d times", s.TotalCreates())
	}
	var got wireCreates
	getJSON(t, s.cfg.BaseURL+"/v1/creates?task_id=x", testToken, &got)
	// The token may also come from SIM_TOKEN when the credential is empty.
	r, err := NewRemote(provider.Config{BaseURL: s.cfg.BaseURL,
		Getenv: func(k string) string { return map[string]string{"SIM_TOKEN": testToken}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "sim_feedface"); provider.AsError(err).Code !=
		provider.CodeBadRequest {
		t.Errorf("SIM_TOKEN fallback: %v", err)
	}
}

func TestRemoteTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r, err := NewRemote(provider.Config{BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Create(context.Background(), clip(nil))
	if pe := provider.AsError(err); pe.Code != provider.CodeProviderError || !pe.Retryable() {
		t.Errorf("refused connection: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Get(ctx, "sim_1"); provider.AsError(err).Code != provider.CodeTimeout {
		t.Errorf("canceled context: %v", err)
	}
	for _, base := range []string{"ftp://x", "http://", "http://h/?q=1"} {
		if _, err := NewRemote(provider.Config{BaseURL: base}); !errors.Is(err,
			ErrInvalidConfig) {
			t.Errorf("BaseURL %q: %v", base, err)
		}
	}
	p, err := RemoteFactory()(provider.Config{Name: Name})
	if err != nil || p.Name() != Name || p.(*Remote).base != DefaultBaseURL {
		t.Errorf("RemoteFactory: %v %v", p, err)
	}
}
