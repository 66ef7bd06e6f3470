package provider

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Provider is one generation service. Implementations must be safe for
// concurrent use: the engine calls Get for many jobs at once.
type Provider interface {
	// Name is the short name used in configuration and logs ("runway").
	Name() string
	// Capabilities describes the accepted models, durations, sizes and
	// prices. It must not change while the process runs.
	Capabilities() Capabilities
	// Create submits req and returns the provider's job id. Errors are
	// *Error values (use AsError on anything else).
	Create(ctx context.Context, req Request) (Created, error)
	// Get reports the current state of a job created by Create. A failed
	// job is a Status with State StateFailed and Err set, not an error;
	// the error result is for failures of the Get call itself.
	Get(ctx context.Context, jobID string) (Status, error)
	// Cancel asks the provider to stop a job. Cancelling a finished job is
	// not an error. Vendors without a cancel call return nil and the engine
	// simply stops polling.
	Cancel(ctx context.Context, jobID string) error
}

// Fetcher is implemented by providers whose output URLs cannot be fetched
// with a plain GET (Veo's Gemini route needs the API key on the download).
// The engine uses it instead of its own HTTP client when present, so that
// credentials never have to be stored next to an Output.
type Fetcher interface {
	// Fetch opens one output of a finished job. The caller closes it.
	Fetch(ctx context.Context, out Output) (io.ReadCloser, error)
}

// Finder is implemented by providers that can look a job up by the task id
// it was created with (Kling's external_task_id, the simulator). The engine
// asks before creating a job for a task whose earlier attempt may have
// created one and died before storing its id, so a crash in that window
// never makes the vendor render, and charge, twice.
type Finder interface {
	// Find returns the job created for taskID, or found=false.
	Find(ctx context.Context, taskID string) (jobID string, found bool, err error)
}

// Webhooker is implemented by providers that push status changes to us
// (Replicate's signed webhooks, Kling's callback_url). The engine serves
// POST /api/v1/webhooks/{provider}, hands the request here, and on success
// wakes the task's next status check at once; it still fetches the job
// from the vendor before trusting any state, so a push is only a hint.
type Webhooker interface {
	// Webhook verifies one push (signature, timestamp window, replay) and
	// returns the provider job id it is about. body is the raw request
	// body, already read with a size cap. A forged, stale or replayed push
	// returns an error wrapping ErrWebhookRejected.
	Webhook(r *http.Request, body []byte) (jobID string, err error)
}

// Kind is what a request asks for.
type Kind string

// Request kinds.
const (
	// KindTextToVideo generates a clip from a prompt.
	KindTextToVideo Kind = "text_to_video"
	// KindImageToVideo animates Request.ImageURL guided by the prompt.
	KindImageToVideo Kind = "image_to_video"
	// KindTextToImage generates a still (key frames, Nano Banana).
	KindTextToImage Kind = "text_to_image"
)

// IsVideo reports whether k produces a video, which is what makes a
// duration meaningful.
func (k Kind) IsVideo() bool { return k == KindTextToVideo || k == KindImageToVideo }

// Resolution tiers accepted in Request.Resolution. A tier names the short
// side of the frame: 1080p is 1920x1080 in 16:9 and 1080x1920 in 9:16.
const (
	Resolution720p  = "720p"
	Resolution1080p = "1080p"
	Resolution2K    = "2k"
	Resolution4K    = "4k"
)

// Aspect ratios accepted in Request.AspectRatio, written width:height.
const (
	Aspect9x16 = "9:16"
	Aspect16x9 = "16:9"
	Aspect1x1  = "1:1"
	Aspect21x9 = "21:9"
)

// Resolutions and AspectRatios list every value the platform knows, smallest
// tier first. Providers advertise subsets of them in Model.
var (
	Resolutions  = []string{Resolution720p, Resolution1080p, Resolution2K, Resolution4K}
	AspectRatios = []string{Aspect9x16, Aspect16x9, Aspect1x1, Aspect21x9}
)

// Request is one generation as the engine submits it. Empty optional fields
// mean "the model's default" (see Capabilities.WithDefaults).
type Request struct {
	// TaskID is Reelforge's id of the task. Adapters send it where the vendor
	// supports idempotency or correlation (Kling's external_task_id), so a
	// retried Create after a crash does not start a second paid job.
	TaskID string
	// Model is the provider's model id ("gen4_turbo"); empty means the
	// first model in Capabilities.Models.
	Model string
	// Kind says what to generate.
	Kind Kind
	// Prompt is the user's text; NegativePrompt what to avoid.
	Prompt, NegativePrompt string
	// ImageURL is the start frame of KindImageToVideo (http(s) or data:).
	ImageURL string
	// DurationSeconds is the clip length; 0 means the model default.
	DurationSeconds int
	// Resolution is a tier ("720p", "1080p", "2k", "4k").
	Resolution string
	// AspectRatio is "9:16", "16:9", "1:1" or "21:9".
	AspectRatio string
	// Audio asks for a generated sound track where the model can make one.
	Audio bool
	// Seed makes a generation repeatable where the vendor supports it.
	Seed *int64
	// Params carries vendor-specific options passed through untouched.
	Params map[string]any
	// CallbackURL is where a vendor that pushes results should call back;
	// empty means the engine polls.
	CallbackURL string
}

