// Package kling is the Reelforge adapter for Kling's video API
// (text2video and image2video).
//
// Defaults: BaseURL https://api-singapore.klingai.com (pass
// https://api-beijing.klingai.com for China accounts); a 30 s HTTP client;
// Credentials "ACCESS_KEY:SECRET_KEY". Every call carries an HS256 bearer
// token (iss = access key, exp = now + 30 min, nbf = now - 5 s) that is
// cached and re-signed 5 minutes before it expires; a token Kling calls
// expired or not yet valid (1004, 1003) is re-signed and the call repeated
// once.
//
// Mapping: the resolution tier picks the mode (720p std, 1080p pro;
// kling-v1 renders 720p only, the master models take no mode); duration is
// sent as the string "5" or "10"; aspect_ratio only on text2video, because
// an image2video clip follows its image; image data URIs lose their prefix,
// as Kling wants bare base64; Audio sets sound "on" on kling-v2-6 at 1080p.
// Seeds are ignored (Kling has none). Request.Params pass through as body
// fields (cfg_scale, camera_control, image_tail, mode ...) except the ones
// the adapter sets. Job ids are "<endpoint>:<task_id>", for example
// "text2video:794612345678901234", because a task is queried under the
// endpoint that created it. Statuses submitted, processing, succeed (sic)
// and failed become queued, processing, succeeded and failed; a failure
// whose reason mentions risk control or policy is bad_request, others
// provider_error. Errors are read from the code of the envelope even under
// HTTP 200: 1000–1004, 1100, 1103, 1304 auth_failed; 1101, 1102
// quota_exhausted (they arrive as 429); 1200–1203, 1300, 1301 bad_request;
// 1302, 1303 rate_limited (Retry-After, else 1 s and 10 s); 5002 timeout;
// other 5000s provider_error. Cancel is a no-op: Kling has no cancel call.
//
// Recovery and pushes: the task id is sent as external_task_id and the
// adapter implements provider.Finder by querying both endpoints with it.
// Request.CallbackURL is sent as callback_url with a kling_kind parameter
// added, and provider.Webhooker parses Kling's callback into a job id. Kling
// signs nothing, so Webhook only rejects malformed, stale (updated_at
// outside an hour) and repeated pushes: checking the unguessable token in
// the callback URL, and re-fetching the task with Get before trusting it,
// are the engine's job.
//
// Prices are per second from the unit table at $0.14 a unit, rounded up to
// whole cents; the sound surcharge of kling-v2-6 (twice the pro price) is
// not expressible per tier and is not included. DefaultConcurrency 5 and
// DefaultRatePerMinute 60 are guesses: pack limits are not published.
//
// Verified against third-party restatements of the official docs: paths,
// fields, model names and modes, statuses, string durations, the envelope
// and error table, the JWT claims. Unverified: where the external_task_id
// lookup takes its value (the adapter puts it in the path, as the docs'
// "one of task_id or external_task_id" suggests, and checks the answer's
// task_info); whether Kling accepts a second task with an external_task_id
// it has seen (a task retried after a failed render reuses it); whether
// callbacks fire on intermediate states; the units charged per model; the
// concurrency of resource packs.
package kling
