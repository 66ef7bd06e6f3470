package media

import (
	"strconv"
	"strings"
	"time"
)

// Progress is one report from ffmpeg's -progress stream. ffmpeg emits a block
// of key=value lines roughly twice a second; the Runner turns each block into
// one Progress and a final one with Done set.
type Progress struct {
	// OutTime is how much of the output timeline has been written.
	OutTime time.Duration
	// Frame is the number of video frames written so far.
	Frame int64
	// Speed is the encoding speed relative to real time (2 means twice as
	// fast as playback); 0 when ffmpeg does not know yet.
	Speed float64
	// Done is set on the last report of a run.
	Done bool
	// Total is the expected output duration when the caller knew it, else 0.
	Total time.Duration
}

// Fraction returns OutTime/Total clamped to [0, 1], 1 when Done, and 0 when
// the total duration is unknown.
func (p Progress) Fraction() float64 {
	if p.Done {
		return 1
	}
	if p.Total <= 0 {
		return 0
	}
	f := float64(p.OutTime) / float64(p.Total)
	switch {
	case f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// progressParser accumulates key=value lines of ffmpeg's -progress output and
// yields a Progress at each "progress=" line, which closes a block.
type progressParser struct {
	cur Progress
}

// feed consumes one line and reports whether it completed a block.
func (p *progressParser) feed(line string) (Progress, bool) {
	key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok {
		return Progress{}, false
	}
	val = strings.TrimSpace(val)
	switch key {
	case "frame":
		if n, err := strconv.ParseInt(val, 10, 64); err == nil && n >= 0 {
			p.cur.Frame = n
		}
	case "out_time_us", "out_time_ms":
		// Both keys carry microseconds (out_time_ms is misnamed in ffmpeg).
		if n, err := strconv.ParseInt(val, 10, 64); err == nil && n >= 0 &&
			n < int64(1<<62)/int64(time.Microsecond) {
			p.cur.OutTime = time.Duration(n) * time.Microsecond
		}
	case "out_time":
		if d, ok := parseClock(val); ok {
			p.cur.OutTime = d
		}
	case "speed":
		s := strings.TrimSuffix(val, "x")
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil &&
			f >= 0 && f < 1e9 {
			p.cur.Speed = f
		}
	case "progress":
		out := p.cur
		out.Done = val == "end"
		return out, true
	}
	return Progress{}, false
}

// parseClock parses ffmpeg's "HH:MM:SS.micros" clock form.
func parseClock(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.ParseUint(parts[0], 10, 32)
	m, err2 := strconv.ParseUint(parts[1], 10, 32)
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || sec < 0 || sec >= 61 || m >= 60 ||
		h > 1_000_000 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	return d, true
}
