package sim

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/media"
)

// Defaults of Config, chosen so that a job takes a few seconds: long enough
// to see queued and processing in the UI, short enough for demos.
const (
	DefaultQueueDelay  = time.Second
	DefaultRenderDelay = 2 * time.Second
	DefaultMaxParallel = 2
	DefaultBaseURL     = "http://127.0.0.1:8080/sim"
	DefaultSeed        = 1
	DefaultPreset      = "veryfast"
)

// maxDelay bounds configured and per-request delays.
const maxDelay = 10 * time.Minute

// Config configures New. Zero values take the defaults documented per field,
// except the delays: New treats a zero delay as none, and LoadConfig is what
// applies their defaults.
type Config struct {
	// QueueDelay is how long a job stays queued (LoadConfig default 1s).
	QueueDelay time.Duration
	// RenderDelay is the minimum time a job spends processing (LoadConfig
	// default 2s).
	RenderDelay time.Duration
	// FailRate, RateLimitRate and TimeoutRate are probabilities (0..1) of
	// a provider_error job, a rate_limited Create and a timeout job.
	FailRate, RateLimitRate, TimeoutRate float64
	// MaxParallelRenders bounds concurrent ffmpeg runs. Default 2.
	MaxParallelRenders int
	// OutputDir holds rendered files. Default $TMPDIR/reelforge-sim.
	OutputDir string
	// BaseURL is the public URL of Handler. Default DefaultBaseURL.
	BaseURL string
	// Seed seeds the random failures so runs repeat. LoadConfig defaults
	// it to 1; a literal zero is a valid seed.
	Seed uint64
	// Preset is the x264 preset. Default "veryfast"; tests use ultrafast.
	Preset string
	// FontFile draws the prompt; empty means fc-match "Noto Sans CJK SC",
	// then the Debian path of Noto Sans CJK, then fontconfig's Sans.
	FontFile string
	// Runner runs ffmpeg; nil means media.NewRunner with defaults.
	Runner *media.Runner
	// HTTPClient fetches image_to_video start frames. Default: 30 s timeout.
	HTTPClient *http.Client
	// Token, when set, is the bearer token every call of the HTTP API
	// (/v1/...) must present, so that a simulator reachable from other hosts
	// cannot be driven by strangers. Output files stay public: their URLs
	// hold an unguessable job id, as vendor CDN links do. Default: none.
	Token string
	// Logger receives "sim: ..." records; nil discards.
	Logger *slog.Logger
}

// LoadConfig reads the SIM_* variables through getenv (nil reads nothing)
// and returns a Config with defaults for the unset ones. An invalid value is
// an error wrapping ErrInvalidConfig that names the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := Config{QueueDelay: DefaultQueueDelay, RenderDelay: DefaultRenderDelay,
		MaxParallelRenders: DefaultMaxParallel, BaseURL: DefaultBaseURL, Seed: DefaultSeed,
		Preset: DefaultPreset}
	var err error
	set := func(name string, fn func(string) error) {
		v := strings.TrimSpace(getenv(name))
		if err != nil || v == "" {
			return
		}
		if e := fn(v); e != nil {
			err = fmt.Errorf("%w: %s=%q: %v", ErrInvalidConfig, name, v, e)
		}
	}
	set("SIM_QUEUE_DELAY", durationInto(&c.QueueDelay))
	set("SIM_RENDER_DELAY", durationInto(&c.RenderDelay))
	set("SIM_FAIL_RATE", rateInto(&c.FailRate))
	set("SIM_RATE_LIMIT_RATE", rateInto(&c.RateLimitRate))
	set("SIM_TIMEOUT_RATE", rateInto(&c.TimeoutRate))
	set("SIM_MAX_PARALLEL", func(v string) error {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 64 {
			return fmt.Errorf("want an integer from 1 to 64")
		}
		c.MaxParallelRenders = n
		return nil
	})
	set("SIM_OUTPUT_DIR", func(v string) error { c.OutputDir = v; return nil })
	set("SIM_BASE_URL", func(v string) error { c.BaseURL = v; return checkBaseURL(v) })
	set("SIM_SEED", func(v string) error {
		n, e := strconv.ParseUint(v, 10, 64)
		if e != nil {
			return fmt.Errorf("want a non-negative integer")
		}
		c.Seed = n
		return nil
	})
	set("SIM_PRESET", func(v string) error { c.Preset = v; return checkPreset(v) })
	set("SIM_FONT", func(v string) error { c.FontFile = v; return nil })
	set("SIM_TOKEN", func(v string) error { c.Token = v; return nil })
	return c, err
}

func durationInto(dst *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxDelay {
			return fmt.Errorf("want a duration from 0s to %s", maxDelay)
		}
		*dst = d
		return nil
	}
}

func rateInto(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return fmt.Errorf("want a probability from 0 to 1")
		}
		*dst = f
		return nil
	}
}

func checkBaseURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want an absolute http(s) URL without query")
	}
	return nil
}

var presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
	"slow", "slower", "veryslow"}

func checkPreset(v string) error {
	for _, p := range presets {
		if p == v {
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(presets, ", "))
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	c.QueueDelay, c.RenderDelay = max(c.QueueDelay, 0), max(c.RenderDelay, 0)
	if c.MaxParallelRenders <= 0 {
		c.MaxParallelRenders = DefaultMaxParallel
	}
	if c.OutputDir == "" {
		c.OutputDir = filepath.Join(os.TempDir(), "reelforge-sim")
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Preset == "" {
		c.Preset = DefaultPreset
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	for name, r := range map[string]float64{"FailRate": c.FailRate,
		"RateLimitRate": c.RateLimitRate, "TimeoutRate": c.TimeoutRate} {
		if !(r >= 0 && r <= 1) {
			return c, fmt.Errorf("%w: %s %v outside 0..1", ErrInvalidConfig, name, r)
		}
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		return c, fmt.Errorf("%w: BaseURL %q: %v", ErrInvalidConfig, c.BaseURL, err)
	}
	if err := checkPreset(c.Preset); err != nil {
		return c, fmt.Errorf("%w: Preset %q: %v", ErrInvalidConfig, c.Preset, err)
	}
	return c, nil
}
