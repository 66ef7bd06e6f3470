package media

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewRunnerMissingBinary(t *testing.T) {
	_, err := NewRunner(Config{FFmpegPath: "/nonexistent/ffmpeg"})
	if !errors.Is(err, ErrBinaryNotFound) {
		t.Fatalf("err = %v, want ErrBinaryNotFound", err)
	}
	if !strings.Contains(err.Error(), "apt-get install -y ffmpeg") {
		t.Errorf("error %q does not name the install command", err)
	}
}

func TestParseVersion(t *testing.T) {
	cases := []struct {
		out, want string
		ok        bool
	}{
		{"ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026", "5.1.9-0+deb12u1", true},
		{"ffmpeg version n6.1.1 Copyright", "n6.1.1", true},
		{"ffmpeg version N-113000-gabcdef Copyright", "N-113000-gabcdef", true},
		{"ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright", "", false},
		{"hello", "", false},
	}
	for _, c := range cases {
		got, err := parseVersion(c.out)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseVersion(%q) = %q, %v", c.out, got, err)
		}
	}
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	out := filepath.Join(t.TempDir(), "p.mp4")
	var reports []Progress
	args := []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=2", "-c:v", "libx264",
		"-preset", "ultrafast", out}
	err := r.RunFor(context.Background(), args, 2*time.Second, func(p Progress) {
		reports = append(reports, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 {
		t.Fatal("no progress reports")
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Fraction() != 1 || last.Frame != 50 {
		t.Errorf("last report = %+v, want done with 50 frames", last)
	}
	if last.OutTime < 1900*time.Millisecond || last.Total != 2*time.Second {
		t.Errorf("last report times = %v / %v", last.OutTime, last.Total)
	}
}

func TestRunBadInputExitError(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	bad := filepath.Join(t.TempDir(), "does-not-exist.mp4")
	err := r.Run(context.Background(), []string{"-i", bad, "-f", "null", "-"}, nil)
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %T %v, want *ExitError", err, err)
	}
	if !strings.Contains(ee.Stderr, "No such file or directory") ||
		!strings.Contains(err.Error(), "No such file or directory") {
		t.Errorf("stderr tail missing from error: %q", err)
	}
	if ee.Args[0] != r.FFmpeg {
		t.Errorf("args[0] = %q", ee.Args[0])
	}
}

func TestRunCancelKillsPromptly(t *testing.T) {
	t.Parallel()
	r := testRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	// -re paces reading at real time, so this would take an hour.
	args := []string{"-re", "-f", "lavfi", "-i", "testsrc2=s=32x32:r=5:d=3600",
		"-f", "null", "-"}
	started := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- r.Run(ctx, args, func(Progress) {
			select {
			case started <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("ffmpeg never reported progress")
	}
	t0 := time.Now()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("run took %v to stop after cancel", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ffmpeg still running 10s after cancel")
	}
}

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	r := *testRunner(t)
	r.Timeout = 300 * time.Millisecond
	args := []string{"-re", "-f", "lavfi", "-i", "testsrc2=s=32x32:r=5:d=3600",
		"-f", "null", "-"}
	err := r.Run(context.Background(), args, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestTailOf(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	b.WriteString("last line\n")
	got := tailOf(b.String())
	if n := strings.Count(got, "\n") + 1; n != stderrTailLines {
		t.Errorf("tail has %d lines", n)
	}
	if !strings.HasSuffix(got, "last line") {
		t.Errorf("tail = %q", got)
	}
	long := strings.Repeat("y", 10000)
	if got := tailOf(long); len(got) != stderrTailBytes {
		t.Errorf("byte cap: len %d", len(got))
	}
}

func TestProgressParser(t *testing.T) {
	in := "frame=12\nfps=0.0\nout_time_us=480000\nout_time=00:00:00.480000\n" +
		"speed=1.92x\nprogress=continue\nframe=50\nout_time_us=2000000\nspeed=N/A\n" +
		"progress=end\n"
	var p progressParser
	var got []Progress
	for _, line := range strings.Split(in, "\n") {
		if pr, ok := p.feed(line); ok {
			got = append(got, pr)
		}
	}
	want := []Progress{
		{OutTime: 480 * time.Millisecond, Frame: 12, Speed: 1.92},
		{OutTime: 2 * time.Second, Frame: 50, Speed: 1.92, Done: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	want1 := time.Hour + 2*time.Minute + 3500*time.Millisecond
	if d, ok := parseClock("01:02:03.500000"); !ok || d != want1 {
		t.Errorf("parseClock = %v %v", d, ok)
	}
}

func FuzzProgressParser(f *testing.F) {
	f.Add("frame=1\nout_time_us=40000\nspeed=1x\nprogress=continue\n")
	f.Add("out_time=00:00:01.000000\nprogress=end\n")
	f.Add("out_time_ms=-5\nframe=-1\nspeed=-3x\nout_time=99:99:99\n=\nprogress=")
	f.Fuzz(func(t *testing.T, s string) {
		var p progressParser
		for _, line := range strings.Split(s, "\n") {
			pr, ok := p.feed(line)
			if !ok {
				continue
			}
			if pr.OutTime < 0 || pr.Frame < 0 || pr.Speed < 0 {
				t.Fatalf("negative progress %+v from %q", pr, s)
			}
			pr.Total = time.Second
			if f := pr.Fraction(); f < 0 || f > 1 {
				t.Fatalf("fraction %v", f)
			}
		}
	})
}
