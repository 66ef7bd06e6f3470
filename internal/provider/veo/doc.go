// Package veo is the provider adapter for Google Veo 3 and 3.1 video
// generation (provider name "veo").
//
// # Routes
//
// The credential picks one of two Google surfaces:
//
//   - A service-account JSON key (the value starts with "{") selects Vertex
//     AI. The adapter exchanges a signed JWT for an OAuth token with the
//     cloud-platform scope at the key's token_uri and reuses it until it
//     expires. Jobs are created with predictLongRunning at
//     https://{region}-aiplatform.googleapis.com/v1/projects/{project}/
//     locations/{region}/publishers/google/models/{model} and polled with
//     fetchPredictOperation. PROVIDER_VEO_REGION sets the region (default
//     us-central1); the project comes from the key. PROVIDER_VEO_STORAGE_URI
//     (gs://bucket/prefix/) makes Vertex write clips to Cloud Storage; without
//     it the clips come back inline and become Output.Data.
//   - Anything else is a Gemini API key, sent in the x-goog-api-key header
//     (never in a query string) to generativelanguage.googleapis.com
//     /v1beta/models/{model}:predictLongRunning; polls GET the operation.
//
// The job id is the operation's full name; Get checks its shape before
// using it in a path.
//
// # Outputs and downloads
//
// The Adapter is a provider.Fetcher. Gemini file URIs need the API key, so
// Fetch adds it, but only for the configured API host, and drops it on a
// redirect to another host. gs:// outputs are read through the Cloud Storage
// JSON API with the service account's token: that account needs read access
// to the bucket. Inline clips need no download.
//
// # Requests
//
// Models: veo-3.0-generate-001 (default), veo-3.0-fast-generate-001,
// veo-3.1-generate-preview, veo-3.1-fast-generate-preview; text and image to
// video; 4, 6 or 8 seconds (default 8); 720p (default) or 1080p; 16:9
// (default) or 9:16; prompts up to 4000 characters. Audio, seed and
// storageUri are sent on Vertex only, because the Gemini API refuses them
// (it always adds sound). The start frame must be a base64 data: URL (or
// gs:// on Vertex): the adapter never fetches user-supplied links. Params are
// copied into "parameters" (for example personGeneration) and the fields
// Reelforge sets win over them.
//
// # States and errors
//
// An operation without "done" is processing (Veo has no queued state and
// reports no progress; Get advises polling every 10 s). A done operation
// with an error maps its gRPC code (3 bad_request, 7/16 auth_failed, 8
// rate_limited, 4 timeout, others provider_error). A done operation whose
// videos were all removed by the responsible-AI filter fails as bad_request
// with the filter's reasons. HTTP errors go through provider.FromHTTP, then:
// Gemini's 400 API_KEY_INVALID is auth_failed, 403 BILLING_DISABLED is
// quota_exhausted, and a 429's RetryInfo retryDelay is used when there is no
// Retry-After. A token endpoint refusal is auth_failed. Cancel does nothing:
// Google documents no cancel for Veo, so the engine just stops polling.
//
// # Prices and limits
//
// 40 cents a second for the standard models and 15 for the fast ones, the
// with-audio list prices (Google charges 20 and 10 without audio; the
// estimate is an upper bound). DefaultConcurrency 4 and 10 Creates a minute.
//
// # Verified and unverified
//
// Checked against public sources: the v1 fetchPredictOperation call with
// {"operationName"}; both response envelopes with raiMediaFilteredCount and
// raiMediaFilteredReasons; the Gemini API's 400 API_KEY_INVALID answer.
// Unverified: the exact prices and quotas, the prompt limit (Google states
// 1024 tokens), whether 1080p works in 9:16 on every model, the retention of
// Gemini files (about two days), and whether the Gemini API still serves Veo
// at all (one source says it was retired). Vertex is the safer route.
package veo
