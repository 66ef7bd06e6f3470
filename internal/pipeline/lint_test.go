package pipeline

import (
	"strings"
	"testing"
)

// rules returns the rules of the findings, in order.
func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func has(fs []Finding, rule string) (Finding, bool) {
	for _, f := range fs {
		if f.Rule == rule {
			return f, true
		}
	}
	return Finding{}, false
}

func TestLintRules(t *testing.T) {
	t.Parallel()
	good := "Close-up, slow dolly-in: a woman in a red coat counts wet coins on a ferry " +
		"counter at night, warm tungsten light, rain on the windows."
	goodZH := "特写，推镜头：白衬衫短发的女孩攥紧丝绒戒指盒，咖啡馆午后的阳光落在桌面上。"
	tests := []struct {
		name   string
		prompt string
		opts   LintOptions
		rule   string
		want   bool
		marked string // text Start:End must cover, if any
	}{
		{"clean en", good, LintOptions{}, "", false, ""},
		{"clean zh", goodZH, LintOptions{}, "", false, ""},
		{"too long for wan", strings.Repeat(goodZH, 25), LintOptions{Provider: "wan"},
			RuleTooLong, true, ""},
		{"fits kling", strings.Repeat(goodZH, 25), LintOptions{Provider: "kling"},
			RuleTooLong, false, ""},
		{"too short en", "a dog, close-up", LintOptions{}, RuleTooShort, true, ""},
		{"too short zh", "特写，猫", LintOptions{}, RuleTooShort, true, ""},
		{"no camera", "A woman counts wet coins on a ferry counter at night in the rain.",
			LintOptions{}, RuleNoCamera, true, ""},
		{"camera zh", goodZH, LintOptions{}, RuleNoCamera, false, ""},
		{"anime vs photorealistic", good + " Anime style, photorealistic skin.", LintOptions{},
			RuleStyleConflict, true, "photorealistic"},
		{"黑白 vs 色彩鲜艳", goodZH + "黑白胶片，色彩鲜艳。", LintOptions{}, RuleStyleConflict,
			true, "色彩鲜艳"},
		{"unresolved", "Close-up of {product} on a marble table in soft morning light.",
			LintOptions{}, RuleUnresolved, true, "{product}"},
		{"escaped braces", "Close-up of a {{logo}} sign on a marble table in soft light.",
			LintOptions{}, RuleUnresolved, false, ""},
		{"blocked en", good, LintOptions{BlockedWords: []string{"COINS"}}, RuleBlockedWord,
			true, "coins"},
		{"blocked whole word only", good, LintOptions{BlockedWords: []string{"coin"}},
			RuleBlockedWord, false, ""},
		{"blocked zh substring", goodZH, LintOptions{BlockedWords: []string{"戒指"}},
			RuleBlockedWord, true, "戒指"},
		{"repeated en", "Close-up of the the ferry deck at night with rain and lanterns.",
			LintOptions{}, RuleRepeatedWord, true, "the"},
		{"overused en", "Close-up, rain on rain-soaked rain gear, rain everywhere, rain.",
			LintOptions{}, RuleRepeatedWord, true, ""},
		{"repeated zh", "特写，美丽美丽的海棠花在风里轻轻摇晃，阳光很好。", LintOptions{},
			RuleRepeatedWord, true, "美丽"},
		{"reduplication ok", "特写，花瓣慢慢飘落，阳光暖暖地照在湖面上。", LintOptions{},
			RuleRepeatedWord, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := Lint(tt.prompt, tt.opts)
			if tt.rule == "" {
				if len(fs) != 0 {
					t.Errorf("clean prompt got findings %v: %+v", rules(fs), fs)
				}
				return
			}
			f, ok := has(fs, tt.rule)
			if ok != tt.want {
				t.Fatalf("rule %s triggered = %v, want %v (findings %+v)", tt.rule, ok, tt.want, fs)
			}
			if !ok {
				return
			}
			if f.Message == "" || f.MessageZH == "" || f.Suggestion == "" {
				t.Errorf("finding lacks text: %+v", f)
			}
			if tt.marked != "" && !strings.EqualFold(tt.prompt[f.Start:f.End], tt.marked) {
				t.Errorf("finding marks %q, want %q", tt.prompt[f.Start:f.End], tt.marked)
			}
		})
	}
}
