// Package replicate is the Reelforge adapter for Replicate predictions, and
// the bridge that runs other vendors' official models (Veo, Kling, Wan) on
// Replicate under those vendors' provider names.
//
// The plain provider "replicate" (New) advertises a curated catalog of
// official video models (kwaivgi/kling-v2.1 first, the default; then
// kling-v2.0, google/veo-3, veo-3-fast, veo-3.1, veo-3.1-fast,
// wan-video/wan-2.5-t2v and wan-2.5-i2v) plus any references listed in
// PROVIDER_REPLICATE_MODELS, and Create accepts any "owner/name" (POST
// /v1/models/{owner}/{name}/predictions), "owner/name:version" or 64-hex
// version id (POST /v1/predictions). Each catalog model has its own input
// mapping (for example 1080p selects kling-v2.1's "pro" mode and Wan's
// "W*H" size); other models get prompt, negative_prompt, image, duration,
// aspect_ratio, resolution and seed. Request.Params are merged into the
// input last, so they can set or override any model input.
//
// Jobs are polled (GET /v1/predictions/{id}, advice every 4 s); the
// "Prefer: wait" header is never sent. starting maps to StateStarting,
// processing to StateProcessing with progress from tqdm lines in the logs,
// aborted (a Cancel-After deadline) to StateCanceled with a timeout reason.
// A failed prediction is bad_request when its text blames the input (content
// filter such as E005, validation) and provider_error otherwise. A success
// whose outputs Replicate has already purged (output null, data_removed
// true, after one hour) is reported as failed with provider code
// data_removed, because nothing is left to download. Cancel uses POST
// /v1/predictions/{id}/cancel.
//
// With Request.CallbackURL the prediction carries webhook and
// webhook_events_filter ["completed"]. Adapter implements
// provider.Webhooker: Standard Webhooks signatures (HMAC-SHA256 over
// "id.timestamp.body" with the base64 key of the whsec_ secret in
// PROVIDER_REPLICATE_WEBHOOK_SECRET, constant-time compare, 5-minute window)
// and an in-memory, bounded replay memory of webhook ids. That memory is per
// process: a deployment with several API nodes needs a shared store to
// refuse a replay sent to another node. Finder is not implemented: the
// predictions list can only be filtered by creation time, not by anything
// Reelforge sets.
//
// NewBridge and DefaultBridges build providers such as "veo" that run
// google/veo-3 and friends on Replicate; ParseBridges reads a configurable
// list like "veo=google/veo-3|google/veo-3.1,kling=kwaivgi/kling-v2.1".
//
// Defaults: base URL https://api.replicate.com, 30 s HTTP timeout, 600
// creates per minute (Replicate's documented limit), 5 concurrent jobs.
//
// Verified against replicate-go and replicate-python sources as summarized
// in the project's provider notes: endpoints, the prediction object, status
// names, problem-details errors, Retry-After, the webhook scheme and its
// test vector (checked in the tests). Unverified: the 402 body for missing
// credit, the exact tolerance Replicate applies to webhook timestamps, the
// wan-2.5-t2v schema on Replicate itself (its size list comes from a
// mirror), and every price in the catalog, which are approximate list
// prices to be corrected with PRICE_OVERRIDES.
package replicate
