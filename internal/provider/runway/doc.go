// Package runway is the Reelforge adapter for Runway's developer API
// (api.dev.runwayml.com): image_to_video, text_to_video and text_to_image
// tasks, polled with GET /v1/tasks/{id} and cancelled with DELETE.
//
// Models and what they accept (the first is the default):
//
//	gen4_turbo   image→video      2–10 s (default 5)  720p 16:9 9:16 1:1 21:9   5¢/s
//	gen4.5       text/image→video 2–10 s (default 5)  720p; text only 16:9 9:16 12¢/s
//	veo3         text/image→video 8 s                 720p/1080p 16:9 9:16      40¢/s
//	veo3.1       text/image→video 4, 6, 8 s (def. 8)  720p/1080p 16:9 9:16      40¢/s
//	veo3.1_fast  text/image→video 4, 6, 8 s (def. 8)  720p/1080p 16:9 9:16      15¢/s
//	gen4_image   text→image                           720p/1080p, 4 ratios  5/8¢ each
//
// A tier and aspect ratio become Runway's pixel ratio ("1280:720",
// "1584:672" for 21:9, "1920:1080" for veo 1080p). Prompts are limited to
// 1000 UTF-16 units; only the veo models take a negative prompt and only
// veo3.1 and veo3.1_fast the audio flag (veo3 always makes sound). Create
// checks all of this before spending a call. Request.Params are merged
// into the body (contentModeration, a promptImage list with a last frame,
// referenceImages), but cannot change the model. Every call carries
// X-Runway-Version: 2024-11-06.
//
// States: PENDING and THROTTLED (over the concurrency limit, not an error)
// are queued, RUNNING is processing with Runway's progress, SUCCEEDED,
// FAILED and CANCELLED end the job. failureCode families map to codes:
// SAFETY.* and ASSET.INVALID / INPUT_PREPROCESSING.* are bad_request,
// INTERNAL.BAD_OUTPUT.* and the rest provider_error. HTTP 429 is
// rate_limited with Retry-After when sent; a refusal mentioning credits is
// quota_exhausted; 502/503 provider_error; 504 timeout. Poll advice is 6 s
// (15 s while throttled), as in Runway's SDK.
//
// Cancel reads the task first and only deletes unfinished ones, because
// DELETE on a finished task removes its output. Job ids of text_to_image
// tasks carry an "image:" prefix so that Get can label their outputs as
// images, which Runway's task object does not. Output URLs expire within
// 24–48 hours. Runway offers no webhooks and no lookup by a client id, so
// the adapter implements neither Webhooker nor Finder.
//
// Defaults: 30 s HTTP timeout; DefaultConcurrency 2 (usage tier 1 allows
// 1–2 running generations, more wait as THROTTLED); no per-minute rate,
// since Runway's tiers cap generations per day instead.
//
// Verified from Runway's Python SDK (as summarized in the project's provider
// notes): endpoints, headers, per-model ratios and durations, task shapes
// and statuses. Unverified: the status and body of an insufficient-credits
// refusal (matched by wording), whether 429 carries Retry-After, the DELETE
// status (any 2xx accepted), failureCode values outside the SAFETY and
// INTERNAL.BAD_OUTPUT families, the gen4_image ratios for 1:1 at 1080p and
// for 21:9, and the prices, taken from a secondary source (correct them with
// PRICE_OVERRIDES).
package runway
