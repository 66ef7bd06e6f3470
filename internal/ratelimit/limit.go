package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limiter spends tokens from named buckets. Implementations are safe for
// concurrent use; the memory one holds within a process, the Redis one
// across every process sharing the Redis.
type Limiter interface {
	// Allow spends n tokens from key's bucket of the given Limit. When the
	// bucket holds fewer than n tokens it spends nothing and returns
	// Allowed=false with RetryAfter, how long until n tokens are available.
	// It never blocks on the bucket. n=0 spends nothing and reports the
	// bucket's state; n above the burst fails with ErrOverBurst.
	Allow(ctx context.Context, key string, limit Limit, n int) (Result, error)
}

// BatchLimiter is a Limiter that can spend from several buckets as one step,
// which is what AllowAll needs to refuse without spending. Both backends of
// this package implement it.
type BatchLimiter interface {
	Limiter
	// AllowAll spends every request's tokens if every bucket can afford them,
	// and nothing otherwise. See the package function AllowAll.
	AllowAll(ctx context.Context, reqs []Request) (Result, error)
}

// Limit is the shape of a bucket: Rate tokens per Period, at most Burst
// tokens saved up. Tokens come back evenly, one every Period/Rate (the
// emission interval), not all at once at the end of the Period.
type Limit struct {
	// Rate is how many tokens come back per Period. Zero means unlimited:
	// Allow always succeeds and touches no state.
	Rate int
	// Period is the window Rate is counted over; it must be positive when
	// Rate is.
	Period time.Duration
	// Burst is how many tokens a full bucket holds, i.e. how many requests
	// may run back to back after a quiet spell. Zero defaults to Rate.
	Burst int
}

// PerSecond returns a Limit of n tokens a second with a burst of n.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second, Burst: n} }

// PerMinute returns a Limit of n tokens a minute with a burst of n, the unit
// most provider quotas are published in.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour returns a Limit of n tokens an hour with a burst of n.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// WithBurst returns a copy of l holding at most b tokens, so that "60 per
// minute, burst 10" reads PerMinute(60).WithBurst(10).
func (l Limit) WithBurst(b int) Limit {
	l.Burst = b
	return l
}

// Unlimited reports whether l lets every request through (Rate zero).
func (l Limit) Unlimited() bool { return l.Rate == 0 }

// burst returns the bucket capacity with the zero default applied.
func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// interval returns the emission interval, Period/Rate, in nanoseconds.
func (l Limit) interval() float64 {
	return float64(l.Period) / float64(l.Rate)
}

// String formats l as "60/1m0s burst 10" for logs and errors.
func (l Limit) String() string {
	if l.Unlimited() {
		return "unlimited"
	}
	return fmt.Sprintf("%d/%s burst %d", l.Rate, l.Period, l.burst())
}

// Result reports the outcome of Allow or AllowAll.
type Result struct {
	// Allowed reports whether the tokens were spent.
	Allowed bool
	// Remaining is how many tokens are left now (after spending when
	// Allowed). For several buckets it is the smallest. It is -1 when every
	// bucket involved is unlimited.
	Remaining int
	// RetryAfter is how long until the refused request would succeed; zero
	// when Allowed. For several buckets it is the longest wait among them.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again, i.e. until the
	// key holds no state. For several buckets it is the longest.
	ResetAfter time.Duration
}

// Request names one bucket for AllowAll: N tokens from Key under Limit.
type Request struct {
	// Key names the bucket, for example "provider:runway" or "org:42".
	Key string
	// Limit is the shape of the bucket; requests of one key should agree.
	Limit Limit
	// N is the number of tokens to spend; zero only inspects.
	N int
}

// unlimitedResult is what an unlimited bucket (or an empty list) reports,
// and where merge starts.
func unlimitedResult() Result { return Result{Allowed: true, Remaining: -1} }

// check validates one request before any state is touched.
func (r Request) check() error {
	l := r.Limit
	switch {
	case r.Key == "":
		return fmt.Errorf("ratelimit: checking request: empty key: %w", ErrInvalidRequest)
	case r.N < 0:
		return fmt.Errorf("ratelimit: checking %q: n=%d: %w", r.Key, r.N, ErrInvalidRequest)
	case l.Rate < 0 || l.Burst < 0:
		return fmt.Errorf("ratelimit: checking %q: %+v: %w", r.Key, l, ErrInvalidLimit)
	case l.Rate > 0 && l.Period <= 0:
		return fmt.Errorf("ratelimit: checking %q: %+v: %w", r.Key, l, ErrInvalidLimit)
	case l.Rate > 0 && r.N > l.burst():
		return fmt.Errorf("ratelimit: checking %q: n=%d over %s: %w",
			r.Key, r.N, l, ErrOverBurst)
	}
	return nil
}

// checkAll validates every request and returns those with a limit, so the
// backends never see unlimited buckets.
func checkAll(reqs []Request) ([]Request, error) {
	limited := make([]Request, 0, len(reqs))
	for _, r := range reqs {
		if err := r.check(); err != nil {
			return nil, err
		}
		if !r.Limit.Unlimited() {
			limited = append(limited, r)
		}
	}
	return limited, nil
}

// merge folds the result of one more bucket into acc, where acc starts as
// unlimitedResult(): allowed only if both are, fewest remaining, longest waits.
func merge(acc, r Result) Result {
	acc.Allowed = acc.Allowed && r.Allowed
	if acc.Remaining < 0 || (r.Remaining >= 0 && r.Remaining < acc.Remaining) {
		acc.Remaining = r.Remaining
	}
	acc.RetryAfter = max(acc.RetryAfter, r.RetryAfter)
	acc.ResetAfter = max(acc.ResetAfter, r.ResetAfter)
	return acc
}

// AllowAll spends from every bucket in reqs, or from none: if any bucket
// cannot afford its request, nothing is spent anywhere and the Result says
// how long until all of them could (the longest RetryAfter). This is how the
// engine charges the provider, the organization and the user together
// without one refusal eating the others' quota.
//
// With a BatchLimiter (both backends here) the check and the spend are one
// atomic step. Any other Limiter is spent bucket by bucket in order, stopping
// at the first refusal; buckets before it stay spent, since Limiter has no
// refund, so wrappers should implement BatchLimiter by delegating.
func AllowAll(ctx context.Context, lim Limiter, reqs []Request) (Result, error) {
	if b, ok := lim.(BatchLimiter); ok {
		return b.AllowAll(ctx, reqs)
	}
	if _, err := checkAll(reqs); err != nil {
		return Result{}, err
	}
	acc := unlimitedResult()
	for _, r := range reqs {
		res, err := lim.Allow(ctx, r.Key, r.Limit, r.N)
		if err != nil {
			return Result{}, fmt.Errorf("ratelimit: allowing %q: %w", r.Key, err)
		}
		acc = merge(acc, res)
		if !res.Allowed {
			return acc, nil
		}
	}
	return acc, nil
}
