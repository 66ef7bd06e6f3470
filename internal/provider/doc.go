// Package provider is the contract between Reelforge's job engine and the video
// and image generation services it drives (Veo 3, Runway, Kling, Wan 2.5,
// Replicate, Nano Banana and the built-in simulator).
//
// Each vendor lives in its own package under internal/provider/<name> and
// implements [Provider]. The vendors differ widely (async tasks, long-running
// operations, a synchronous image call), so the contract is the smallest shape
// they all fit:
//
//   - Create submits a [Request] and returns the vendor's job id at once. A
//     synchronous vendor returns the finished [Status] in [Created] as well.
//   - Get polls a job and maps the vendor's state names onto [State] and its
//     failures onto an [Error] with a [Code]; Status.PollAfter carries the
//     vendor's advice on when to look again.
//   - Cancel stops a job where the vendor allows it.
//
// [Capabilities] describes what a provider accepts so that the API can reject
// an impossible request with a clear message before any money is spent, and
// [PriceModel] estimates what a request costs. Operators may correct prices
// with [ParsePriceOverrides].
//
// The package imports no vendor package: the [Registry] is built from
// factories that the command wiring passes in, which keeps the import graph
// free of cycles.
package provider
