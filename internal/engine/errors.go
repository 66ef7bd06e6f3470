package engine

import (
	"errors"
	"fmt"
)

var (
	// ErrBudgetExceeded refuses a job whose estimate would take the
	// organization past its monthly budget.
	ErrBudgetExceeded = errors.New("engine: the monthly budget would be exceeded")
	// ErrIdempotencyConflict means the Idempotency-Key was used before with
	// a different request.
	ErrIdempotencyConflict = errors.New("engine: the idempotency key was used for another request")
	// ErrNotRetryable means a job has no failed task to retry.
	ErrNotRetryable = errors.New("engine: the job has no failed task")
)

// ValidationError names the field of a job request that is not acceptable.
type ValidationError struct {
	Field   string
	Code    string
	Message string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("engine: %s: %s", e.Field, e.Message)
}

// BudgetError details ErrBudgetExceeded.
type BudgetError struct {
	BudgetCents, SpentCents, EstimateCents int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("engine: the job's estimate of %d cents would take this month's spend "+
		"from %d to past the budget of %d cents", e.EstimateCents, e.SpentCents, e.BudgetCents)
}

// Is makes errors.Is(err, ErrBudgetExceeded) true.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetExceeded }
