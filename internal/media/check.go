package media

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Issue kinds reported by Check.
const (
	// IssueBlack is a stretch of (almost) black picture.
	IssueBlack = "black"
	// IssueFrozen is a stretch where the picture does not change.
	IssueFrozen = "frozen"
	// IssueSilent is a stretch of silence, or a missing audio track when
	// Expect.Audio is set.
	IssueSilent = "silent"
	// IssueDuration is a duration outside Expect.Duration ± Tolerance.
	IssueDuration = "duration"
	// IssueAspect is a display aspect ratio other than Expect's, or the
	// right shape at the wrong size.
	IssueAspect = "aspect"
)

// Detector thresholds used by Check: the shortest stretch reported and how
// dark, still or quiet it must be.
const (
	// MinBlack is the shortest black stretch reported (blackdetect d).
	MinBlack = 500 * time.Millisecond
	// MinFrozen is the shortest frozen stretch reported (freezedetect d).
	MinFrozen = time.Second
	// MinSilent is the shortest silence reported (silencedetect d).
	MinSilent = time.Second
	// silenceDB is the level below which audio counts as silence.
	silenceDB = -50
)

// Expect is what a generated shot should look like. Zero fields are not
// checked.
type Expect struct {
	// Duration of the shot.
	Duration time.Duration
	// Width and Height of the displayed picture; the aspect ratio must match
	// within 1%, and the size exactly.
	Width, Height int
	// Tolerance on Duration; default 100ms.
	Tolerance time.Duration
	// Audio requires an audio track (a shot without one is reported silent).
	Audio bool
}

// Issue is one problem found by Check.
type Issue struct {
	// Kind is one of the Issue* constants.
	Kind string
	// Start and End delimit the problem in the shot; both zero for whole-file
	// issues (duration, aspect).
	Start, End time.Duration
	// Detail explains the issue for people.
	Detail string
}

// Report is the result of Check.
type Report struct {
	// Info is the probe of the checked file.
	Info Info
	// Issues found, detector issues in time order after duration and aspect.
	Issues []Issue
	// OK is true when there are no issues.
	OK bool
}

// Check decodes path once through blackdetect, freezedetect and
// silencedetect and compares its probe with exp. Generated shots that fade
// to black, stall or lose their sound show up here before a person has to
// watch them.
func (r *Runner) Check(ctx context.Context, path string, exp Expect) (Report, error) {
	info, err := r.Probe(ctx, path)
	if err != nil {
		return Report{}, fmt.Errorf("media: checking %q: %w", path, err)
	}
	if info.VideoCodec == "" {
		return Report{}, fmt.Errorf("media: checking %q: %w", path, ErrNoVideo)
	}
	rep := Report{Info: info}
	rep.Issues = append(rep.Issues, shapeIssues(info, exp)...)
	args := []string{"-v", "info", "-i", path, "-map", "0:v:0", "-vf",
		fmt.Sprintf("blackdetect=d=%g:pix_th=0.10,freezedetect=n=-60dB:d=%g",
			MinBlack.Seconds(), MinFrozen.Seconds())}
	if info.HasAudio {
		args = append(args, "-map", "0:a:0", "-af",
			fmt.Sprintf("silencedetect=n=%ddB:d=%g", silenceDB, MinSilent.Seconds()))
	} else if exp.Audio {
		rep.Issues = append(rep.Issues, Issue{Kind: IssueSilent, End: info.Duration,
			Detail: "no audio track"})
	}
	args = append(args, "-f", "null", "-")
	var stderr strings.Builder
	if err := r.run(ctx, runOpts{args: args, stderr: &stderr}); err != nil {
		return Report{}, fmt.Errorf("media: checking %q: %w", path, err)
	}
	rep.Issues = append(rep.Issues, parseDetect(stderr.String(), info.Duration)...)
	rep.OK = len(rep.Issues) == 0
	return rep, nil
}

// shapeIssues compares duration and size with exp.
func shapeIssues(info Info, exp Expect) []Issue {
	var out []Issue
	tol := exp.Tolerance
	if tol <= 0 {
		tol = 100 * time.Millisecond
	}
	if exp.Duration > 0 {
		if d := info.Duration - exp.Duration; d > tol || d < -tol {
			out = append(out, Issue{Kind: IssueDuration, Detail: fmt.Sprintf(
				"duration %v, want %v ± %v", info.Duration, exp.Duration, tol)})
		}
	}
	if exp.Width > 0 && exp.Height > 0 && info.Height > 0 {
		got := float64(info.Width) / float64(info.Height)
		want := float64(exp.Width) / float64(exp.Height)
		switch {
		case math.Abs(got/want-1) > 0.01:
			out = append(out, Issue{Kind: IssueAspect, Detail: fmt.Sprintf(
				"aspect %dx%d (%.3f), want %dx%d (%.3f)", info.Width, info.Height, got,
				exp.Width, exp.Height, want)})
		case info.Width != exp.Width || info.Height != exp.Height:
			out = append(out, Issue{Kind: IssueAspect, Detail: fmt.Sprintf(
				"size %dx%d, want %dx%d", info.Width, info.Height, exp.Width, exp.Height)})
		}
	}
	return out
}

// parseDetect extracts black, frozen and silent stretches from ffmpeg's
// stderr. A stretch still open at the end of the file ends at total.
func parseDetect(stderr string, total time.Duration) []Issue {
	var out []Issue
	var freezeStart, silenceStart time.Duration = -1, -1
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.Contains(line, "black_start:"):
			start, ok1 := detectValue(line, "black_start:")
			end, ok2 := detectValue(line, "black_end:")
			if ok1 && ok2 && end >= start {
				out = append(out, Issue{Kind: IssueBlack, Start: start, End: end,
					Detail: fmt.Sprintf("black from %v to %v", start, end)})
			}
		case strings.Contains(line, "freezedetect.freeze_start:"):
			if v, ok := detectValue(line, "freeze_start:"); ok {
				freezeStart = v
			}
		case strings.Contains(line, "freezedetect.freeze_end:"):
			if v, ok := detectValue(line, "freeze_end:"); ok && freezeStart >= 0 &&
				v >= freezeStart {
				out = append(out, frozen(freezeStart, v))
			}
			freezeStart = -1
		case strings.Contains(line, "silence_start:"):
			if v, ok := detectValue(line, "silence_start:"); ok {
				silenceStart = max(v, 0)
			}
		case strings.Contains(line, "silence_end:"):
			if v, ok := detectValue(line, "silence_end:"); ok && silenceStart >= 0 &&
				v >= silenceStart {
				out = append(out, silent(silenceStart, v))
			}
			silenceStart = -1
		}
	}
	if freezeStart >= 0 && total > freezeStart {
		out = append(out, frozen(freezeStart, total))
	}
	if silenceStart >= 0 && total > silenceStart {
		out = append(out, silent(silenceStart, total))
	}
	return out
}

func frozen(start, end time.Duration) Issue {
	return Issue{Kind: IssueFrozen, Start: start, End: end,
		Detail: fmt.Sprintf("picture frozen from %v to %v", start, end)}
}

func silent(start, end time.Duration) Issue {
	return Issue{Kind: IssueSilent, Start: start, End: end,
		Detail: fmt.Sprintf("silence from %v to %v", start, end)}
}

// detectValue reads the decimal seconds after key in line.
func detectValue(line, key string) (time.Duration, bool) {
	_, rest, ok := strings.Cut(line, key)
	if !ok {
		return 0, false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(f) || f < -1e6 || f > 1e6 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)).Round(time.Millisecond), true
}
