package media

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds a single ffmpeg run when Config.Timeout is zero. Long
// enough for a 4k rendition of a few minutes on a small machine.
const DefaultTimeout = 2 * time.Hour

// installHint is appended to ErrBinaryNotFound so operators know the fix.
const installHint = "install it with: apt-get install -y ffmpeg"

// Config configures NewRunner. The zero value looks up "ffmpeg" and "ffprobe"
// on PATH, uses DefaultTimeout and discards logs.
type Config struct {
	// FFmpegPath is the ffmpeg binary, a path or a name looked up on PATH.
	// Default "ffmpeg".
	FFmpegPath string
	// FFprobePath is the ffprobe binary. Default "ffprobe".
	FFprobePath string
	// Timeout bounds each run; zero means DefaultTimeout, negative means none.
	Timeout time.Duration
	// Logger receives one debug record per run. Nil discards.
	Logger *slog.Logger
	// ProbeCache is how many Probe results to remember (keyed by path and
	// checked against size and modification time); zero means
	// DefaultProbeCache, negative disables the cache.
	ProbeCache int
}

// Runner runs ffmpeg and ffprobe. It holds no per-run state, so one Runner
// may be shared by concurrent jobs.
type Runner struct {
	// FFmpeg and FFprobe are absolute paths resolved by NewRunner.
	FFmpeg, FFprobe string
	// Timeout bounds each run; zero or negative means none.
	Timeout time.Duration
	// Logger receives debug records; never nil after NewRunner.
	Logger *slog.Logger
	// Version is the version string ffmpeg reported, e.g. "5.1.9-0+deb12u1".
	Version string

	// cache holds Probe results; nil disables caching.
	cache *probeCache
}

// NewRunner resolves the binaries and checks that ffmpeg runs and is at least
// version 5. A missing binary yields an error wrapping ErrBinaryNotFound that
// names the install command.
func NewRunner(cfg Config) (*Runner, error) {
	ffmpeg, err := lookBinary(cfg.FFmpegPath, "ffmpeg")
	if err != nil {
		return nil, err
	}
	ffprobe, err := lookBinary(cfg.FFprobePath, "ffprobe")
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = 0
	}
	r := &Runner{FFmpeg: ffmpeg, FFprobe: ffprobe, Timeout: timeout, Logger: logger}
	switch {
	case cfg.ProbeCache == 0:
		r.cache = newProbeCache(DefaultProbeCache)
	case cfg.ProbeCache > 0:
		r.cache = newProbeCache(cfg.ProbeCache)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-version").Output()
	if err != nil {
		return nil, fmt.Errorf("media: checking %s -version: %w (%s)", ffmpeg, err, installHint)
	}
	ver, err := parseVersion(string(out))
	if err != nil {
		return nil, err
	}
	r.Version = ver
	logger.Debug("media: ffmpeg found", "ffmpeg", ffmpeg, "ffprobe", ffprobe, "version", ver)
	return r, nil
}

func lookBinary(path, def string) (string, error) {
	if path == "" {
		path = def
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("%w: looking up %q: %w; %s", ErrBinaryNotFound, path, err,
			installHint)
	}
	return p, nil
}

var versionRe = regexp.MustCompile(`(?m)^ffmpeg version (\S+)`)

// parseVersion extracts the version from `ffmpeg -version` output. Release
// builds ("5.1.9-...") must be 5 or newer; git builds ("N-1234-g...") pass.
func parseVersion(out string) (string, error) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%w: parsing -version output %q", ErrUnsupportedVersion,
			firstLine(out))
	}
	ver := m[1]
	if strings.HasPrefix(ver, "N-") || strings.HasPrefix(ver, "git") {
		return ver, nil
	}
	major, _, _ := strings.Cut(strings.TrimPrefix(ver, "n"), ".")
	n, err := strconv.Atoi(major)
	if err != nil || n < 5 {
		return "", fmt.Errorf("%w: got %s, need 5.0 or newer (%s)", ErrUnsupportedVersion, ver,
			installHint)
	}
	return ver, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Run runs ffmpeg with args (without the binary name). It adds -hide_banner,
