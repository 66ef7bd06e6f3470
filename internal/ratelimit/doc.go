// Package ratelimit holds the limits that generation tasks must respect no
// matter how many workers run them: token buckets (requests per period, with
// a burst) and concurrency caps (slots held under a lease).
//
// Each kind has one interface and two backends. The memory backends serve the
// embedded single-process mode; the Redis backends serve several `reelforge
// worker` processes on several machines sharing one Redis, and read the time
// from the Redis server so that the machines' clocks do not matter.
//
// The engine composes keys such as "provider:runway", "org:<id>" and
// "user:<id>" and must pass several limits at once, so AllowAll and
// AcquireAll take a list of buckets or caps and spend from all of them or from
// none.
package ratelimit
