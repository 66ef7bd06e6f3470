package media

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers match them with errors.Is; the package always wraps
// them with the file or value that caused them.
var (
	// ErrBinaryNotFound reports that ffmpeg or ffprobe is not installed or not
	// on PATH. The wrapped message names the install command.
	ErrBinaryNotFound = errors.New("media: ffmpeg binary not found")
	// ErrUnsupportedVersion reports an ffmpeg whose -version output could not
	// be recognised or is older than 5.0.
	ErrUnsupportedVersion = errors.New("media: unsupported ffmpeg version")
	// ErrNoVideo reports an input without a video stream.
	ErrNoVideo = errors.New("media: no video stream")
	// ErrUnknownTier reports a resolution tier other than 720p, 1080p, 2k, 4k.
	ErrUnknownTier = errors.New("media: unknown resolution tier")
	// ErrUnknownAspect reports an aspect ratio other than 9:16, 16:9, 1:1, 21:9.
	ErrUnknownAspect = errors.New("media: unknown aspect ratio")
	// ErrInvalidSpec reports a Spec, Output or AssembleSpec that cannot be
	// rendered (unknown fit, codec or format, empty clip list, bad speed...).
	ErrInvalidSpec = errors.New("media: invalid spec")
	// ErrGIFTooLarge reports that no frame rate and width tried by the GIF
	// encoder produced a file under the byte cap.
	ErrGIFTooLarge = errors.New("media: gif over size cap")
)

// Limits for the stderr tail kept in an ExitError: the last stderrTailLines
// lines, at most stderrTailBytes bytes.
const (
	stderrTailLines = 20
	stderrTailBytes = 4 << 10
)

// ExitError reports an ffmpeg or ffprobe run that failed: a non-zero exit, a
// kill after a timeout or cancellation, or a failure to start. Its message
// carries the tail of stderr, which is where ffmpeg explains what went wrong.
type ExitError struct {
	// Args is the full argument list, binary first.
	Args []string
	// Stderr is the last ~20 lines (at most 4 KiB) of the process's stderr.
	Stderr string
	// Err is the underlying error: *exec.ExitError, context.Canceled,
	// context.DeadlineExceeded or a start failure.
	Err error
}

// Error returns the binary, the cause and the stderr tail.
func (e *ExitError) Error() string {
	name := "ffmpeg"
	if len(e.Args) > 0 {
		name = e.Args[0]
	}
	msg := fmt.Sprintf("media: running %s: %v", name, e.Err)
	if tail := strings.TrimSpace(e.Stderr); tail != "" {
		msg += ": " + tail
	}
	return msg
}

// Unwrap returns the underlying cause so errors.Is(err, context.Canceled)
// works after a cancellation.
func (e *ExitError) Unwrap() error { return e.Err }