// -nostdin and -nostats, and when progress is non-nil also -progress pipe:1,
// calling progress for each report. The run is killed (SIGKILL) when ctx is
// cancelled or the Runner's timeout expires. Failures are *ExitError.
func (r *Runner) Run(ctx context.Context, args []string, progress func(Progress)) error {
	return r.run(ctx, runOpts{args: args, progress: progress})
}

// RunFor is Run with the expected output duration, so that each Progress has
// Total set and Fraction works.
func (r *Runner) RunFor(ctx context.Context, args []string, total time.Duration,
	progress func(Progress)) error {
	return r.run(ctx, runOpts{args: args, total: total, progress: progress})
}

type runOpts struct {
	args     []string
	total    time.Duration
	progress func(Progress)
	// stderr, when set, receives the whole stderr stream (used by Check to
	// parse detector output).
	stderr io.Writer
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Runner) run(ctx context.Context, o runOpts) error {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	full := []string{"-hide_banner", "-nostdin", "-nostats"}
	if o.progress != nil {
		full = append(full, "-progress", "pipe:1")
	}
	full = append(full, o.args...)
	cmd := r.command(ctx, r.FFmpeg, full)
	tail := &tailBuffer{}
	var stderr io.Writer = tail
	if o.stderr != nil {
		stderr = io.MultiWriter(tail, o.stderr)
	}
	cmd.Stderr = stderr
	var stdout io.ReadCloser
	if o.progress != nil {
		var err error
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return fmt.Errorf("media: creating progress pipe: %w", err)
		}
	}
	start := time.Now()
	log := r.logger()
	log.Debug("media: ffmpeg start", "args", full)
	if err := cmd.Start(); err != nil {
		return &ExitError{Args: append([]string{r.FFmpeg}, full...), Err: err}
	}
	if stdout != nil {
		readProgress(stdout, o.total, o.progress)
	}
	err := cmd.Wait()
	log.Debug("media: ffmpeg done", "elapsed", time.Since(start), "error", err)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return &ExitError{Args: append([]string{r.FFmpeg}, full...), Stderr: tail.Tail(),
			Err: err}
	}
	return nil
}

// command builds an exec.Cmd that is killed with SIGKILL on cancellation and
// whose I/O goroutines are abandoned shortly after, so a stuck child never
// blocks the caller.
func (r *Runner) command(ctx context.Context, bin string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Kill) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// readProgress parses the -progress stream until EOF, calling fn per block.
func readProgress(rd io.Reader, total time.Duration, fn func(Progress)) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var p progressParser
	for sc.Scan() {
		if pr, ok := p.feed(sc.Text()); ok {
			pr.Total = total
			fn(pr)
		}
	}
	// Drain whatever remains so ffmpeg never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, rd)
}

// output runs bin (ffprobe) with args and returns stdout.
func (r *Runner) output(ctx context.Context, bin string, args []string) ([]byte, error) {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	cmd := r.command(ctx, bin, args)
	var out bytes.Buffer
	tail := &tailBuffer{}
	cmd.Stdout = &out
	cmd.Stderr = tail
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, &ExitError{Args: append([]string{bin}, args...), Stderr: tail.Tail(),
			Err: err}
	}
	return out.Bytes(), nil
}

// tailBuffer keeps the last bytes written to it, enough for the stderr tail.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailKeep = 4 * stderrTailBytes

// Write appends p, dropping the oldest bytes beyond tailKeep.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailKeep {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailKeep:]...)
	}
	return len(p), nil
}

// Tail returns the last stderrTailLines lines, at most stderrTailBytes bytes.
func (t *tailBuffer) Tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tailOf(string(t.buf))
}

func tailOf(s string) string {
	s = strings.TrimRight(s, "\r\n")
	lines := strings.Split(s, "\n")
	if len(lines) > stderrTailLines {
		lines = lines[len(lines)-stderrTailLines:]
	}
	out := strings.Join(lines, "\n")
	if len(out) > stderrTailBytes {
		out = out[len(out)-stderrTailBytes:]
	}
	return out
}
