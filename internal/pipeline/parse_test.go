package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current parser")

// scriptFiles lists the testdata scripts, which are also the fuzz seed corpus.
func scriptFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"testdata/scripts/*.md", "testdata/scripts/*.txt"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) < 12 {
		t.Fatalf("found %d scripts, want at least 12", len(files))
	}
	return files
}

func parseFile(t *testing.T, path string) *Storyboard {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Parse(string(data), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse(%s) error = %v", path, err)
	}
	return sb
}

func TestGoldenStoryboards(t *testing.T) {
	t.Parallel()
	for _, path := range scriptFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := json.MarshalIndent(parseFile(t, path), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden (run go test -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("storyboard for %s differs from %s (run go test -update and review)\n%s",
					path, golden, got)
			}
		})
	}
}

// shape summarises a storyboard as a user would check it at a glance.
type shape struct {
	lang     string
	title    string
	shots    []int // shots per scene
	cast     []string
	warnings []int // warning line numbers
}

func TestParseShapes(t *testing.T) {
	t.Parallel()
	tests := map[string]shape{
		"zh_short_drama.txt": {LangZhCN, "错位的婚戒 第3集", []int{4, 3},
			[]string{"林晓", "周屿"}, nil},
		"en_ad_shotlist.md": {LangEn, `Northbound Coffee — "First Light" 30s spot`,
			[]int{5, 3}, []string{"MAYA", "LEO"}, nil},
		"en_screenplay.txt": {LangEn, "THE LAST FERRY", []int{2, 2, 1},
			[]string{"ANNA", "FERRYMAN"}, nil},
		"zh_markdown_doc.md": {LangZhCN, "《山里的图书馆》分镜稿", []int{3, 3},
			[]string{"阿木", "苏老师"}, nil},
		"en_markdown_shots.md": {LangEn, "Pixel Rangers — Season Launch Trailer", []int{2, 2},
			[]string{"KIRA"}, nil},
		"zh_shot_list_no_scenes.txt": {LangZhCN, "", []int{5}, []string{"妈妈", "小满"}, nil},
		"zh_messy_crlf.txt": {LangZhCN, "", []int{2, 2},
			[]string{"陈默", "妈妈", "阿姨"}, nil},
		"junk_lines.txt": {LangEn, "", []int{2}, []string{"TOMAS"},
			[]int{4, 5, 8, 10, 11, 12}},
		"mixed_language.txt": {LangZhCN, "Midnight Noodles 深夜面馆", []int{3},
			[]string{"Chef Wang", "Lily"}, nil},
		"zh_nth_scene_brackets.txt": {LangZhCN, "", []int{2, 2},
			[]string{"沈玉", "沈母", "春桃"}, nil},
		"en_scene_numbered.txt": {LangEn, "", []int{3, 1},
			[]string{"Dr. Okafor", "PRIYA"}, []int{15}},
		"zh_product_ad_fields.txt": {LangZhCN, "轻羽跑鞋 15秒信息流广告", []int{3},
			[]string{"阿杰"}, []int{20}},
		"en_int_ext_game.txt": {LangEn, "", []int{2, 1, 1}, []string{"REYES"}, nil},
		"zh_screenplay_style.txt": {LangZhCN, "", []int{2, 1},
			[]string{"小周", "林医生"}, nil},
	}
	for _, path := range scriptFiles(t) {
		want, ok := tests[filepath.Base(path)]
		if !ok {
			t.Errorf("no shape expectation for %s", path)
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			sb := parseFile(t, path)
			var got shape
			got.lang, got.title = sb.Language, sb.Title
			for _, sc := range sb.Scenes {
				got.shots = append(got.shots, len(sc.Shots))
			}
			for _, c := range sb.Characters {
				got.cast = append(got.cast, c.Name)
			}
			for _, w := range sb.Warnings {
				got.warnings = append(got.warnings, w.Line)
			}
			if got.lang != want.lang || got.title != want.title ||
				!slices.Equal(got.shots, want.shots) || !slices.Equal(got.cast, want.cast) ||
				!slices.Equal(got.warnings, want.warnings) {
				t.Errorf("got  %+v\nwant %+v\nwarnings: %v", got, want, sb.Warnings)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	t.Parallel()
	sb := parseFile(t, "testdata/scripts/zh_short_drama.txt")
	first := sb.Scenes[0]
	if first.Place != "咖啡馆" || first.Time != "日" {
		t.Errorf("scene 1 place/time = %q/%q, want 咖啡馆/日", first.Place, first.Time)
	}
	sh := first.Shots[1]
	if len(sh.Dialogue) != 1 || sh.Dialogue[0] != (Line{"林晓", "他说好三点到的。", "低声"}) {
		t.Errorf("shot 2 dialogue = %+v", sh.Dialogue)
	}
	if sh.Action != "林晓低头看手机，屏幕上没有新消息" {
		t.Errorf("stage direction in （） not kept as action: %q", sh.Action)
	}
	if c := first.Shots[2]; c.DurationSeconds != 3 || !c.ExplicitDuration ||
		!slices.Equal(c.Camera, []string{CamCloseUp}) {
		t.Errorf("镜头3 特写 3秒 parsed as %v %gs explicit=%v", c.Camera, c.DurationSeconds,
			c.ExplicitDuration)
	}
	ad := parseFile(t, "testdata/scripts/en_ad_shotlist.md")
	if d := ad.Scenes[0].Shots[2].DurationSeconds; d != 2.5 {
		t.Errorf("(2.5s) parsed as %g", d)
	}
	if c := ad.Scenes[0].Shots[3].Camera; !slices.Equal(c, []string{CamMediumShot, CamHandheld}) {
		t.Errorf("Medium shot, handheld parsed as %v", c)
	}
	sp := parseFile(t, "testdata/scripts/en_screenplay.txt")
	l := sp.Scenes[0].Shots[1].Dialogue[1]
	if l.Character != "ANNA" || l.Parenthetical != "breathless" {
		t.Errorf("screenplay cue with parenthetical = %+v", l)
	}
	if c := sp.Scenes[0].Shots[1].Characters; !slices.Equal(c, []string{"ANNA"}) {
		t.Errorf("off-screen speaker counted as on screen: %v", c)
	}
}

func TestParseCameraVocabulary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want []string
	}{
		{"镜头1 特写", []string{CamCloseUp}},
		{"镜头1 大特写", []string{CamExtremeCloseUp}},
		{"镜头1 近景 推", []string{CamMediumCloseUp, CamDollyIn}},
		{"镜头1 中景 拉镜", []string{CamMediumShot, CamDollyOut}},
		{"镜头1 全景 摇镜", []string{CamFullShot, CamPan}},
		{"镜头1 远景 俯拍", []string{CamWideShot, CamTopShot}},
		{"镜头1 仰拍 跟拍 手持", []string{CamLowAngle, CamTracking, CamHandheld}},
		{"镜头1 航拍 慢动作", []string{CamAerial, CamSlowMotion}},
		{"Shot 1: extreme close-up, push in", []string{CamExtremeCloseUp, CamDollyIn}},
		{"Shot 1 - wide shot, pan, slow-mo", []string{CamWideShot, CamPan, CamSlowMotion}},
		{"Shot 1 (MCU, handheld)", []string{CamMediumCloseUp, CamHandheld}},
		{"林晓推门进来。", []string{}},
	}
	for _, tt := range tests {
		sb, err := Parse(tt.line+"\n", ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := sb.Scenes[0].Shots[0].Camera
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q camera = %q, want %q", tt.line, got, tt.want)
		}
		for _, c := range got {
			if !slices.Contains(CameraVocabulary(), c) {
				t.Errorf("%q outside the vocabulary", c)
			}
		}
	}
}

func TestParseDurations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		line string
		want float64
	}{
		{"1. 城市全景 5s", 5}, {"1. 城市全景 5 s", 5}, {"1. 城市全景 5秒", 5},
		{"1. 城市全景 5 秒", 5}, {"1. A city at dawn, 2.5s", 2.5},
		{"1. A city at dawn (3 sec)", 3}, {"1. A city at dawn (30 seconds)", MaxShotSeconds},
		{"1. A city at dawn (1s)", MinShotSeconds},
	} {
		sb, err := Parse(tt.line, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := sb.Scenes[0].Shots[0]; got.DurationSeconds != tt.want || !got.ExplicitDuration {
			t.Errorf("%q duration = %g (explicit %v), want %g", tt.line, got.DurationSeconds,
				got.ExplicitDuration, tt.want)
		}
	}
}

