// Package wan is the Reelforge adapter for Wan 2.5 video generation on
// Alibaba Cloud Model Studio (DashScope).
//
// Defaults: the international endpoint
// https://dashscope-intl.aliyuncs.com/api/v1, or the China endpoint
// https://dashscope.aliyuncs.com/api/v1 when PROVIDER_WAN_REGION is "cn"
// (Config.BaseURL, when set, wins); a 30 s HTTP client; Credentials is the
// DashScope API key, sent as a bearer token. Key, endpoint and model must
// belong to the same region.
//
// Models: wan2.5-t2v-preview (text to video, the default) and
// wan2.5-i2v-preview (first frame to video), 5 or 10 s, 720p or 1080p
// (1080p first, the vendor's default), audio generated on request.
// Text-to-video maps tier and aspect ratio to its size in pixels (720p:
// 1280*720, 720*1280, 960*960; 1080p: 1920*1080, 1080*1920, 1440*1440), so
// 21:9 is refused; image-to-video sends resolution "720P"/"1080P" and keeps
// the image's aspect ratio, so any requested ratio is accepted and ignored.
// Seeds (0–2147483647) and negative prompts (≤ 500 characters) are passed
// on; Request.Params go into parameters (prompt_extend, watermark ...),
// except audio_url, which goes into input.
//
// Creates carry X-DashScope-Async: enable. Get polls GET /tasks/{id} and
// advises 15 s between polls; PENDING, RUNNING, SUCCEEDED, FAILED and
// CANCELED map to queued, processing, succeeded, failed and canceled, and
// UNKNOWN (the task is past its 24 h retention, or was created with another
// region or key) to failed with provider_error. Usage numbers are read
// whether they come as numbers or strings. Task errors (output.code) and
// request errors (top-level code) share one table: InvalidApiKey and
// AccessDenied auth_failed; Arrearage and free-tier exhaustion
// quota_exhausted; Throttling* rate_limited with Retry-After;
// InvalidParameter, DataInspectionFailed, IPInfringementSuspect and
// ModelNotFound bad_request; InternalError and SystemError provider_error.
// Cancel posts /tasks/{id}/cancel, which works while the task is PENDING;
// a refusal for a running or finished task is logged and not returned.
// DashScope has no per-request callback or idempotency key, so the adapter
// offers neither webhooks nor Finder.
//
// Prices: $0.10 per second at 720p and $0.15 at 1080p (international list
// price as inferred from resellers). DefaultConcurrency 2 and
// DefaultRatePerMinute 60 are cautious guesses.
//
// Verified against DashScope's documentation as restated for this project:
// paths, headers, body layout, size values, statuses, the error codes.
// Unverified: whether the wan2.5 preview models are still served; the
// image-to-video default resolution; parameters.audio; the cancel call and
// the code of its refusal; per-model rate and concurrency limits; exact USD
// prices; the timezone of the timestamps.
package wan
