package veo

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
)

func rsaKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 1024) }

// FuzzDecodeOperation feeds hostile operation documents to the decoder: it
// must never panic, and a success must always carry a downloadable output.
func FuzzDecodeOperation(f *testing.F) {
	for _, s := range []string{
		`{"name":"n"}`,
		`{"name":"n","done":true,"error":{"code":3,"message":"m"}}`,
		`{"done":true,"response":{"videos":[{"gcsUri":"gs://b/o.mp4"}]}}`,
		`{"done":true,"response":{"videos":[{"bytesBase64Encoded":"AAAA"}]}}`,
		`{"done":true,"response":{"generateVideoResponse":{"generatedSamples":` +
			`[{"video":{"uri":"https://h/f"}}],"raiMediaFilteredCount":1}}}`,
		`{"done":true,"response":{"raiMediaFilteredCount":2,"raiMediaFilteredReasons":["r"]}}`,
		`{"done":true,"response":null}`, `{"done":"yes"}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, st, err := decodeOperation(raw)
		if err != nil {
			return
		}
		switch st.State {
		case provider.StateSucceeded:
			for _, o := range st.Outputs {
				if o.URL == "" && len(o.Data) == 0 {
					t.Fatalf("empty output in %q", raw)
				}
			}
		case provider.StateFailed:
			if st.Err == nil {
				t.Fatalf("failure without a reason in %q", raw)
			}
		case provider.StateProcessing:
		default:
			t.Fatalf("state %q from %q", st.State, raw)
		}
	})
}
