package wan

import (
	"net/http"
	"testing"
)

// FuzzDecodeAnswer feeds hostile answers through the decoding used by
// Create and Get: nothing may panic, and a success must carry an output.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"output":{"task_id":"1","task_status":"SUCCEEDED","video_url":"https://x/v.mp4"},` +
			`"usage":{"duration":"10","SR":"540","size":"1920*1080"}}`,
		`{"output":{"task_id":"1","task_status":"FAILED","code":7,"message":"m"}}`,
		`{"output":{"task_status":"UNKNOWN"}}`,
		`{"code":"Throttling","message":"slow down"}`,
		`{"output":{"task_id":"1","task_status":"RUNNING"},"usage":{"size":"99999999*-1"}}`,
		`null`, `[]`, `{"output":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if ans, err := decodeAnswer(body); err == nil {
			if st, err := toStatus(ans); err == nil && st.State == "succeeded" &&
				len(st.Outputs) == 0 {
				t.Fatalf("success without outputs from %q", body)
			}
		}
		for _, status := range []int{200, 400, 429, 503} {
			if e := vendorError(status, http.Header{"Retry-After": {"5"}}, body); status != 200 &&
				e == nil {
				t.Fatalf("no error for HTTP %d", status)
			}
		}
	})
}
