package ratelimit

import "errors"

// Sentinel errors. Callers match them with errors.Is; the package wraps them
// with the key or value that caused them.
var (
	// ErrNotHeld reports a Renew of a slot whose lease expired and was
	// reclaimed (or released) before the renewal: the holder must stop the
	// work the slot guarded, or acquire again.
	ErrNotHeld = errors.New("ratelimit: slot not held")
	// ErrInvalidLimit reports a Limit that cannot be enforced: a negative
	// Rate or Burst, or a positive Rate with a Period that is not positive.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrInvalidRequest reports an argument that cannot be served: an empty
	// key or holder, a negative token count, a lease of no duration.
	ErrInvalidRequest = errors.New("ratelimit: invalid request")
	// ErrOverBurst reports a request for more tokens than the bucket can ever
	// hold. Waiting would not help, so it is an error rather than a refusal.
	ErrOverBurst = errors.New("ratelimit: tokens requested exceed burst")
)
