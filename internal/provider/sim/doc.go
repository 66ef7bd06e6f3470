// Package sim is Reelforge's built-in provider: a simulator that behaves like
// a hosted video model but needs no account or key. It renders real clips
// with FFmpeg (a moving test pattern with the prompt drawn on it, a sine tone
// when audio is asked for) at the exact size, aspect ratio and duration of
// the request, and walks each job through the vendor lifecycle queued →
// processing (with progress) → succeeded, failing on demand so that the
// engine's retry, error and cost paths can be exercised end to end.
//
// # In process or remote
//
// Jobs live in the memory of the process that runs the [Sim], so every
// process that polls them must talk to that one simulator:
//
//   - `reelforge serve` alone (API and workers in one process) uses the
//     in-process [Sim], built by [Factory].
//   - With workers in other processes (`reelforge worker`), only the API
//     node runs a [Sim] and mounts its Handler at /sim; the workers use
//     [Remote], built by [RemoteFactory], with PROVIDER_SIM_BASE_URL set to
//     that mount (http://api-host:8080/sim). A worker killed mid-run then
//     leaves its job on the API node, where the worker that takes over finds
//     it by id; a Create retried by task_id returns that same job.
//
// Both advertise the same Capabilities; set SIM_MAX_PARALLEL alike on both
// sides. [Remote] is an ordinary HTTP adapter, so it also exercises the
// engine's vendor paths: transport errors, Retry-After, JSON decoding.
//
// # HTTP API
//
// [Sim.Handler] serves, relative to its mount, a vendor-style JSON API:
//
//	POST /v1/jobs              create; body {task_id, model, kind, prompt,
//	                           negative_prompt, image_url, duration_seconds,
//	                           resolution, aspect_ratio, audio, seed, params};
//	                           201 with the job, or 200 with the existing job
//	                           of a known task_id
//	GET  /v1/jobs/{id}         the job
//	POST /v1/jobs/{id}/cancel  stop the job; answers the job once stopped
//	GET  /v1/creates?task_id=X test introspection, not a vendor call:
//	                           {"task_id", "creates", "total"} as counted by
//	                           [Sim.Creates] and [Sim.TotalCreates]
//
// A job is {id, task_id, status (queued|processing|succeeded|failed|
// canceled), progress, outputs: [{url, kind, mime, width, height,
// duration_seconds}], cover_url, error: {code, message} or null,
// poll_after_ms, metadata}. Failures answer {"error": {"code", "message"}}
// where code is the normalized provider code and the HTTP status maps back
// to it through provider.FromHTTP: 429 with Retry-After for rate_limited,
// 401 auth_failed, 402 quota_exhausted, 400 bad_request (404 for an unknown
// job, 413 for a body over 1 MiB, 422 for a request outside Capabilities),
// 504 timeout, 500 provider_error. Bodies are decoded strictly: unknown
// fields and trailing data are bad_request.
//
// When SIM_TOKEN is set, every /v1 call needs "Authorization: Bearer
// <token>" (401 otherwise). [Remote] sends its provider credential, or
// SIM_TOKEN when it has none; [Factory] likewise uses the provider
// credential when SIM_TOKEN is unset.
//
// # Outputs
//
// Finished files are served over HTTP by [Sim.Handler], so the engine
// downloads them exactly as it downloads vendor URLs. The server mounts it
// with the prefix stripped and sets SIM_BASE_URL to match:
//
//	mux.Handle("/sim/", http.StripPrefix("/sim", s.Handler()))
//
// Output URLs look like {SIM_BASE_URL}/outputs/{job_id}/video.mp4. They need
// no token: like vendor CDN links they are protected by the unguessable job
// id (64 random bits).
//
// # Configuration
//
// [LoadConfig] reads these variables (documented for docs/configuration.md):
//
//	SIM_QUEUE_DELAY      time a job stays queued before rendering (Go
//	                     duration, default 1s)
//	SIM_RENDER_DELAY     minimum time a job stays processing (default 2s);
//	                     the real render may take longer
//	SIM_FAIL_RATE        probability 0..1 that a job fails with
//	                     provider_error (default 0)
//	SIM_RATE_LIMIT_RATE  probability 0..1 that a Create is refused with
//	                     rate_limited and Retry-After 1s (default 0)
//	SIM_TIMEOUT_RATE     probability 0..1 that a job fails with timeout
//	                     (default 0)
//	SIM_MAX_PARALLEL     renders running at once; later jobs stay queued
//	                     (default 2)
//	SIM_OUTPUT_DIR       directory for rendered files (default
//	                     $TMPDIR/reelforge-sim)
//	SIM_BASE_URL         public URL where Handler is mounted (default
//	                     http://127.0.0.1:8080/sim)
//	SIM_SEED             seed of the random failures (default 1), so a run
//	                     is repeatable
//	SIM_PRESET           x264 preset (default veryfast)
//	SIM_FONT             font file for the prompt text (default: what
//	                     fc-match finds for "Noto Sans CJK SC")
//	SIM_TOKEN            bearer token required by the /v1 API (default
//	                     none: the API is open)
//
// # Per-request controls
//
// Request.Params may carry, for tests:
//
//	sim_fail             "provider_error", "timeout", "bad_request",
//	                     "auth_failed" or "quota_exhausted". The last three
//	                     are refused by Create, as vendors reject them over
//	                     HTTP; the first two fail the job when rendering ends.
//	sim_fail_at_progress 0<p≤1: the job fails (with sim_fail's code, default
//	                     provider_error) once progress reaches p
//	sim_rate_limit_once  true: the first Create of the task is refused with
//	                     rate_limited and RetryAfter 1s
//	sim_queue_ms         overrides SIM_QUEUE_DELAY for the job
//	sim_render_ms        overrides SIM_RENDER_DELAY for the job
//
// # Idempotency and memory
//
// Create with a TaskID that already has a job returns that job, like Kling's
// external_task_id, so a retried submission after a crash never renders
// twice. [Sim.Creates] still counts every call, which is what lets the
// engine's crash test assert "exactly one create per task". Jobs live only in
// memory: after a restart Get answers bad_request "unknown job" for old ids,
// which the engine treats like a vendor that forgot a job. Files stay in
// SIM_OUTPUT_DIR until removed by the operator.
package sim
