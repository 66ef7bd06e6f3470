package runway

import (
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
)

func FuzzDecodeTask(f *testing.F) {
	f.Add([]byte(`{"id":"a","status":"RUNNING","progress":0.42}`), false)
	f.Add([]byte(`{"id":"a","status":"SUCCEEDED","output":["https://x/a.mp4",1,null]}`), true)
	f.Add([]byte(`{"id":"a","status":"FAILED","failure":"no","failureCode":"SAFETY.INPUT.TEXT"}`),
		false)
	f.Add([]byte(`{"id":"a","status":"RUNNING","progress":1e308}`), false)
	f.Add([]byte(`{"id":"a","status":"THROTTLED","output":"x"}`), false)
	f.Fuzz(func(t *testing.T, raw []byte, image bool) {
		tk, err := decodeTask(raw)
		if err != nil {
			return
		}
		st := tk.status(image)
		if st.Progress < 0 || st.Progress > 1 {
			t.Fatalf("progress %v", st.Progress)
		}
		if st.State == provider.StateSucceeded && len(st.Outputs) == 0 {
			t.Fatal("success without outputs")
		}
		if st.State == provider.StateFailed && (st.Err == nil || st.Err.Message == "") {
			t.Fatal("failure without a reason")
		}
		if len(st.Outputs) > maxOutputs {
			t.Fatalf("%d outputs", len(st.Outputs))
		}
	})
}
