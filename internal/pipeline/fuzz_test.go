package pipeline

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, path := range scriptFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{"镜头", "1.", "(1)", "- ", "ANNA\n", "INT.", "：", "（", "【】",
		"Shot 1 (", "5秒", "\r\r\n", "# ", "林晓（", "FADE IN:\nANNA\n(beat)\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		sb, err := Parse(script, ParseOptions{})
		if strings.TrimSpace(script) == "" || len(script) > MaxScriptBytes {
			return
		}
		if err != nil {
			if strings.TrimFunc(script, func(r rune) bool {
				return r < 0x20 || r == 0x7f ||
					r == '\uFEFF' || r == ' '
			}) == "" {
				return
			}
			t.Fatalf("Parse error for non-empty input: %v", err)
		}
		for _, sc := range sb.Scenes {
			for _, sh := range sc.Shots {
				if sh.DurationSeconds < MinShotSeconds || sh.DurationSeconds > MaxShotSeconds {
					t.Fatalf("shot duration %g out of range", sh.DurationSeconds)
				}
			}
		}
		data, err := json.Marshal(sb)
		if err != nil {
			t.Fatal(err)
		}
		var back Storyboard
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&back, sb) {
			t.Fatalf("JSON round trip changed the storyboard:\n%s", data)
		}
		if err := Synthesize(sb, SynthOptions{Provider: "wan", Style: "cinematic"}); err != nil {
			t.Fatal(err)
		}
		_ = SubtitlesSRT(sb)
	})
}
