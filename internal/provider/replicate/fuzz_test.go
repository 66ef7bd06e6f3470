package replicate

import (
	"testing"

	"github.com/reelforge/reelforge/internal/provider"
)

func FuzzDecodePrediction(f *testing.F) {
	f.Add([]byte(`{"id":"a","status":"succeeded","output":"https://replicate.delivery/a.mp4",` +
		`"metrics":{"predict_time":1.5}}`))
	f.Add([]byte(`{"id":"a","status":"succeeded","output":["https://x/a.png",3,null]}`))
	f.Add([]byte(`{"id":"a","status":"processing","logs":" 45%|####| 9/20"}`))
	f.Add([]byte(`{"id":"a","status":"failed","error":{"x":1}}`))
	f.Add([]byte(`{"id":"a","status":"succeeded","output":null,"data_removed":true}`))
	f.Add([]byte(`{"id":"a","status":"weird","metrics":{"total_time":"NaN"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := decodePrediction(raw)
		if err != nil {
			return
		}
		st := p.status()
		if st.Progress < 0 || st.Progress > 1 {
			t.Fatalf("progress %v", st.Progress)
		}
		switch st.State {
		case provider.StateSucceeded:
			if len(st.Outputs) == 0 {
				t.Fatal("success without outputs")
			}
			for _, o := range st.Outputs {
				if !httpURL(o.URL) || o.MIME == "" {
					t.Fatalf("output %+v", o)
				}
			}
		case provider.StateFailed:
			if st.Err == nil || st.Err.Message == "" {
				t.Fatal("failure without a reason")
			}
		}
		if len(st.Outputs) > maxOutputs {
			t.Fatalf("%d outputs", len(st.Outputs))
		}
	})
}