// Created is the answer to Create.
type Created struct {
	// JobID is the provider's id, stored by the engine and passed to Get.
	JobID string
	// Result is set by synchronous vendors (Nano Banana) whose Create already
	// produced the output; the engine then skips polling. Nil otherwise.
	Result *Status
}

// State is the unified job state. The terminal states are StateSucceeded,
// StateFailed and StateCanceled.
type State string

// Job states, in lifecycle order.
const (
	// StateQueued: accepted, waiting for capacity (Runway PENDING/THROTTLED,
	// Kling submitted, Replicate starting).
	StateQueued State = "queued"
	// StateStarting: a worker is booting; only reported by vendors that say
	// so (Replicate cold boots).
	StateStarting State = "starting"
	// StateProcessing: the model is generating.
	StateProcessing State = "processing"
	// StateSucceeded: Outputs are ready to download.
	StateSucceeded State = "succeeded"
	// StateFailed: Status.Err says why.
	StateFailed State = "failed"
	// StateCanceled: stopped by Cancel or by the vendor.
	StateCanceled State = "canceled"
)

// Terminal reports whether s is final: no further Get will change it.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCanceled
}

// OutputKind says whether an Output is a video or an image.
type OutputKind string

// Output kinds.
const (
	OutputVideo OutputKind = "video"
	OutputImage OutputKind = "image"
)

// Output is one generated file.
type Output struct {
	// URL is where to download the file. Vendor URLs expire (1 h on
	// Replicate, 24–48 h on Runway), so the engine copies them at once.
	URL string
	// Data holds the file itself when the vendor returns content inline
	// (Nano Banana, Veo bytesBase64Encoded); URL is empty then.
	Data []byte
	// Kind is video or image; MIME its type ("video/mp4", "image/png").
	Kind OutputKind
	MIME string
	// Width and Height in pixels, 0 when the vendor does not say.
	Width, Height int
	// DurationSeconds of a video, 0 when unknown or for images.
	DurationSeconds float64
}

// Status is a snapshot of a job.
type Status struct {
	// State is the unified state.
	State State
	// Progress is 0..1 where the vendor reports it (Runway, the simulator),
	// else 0 until the job ends. It never decreases for one job.
	Progress float64
	// Outputs are set when State is StateSucceeded.
	Outputs []Output
	// CoverURL is a poster frame when the vendor makes one.
	CoverURL string
	// Metadata holds vendor details worth keeping (seed used, units
	// charged); values must be JSON-encodable.
	Metadata map[string]any
	// Err explains StateFailed (and StateCanceled when the vendor gave a
	// reason such as a deadline).
	Err *Error
	// PollAfter is the vendor's advice for the next Get; 0 means the
	// engine's default interval.
	PollAfter time.Duration
}

// Factory builds a provider from its configuration. The command wiring
// registers one factory per vendor package with the Registry.
type Factory func(Config) (Provider, error)

// Config is what a Factory receives. It carries a credential, so it redacts
// it when printed or logged.
type Config struct {
	// Name is the provider name the factory was registered under.
	Name string
	// Credentials is the secret (API key, token, ACCESS:SECRET pair). It is
	// never logged and never placed in error messages.
	Credentials string
	// BaseURL overrides the vendor endpoint (fake servers in tests, regional
	// hosts). For the simulator it is the public URL of its Handler.
	BaseURL string
	// HTTPClient is the client adapters use; nil means a client with a 60 s
	// timeout chosen by the adapter.
	HTTPClient *http.Client
	// Logger receives the provider's records; nil means discard.
	Logger *slog.Logger
	// Getenv looks up provider-specific settings such as SIM_QUEUE_DELAY
	// (after .env merging); nil means none are set.
	Getenv func(string) string
}

// String describes c without its credential.
func (c Config) String() string {
	return "provider.Config{Name:" + c.Name + " BaseURL:" + c.BaseURL +
		" Credentials:" + redactedMark(c.Credentials) + "}"
}

// LogValue keeps the credential out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", c.Name), slog.String("base_url", c.BaseURL),
		slog.String("credentials", redactedMark(c.Credentials)))
}

func redactedMark(s string) string {
	if s == "" {
		return "unset"
	}
	return "[redacted]"
}
