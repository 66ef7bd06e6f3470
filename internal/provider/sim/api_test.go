package sim

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// post sends body to the API of s and returns the status and decoded error.
func post(t *testing.T, s *Sim, path, body string) (int, *provider.Error) {
	t.Helper()
	resp, err := http.Post(s.cfg.BaseURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return resp.StatusCode, provider.FromHTTP(resp.StatusCode, resp.Header, raw)
}

func TestAPIStrictDecoding(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, nil)
	big := `{"kind":"text_to_video","prompt":"` + strings.Repeat("a", MaxRequestBytes) + `"}`
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"kind":"text_to_video","prompt":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{`{"kind":"text_to_video","prompt":"x"} {}`, 400, "trailing data"},
		{`{"kind":"text_to_video","prompt":`, 400, "invalid request body"},
		{``, 400, "invalid request body"},
		{`{"duration_seconds":"5"}`, 400, "invalid request body"},
		{big, 413, "request body over 1048576 bytes"},
		{`{"kind":"text_to_video","prompt":"x","params":{"sim_fail":"meteor"}}`, 400,
			"sim_fail must be"},
	} {
		status, pe := post(t, s, "/v1/jobs", tc.body)
		if status != tc.status || pe == nil || pe.Code != provider.CodeBadRequest ||
			!strings.Contains(pe.Message, tc.want) {
			t.Errorf("body %.60q: %d %v", tc.body, status, pe)
		}
	}
	if s.TotalCreates() != 1 {
		t.Errorf("TotalCreates = %d, want 1 (only the decodable body)", s.TotalCreates())
	}
	status, pe := post(t, s, "/v1/nothing", "{}")
	if status != http.StatusNotFound || pe.Code != provider.CodeBadRequest {
		t.Errorf("unknown endpoint: %d %v", status, pe)
	}
}

func TestAPIErrorStatuses(t *testing.T) {
	t.Parallel()
	for code, want := range map[provider.Code]int{
		provider.CodeRateLimited: 429, provider.CodeAuthFailed: 401,
		provider.CodeQuotaExhausted: 402, provider.CodeBadRequest: 400,
		provider.CodeTimeout: 504, provider.CodeProviderError: 500,
	} {
		e := provider.NewError(code, "m")
		if got := statusFor(e); got != want {
			t.Errorf("%s: status %d, want %d", code, got, want)
		}
		e.HTTPStatus = http.StatusNotFound // kept only where it maps back to code
		if got := statusFor(e); (got == 404) != (code == provider.CodeBadRequest) {
			t.Errorf("%s with 404: status %d", code, got)
		}
	}
	s := &Sim{log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/v1/jobs", nil)
	s.writeError(rec, req, &provider.Error{Code: provider.CodeRateLimited, Message: "slow",
		RetryAfter: 1500 * time.Millisecond})
	var body wireErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil ||
		rec.Code != 429 || rec.Header().Get("Retry-After") != "2" ||
		body.Error != (wireError{Code: "rate_limited", Message: "slow"}) {
		t.Errorf("rate limit answer %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	s.writeError(rec, req, errors.New("boom"))
	if pe := provider.FromHTTP(rec.Code, rec.Header(), rec.Body.Bytes()); rec.Code != 500 ||
		pe.Code != provider.CodeProviderError || pe.Message != "boom" {
		t.Errorf("plain error answer %d %s", rec.Code, rec.Body)
	}
}

func FuzzDecodeStatus(f *testing.F) {
	seeds := []string{
		`{"id":"sim_1","status":"succeeded","progress":1,"outputs":[{"url":"http://h/o/v.mp4",` +
			`"kind":"video","mime":"video/mp4","width":1280,"height":720,` +
			`"duration_seconds":1}],"cover_url":"http://h/c.jpg","error":null,` +
			`"poll_after_ms":0,"metadata":{"seed":7}}`,
		`{"id":"sim_2","status":"failed","error":{"code":"timeout","message":"late"}}`,
		`{"id":"sim_3","status":"processing","progress":-4,"poll_after_ms":9223372036854775807}`,
		`{"id":"sim_4","status":"succeeded","outputs":[{"url":"file:///etc/passwd"}]}`,
		`{"id":"sim_5","status":"succeeded","outputs":[]}`,
		`{"id":"sim_6","status":"failed","error":{"code":"meteor"}}`,
		`{"id":"","status":"queued"}`, `{"status":"weird","id":"x"}`, `[]`, `null`, `{`,
		`{"id":"x","status":"queued","outputs":{"a":1}}`, `{"id":1}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, st, err := decodeStatus(data)
		if err != nil {
			if !errors.Is(err, errMalformedJob) || id != "" {
				t.Fatalf("error %v with id %q", err, id)
			}
			return
		}
		if id == "" || st.Progress < 0 || st.Progress > 1 || st.PollAfter < 0 ||
			st.PollAfter > maxPollAfter {
			t.Fatalf("decoded %q %+v", id, st)
		}
		if st.State == provider.StateFailed && st.Err == nil {
			t.Fatal("failed without error")
		}
		if (st.State == provider.StateSucceeded) != (len(st.Outputs) > 0) {
			t.Fatalf("state %s with %d outputs", st.State, len(st.Outputs))
		}
		for _, o := range st.Outputs {
			if httpURL(o.URL) == "" || o.Width < 0 || o.Height < 0 || o.DurationSeconds < 0 {
				t.Fatalf("output %+v", o)
			}
		}
		if _, err := json.Marshal(st.Metadata); err != nil {
			t.Fatalf("metadata not encodable: %v", err)
		}
	})
}
