package pipeline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSynthesizeCharacterBible(t *testing.T) {
	t.Parallel()
	sb := parseFile(t, "testdata/scripts/zh_short_drama.txt")
	if err := Synthesize(sb, SynthOptions{Style: "电影感", Provider: "kling"}); err != nil {
		t.Fatal(err)
	}
	for _, sc := range sb.Scenes {
		for _, sh := range sc.Shots {
			for _, c := range sh.Characters {
				want := map[string]string{"林晓": "林晓（白衬衫，短发）",
					"周屿": "周屿（灰色西装，戴眼镜）"}[c]
				if !strings.Contains(sh.Prompt, want) {
					t.Errorf("scene %d shot %d prompt lacks %q: %s", sc.Number, sh.Number, want,
						sh.Prompt)
				}
				if strings.Count(sh.Prompt, "白衬衫") > 1 {
					t.Errorf("description repeated in %s", sh.Prompt)
				}
			}
			if sh.NegativePrompt == "" {
				t.Errorf("kling supports a negative prompt, none set")
			}
		}
	}
	last := sb.Scenes[1].Shots[2].Prompt
	for _, want := range []string{"特写", "慢动作", "公司天台", "电影感光影"} {
		if !strings.Contains(last, want) {
			t.Errorf("last prompt lacks %q: %s", want, last)
		}
	}
	en := parseFile(t, "testdata/scripts/en_screenplay.txt")
	if err := Synthesize(en, SynthOptions{Provider: "runway", Style: "cinematic"}); err != nil {
		t.Fatal(err)
	}
	p := en.Scenes[2].Shots[0].Prompt
	if !strings.Contains(p, "ANNA (30s, red coat)") || !strings.Contains(p, "ferry deck") {
		t.Errorf("later English shot lacks the bible entry or place: %s", p)
	}
	if en.Scenes[0].Shots[0].NegativePrompt != "" {
		t.Errorf("runway takes no negative prompt")
	}
	if c := en.Scenes[1].Shots[0].Prompt; !strings.HasPrefix(c, "Close-up: ") {
		t.Errorf("runway prompt should lead with the camera: %s", c)
	}
}

func TestSynthesizeLimitsAndLocks(t *testing.T) {
	t.Parallel()
	long := "镜头1 特写\n林晓（白衬衫，短发）" + strings.Repeat("在雨里奔跑，", 400) + "\n" +
		"Shot 2 wide shot\n" + strings.Repeat("The crowd surges forward. ", 200)
	for _, prov := range []string{"runway", "veo", "kling", "wan", "sim", ""} {
		sb, err := Parse(long, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sb.Scenes[0].Shots[1].Locked = true
		sb.Scenes[0].Shots[1].Prompt = "hand written"
		if err := Synthesize(sb, SynthOptions{Provider: prov, Style: "cinematic"}); err != nil {
			t.Fatal(err)
		}
		prof, _ := Profile(prov)
		p := sb.Scenes[0].Shots[0].Prompt
		if n := utf8.RuneCountInString(p); n > prof.MaxRunes || n < prof.MaxRunes/2 {
			t.Errorf("%s prompt has %d runes, limit %d", prov, n, prof.MaxRunes)
		}
		if !strings.Contains(p, "林晓（白衬衫，短发）") {
			t.Errorf("%s: trimming lost the character: %.80s", prov, p)
		}
		if sb.Scenes[0].Shots[1].Prompt != "hand written" {
			t.Errorf("%s: locked shot overwritten", prov)
		}
	}
	sb, _ := Parse("Shot 1: a dog", ParseOptions{})
	sb.Scenes[0].Shots[0].Provider = "runwya"
	if err := Synthesize(sb, SynthOptions{}); err == nil {
		t.Error("unknown provider accepted")
	}
}

func TestSynthesizeDeterministic(t *testing.T) {
	t.Parallel()
	var first []string
	for range 3 {
		sb := parseFile(t, "testdata/scripts/mixed_language.txt")
		if err := Synthesize(sb, SynthOptions{Provider: "veo", Style: "anime"}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sc := range sb.Scenes {
			for _, sh := range sc.Shots {
				got = append(got, sh.Prompt, sh.NegativePrompt)
			}
		}
		if first == nil {
			first = got
			continue
		}
		if strings.Join(got, "\x00") != strings.Join(first, "\x00") {
			t.Fatalf("output differs between runs:\n%q\n%q", got, first)
		}
	}
	if !strings.Contains(first[2], `Lily说：“One bowl of beef noodles, please.”`) {
		t.Errorf("veo prompt should quote dialogue: %s", first[2])
	}
}
