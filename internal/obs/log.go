// Package obs sets up Reelforge's structured logs and metrics.
package obs

import (
	"io"
	"log/slog"
)

// NewLogger returns a slog logger writing JSON (or text) at a level.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
