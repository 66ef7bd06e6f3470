// Package media is Reelforge's FFmpeg layer: it runs ffmpeg and ffprobe as child
// processes (argument lists only, never a shell), probes files, renders the
// resolutions, aspect ratios and formats users publish in, makes posters and
// contact sheets, assembles shots into finished videos and checks generated
// shots for black, frozen or silent stretches.
//
// Everything goes through a [Runner], which owns the binary paths, the timeout
// and the logger, so callers can run several jobs concurrently with one Runner.
// The package needs FFmpeg 5.1 or newer built with libx264, libx265, libass and
// fontconfig (Debian's ffmpeg package has all of them).
package media
