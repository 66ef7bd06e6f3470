package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDetect(t *testing.T) {
	stderr := `[silencedetect @ 0x5617] silence_start: 0
[freezedetect @ 0x5617] lavfi.freezedetect.freeze_start: 0
[silencedetect @ 0x5617] silence_end: 1.50002 | silence_duration: 1.50002
[blackdetect @ 0x5617] black_start:0 black_end:1.5 black_duration:1.5
[freezedetect @ 0x5617] lavfi.freezedetect.freeze_duration: 1.5
[freezedetect @ 0x5617] lavfi.freezedetect.freeze_end: 1.5
[freezedetect @ 0x5617] lavfi.freezedetect.freeze_start: 2.4
[silencedetect @ 0x5617] silence_start: 3.2
`
	got := parseDetect(stderr, 4*time.Second)
	want := []Issue{
		{Kind: IssueSilent, Start: 0, End: 1500 * time.Millisecond},
		{Kind: IssueBlack, Start: 0, End: 1500 * time.Millisecond},
		{Kind: IssueFrozen, Start: 0, End: 1500 * time.Millisecond},
		{Kind: IssueFrozen, Start: 2400 * time.Millisecond, End: 4 * time.Second},
		{Kind: IssueSilent, Start: 3200 * time.Millisecond, End: 4 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || got[i].Start != want[i].Start ||
			got[i].End != want[i].End {
			t.Errorf("issue %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func FuzzParseDetect(f *testing.F) {
	f.Add("[blackdetect @ 0x1] black_start:0 black_end:2.0 black_duration:2.0\n", int64(3e9))
	f.Add("lavfi.freezedetect.freeze_start: 1\nlavfi.freezedetect.freeze_end: 0.5\n",
		int64(0))
	f.Add("silence_start: -0.01\nsilence_end: 1e400 | silence_duration: x\n", int64(1e9))
	f.Fuzz(func(t *testing.T, s string, total int64) {
		for _, is := range parseDetect(s, time.Duration(total)) {
			if is.End < is.Start {
				t.Fatalf("issue ends before it starts: %+v", is)
			}
			switch is.Kind {
			case IssueBlack, IssueFrozen, IssueSilent:
			default:
				t.Fatalf("unexpected kind %q", is.Kind)
			}
		}
	})
}

func kinds(rep Report) string {
	var k []string
	for _, is := range rep.Issues {
		k = append(k, is.Kind)
	}
	return strings.Join(k, ",")
}

func TestCheckFindsProblems(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	dir := t.TempDir()
	ctx := context.Background()

	good := makeClip(t, dir, "good", clipOpts{W: 160, H: 90, Dur: 2, FPS: 10, Audio: true})
	rep, err := r.Check(ctx, good, Expect{Duration: 2 * time.Second, Width: 160,
		Height: 90, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("good clip: %+v", rep.Issues)
	}

	black := makeClip(t, dir, "black", clipOpts{W: 160, H: 90, Dur: 2, FPS: 10,
		Color: "black", Audio: true})
	rep, err = r.Check(ctx, black, Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(kinds(rep), IssueBlack) || rep.OK {
		t.Errorf("black clip: %v", rep.Issues)
	}

	// A real picture that stops moving: first frame held for 2s.
	frozenClip := filepath.Join(dir, "frozen.mp4")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i",
		"testsrc2=s=160x90:r=10:d=1,trim=end_frame=1,tpad=stop_mode=clone:stop_duration=2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", frozenClip)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	rep, err = r.Check(ctx, frozenClip, Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k != IssueFrozen {
		t.Errorf("frozen clip: kinds %q, want frozen only: %+v", k, rep.Issues)
	}

	silentClip := makeClip(t, dir, "silent", clipOpts{W: 160, H: 90, Dur: 2, FPS: 10,
		Audio: true, Silent: true})
	rep, err = r.Check(ctx, silentClip, Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k != IssueSilent || rep.Issues[0].End < 1900*time.Millisecond {
		t.Errorf("silent clip: %+v", rep.Issues)
	}

	rep, err = r.Check(ctx, good, Expect{Duration: 5 * time.Second, Width: 1080,
		Height: 1920})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k != IssueDuration+","+IssueAspect {
		t.Errorf("wrong duration and aspect: %+v", rep.Issues)
	}
}