func TestParseEstimatesDuration(t *testing.T) {
	t.Parallel()
	zh, _ := Parse("林晓：我等了你整整三年，今天你必须给我一个交代。", ParseOptions{})
	en, _ := Parse("ANNA: I waited three years for you, and tonight you owe me an answer.",
		ParseOptions{})
	// 22 characters at ~4/s plus a beat ≈ 6 s; 14 words at 2.5/s plus a beat ≈ 6 s.
	for _, sb := range []*Storyboard{zh, en} {
		d := sb.Scenes[0].Shots[0].DurationSeconds
		if d < 5 || d > 7 || sb.Scenes[0].Shots[0].ExplicitDuration {
			t.Errorf("%s estimate = %g s, want about 6 s", sb.Language, d)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  \n\t\r\n　"} {
		if _, err := Parse(in, ParseOptions{}); !errors.Is(err, ErrEmptyScript) {
			t.Errorf("Parse(%q) error = %v, want ErrEmptyScript", in, err)
		}
	}
	big := strings.Repeat("a", MaxScriptBytes+1)
	if _, err := Parse(big, ParseOptions{}); !errors.Is(err, ErrScriptTooLarge) {
		t.Errorf("oversized script error = %v, want ErrScriptTooLarge", err)
	}
	sb, err := Parse("\x01\x02 ???", ParseOptions{Language: "fr"})
	if err != nil || len(sb.Warnings) == 0 {
		t.Errorf("junk input: err = %v, warnings = %v", err, sb.Warnings)
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	sb, err := Parse("Shot 1: a dog runs", ParseOptions{Language: LangZhCN, Title: "项目"})
	if err != nil {
		t.Fatal(err)
	}
	if sb.Language != LangZhCN || sb.Title != "项目" {
		t.Errorf("options ignored: %q %q", sb.Language, sb.Title)
	}
}
