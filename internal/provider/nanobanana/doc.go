// Package nanobanana is the provider adapter for "Nano Banana", Google's
// Gemini 2.5 Flash Image model (provider name "nano"). It makes still images
// for storyboards, reference sheets and the first frames of image-to-video.
//
// # Protocol
//
// One synchronous call: POST {BaseURL}/v1beta/models/gemini-2.5-flash-image
// :generateContent on the Gemini API (default host
// generativelanguage.googleapis.com) with the key in the x-goog-api-key
// header, never in the query string. The body holds the prompt as a text
// part (a negative prompt is appended as "Avoid: …", since Gemini has none),
// an optional reference image as an inlineData part, responseModalities
// ["IMAGE"], imageConfig.aspectRatio, and the seed. The reference image comes
// from a base64 data: URL in Request.ImageURL or from Params "image_base64"
// (with optional "image_mime_type"); remote URLs are refused, never fetched.
// Other Params are copied into generationConfig untouched.
//
// The first image part of the answer (inlineData or inline_data) becomes an
// Output with Data, Kind image, its MIME type and, for PNG and JPEG, its
// pixel size. An answer without an image is an error: bad_request when
// promptFeedback.blockReason or a safety or policy finishReason explains it,
// provider_error otherwise (a text-only reply, for example). HTTP errors go
// through provider.FromHTTP, with Gemini's 400 API_KEY_INVALID read as
// auth_failed, 403 BILLING_DISABLED as quota_exhausted and a 429's RetryInfo
// used when there is no Retry-After.
//
// # Jobs
//
// Create returns Created{JobID: "nano-…", Result: the finished Status}, so
// the engine never polls. Get replays that result from memory: at most
// MaxStoredResults results for ResultTTL, in this process only, so after a
// restart or eviction Get answers bad_request "unknown job". Cancel does
// nothing. There is no Finder: a Create retried after a crash generates and
// bills a second image.
//
// # Capabilities
//
// Model gemini-2.5-flash-image, kind text_to_image only; aspect ratios 16:9
// (default), 9:16, 1:1 and 21:9; the 720p tier only, because the model
// makes about one megapixel whatever is asked; prompts up to 30,000
// characters (our bound). Price 4 cents an image: Google's 3.9 cents rounded
// to whole cents. DefaultConcurrency 4, 60 Creates a minute. The default
// HTTP timeout is 120 s, as the call renders before it answers.
//
// # Unverified
//
// The output pixel sizes per ratio, the 4:5 and 5:4 ratios (not offered),
// how many reference images the model takes (one is sent), whether
// personGeneration is honoured, the per-tier quotas and the input token
// price. The Vertex AI route is not implemented.
package nanobanana
