package kling

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
)

// FuzzDecodeTask feeds hostile answers through the decoding used by Get
// and Webhook: nothing may panic, and a success must carry an output.
func FuzzDecodeTask(f *testing.F) {
	for _, s := range []string{
		`{"code":0,"data":{"task_id":"1","task_status":"succeed","task_result":` +
			`{"videos":[{"url":"https://x/v.mp4","duration":"5.1"}]}}}`,
		`{"code":0,"data":{"task_id":2,"task_status":"failed","task_status_msg":"x"}}`,
		`{"code":"1303","message":"busy"}`,
		`{"code":0,"data":{"task_id":"1","task_status":"submitted","created_at":"1e400"}}`,
		`{"code":0,"data":null}`, `[]`, `{"data":{"task_result":{"videos":"x"}}}`,
	} {
		f.Add([]byte(s))
	}
	a, err := New(testConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var env envelope
		if json.Unmarshal(body, &env) == nil {
			if tk, err := decodeTask(env.Data); err == nil {
				if st, err := toStatus(tk); err == nil && st.State == "succeeded" &&
					len(st.Outputs) == 0 {
					t.Fatalf("success without outputs from %q", body)
				}
			}
		}
		_ = vendorError(http.StatusBadRequest, http.Header{}, body, &env)
		r := httptest.NewRequest(http.MethodPost, "/cb?kling_kind=text2video",
			bytes.NewReader(body))
		_, _ = a.Webhook(r, body)
	})
}

func testConfig() provider.Config {
	return provider.Config{Name: Name, Credentials: "fuzz-ak:fuzz-sk"}
}
