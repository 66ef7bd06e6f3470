package prompt

import (
	"errors"
	"fmt"
)

// Codes carried by VariableError.Code. They are plain strings so that API handlers can
// pass them straight to clients, which localise the message themselves.
const (
	// CodeMissing means a variable the body needs has neither a value nor a default.
	CodeMissing = "missing"
	// CodeUnknown means the caller supplied a value for a name the template does not declare,
	// which is usually a typo that would otherwise be silently ignored.
	CodeUnknown = "unknown"
)

// Sentinel errors let callers branch with errors.Is without caring about the concrete type
// or the message wording, which includes names and byte offsets.
var (
	// ErrMissingVariable matches every VariableError whose Code is CodeMissing.
	ErrMissingVariable = errors.New("prompt: missing variable")
	// ErrUnknownVariable matches every VariableError whose Code is CodeUnknown.
	ErrUnknownVariable = errors.New("prompt: unknown variable")
	// ErrSyntax is wrapped by every error about malformed placeholder syntax; the wrapping
	// error carries the byte offset so an editor can point at the mistake.
	ErrSyntax = errors.New("prompt: invalid placeholder syntax")
	// ErrTooLong is wrapped when a rendered prompt would exceed MaxRenderedBytes, which
	// protects the video providers (and our storage) from runaway values.
	ErrTooLong = errors.New("prompt: rendered prompt too long")
)

// VariableError reports one problem with the values passed to a render. Only the first
// problem is reported, chosen deterministically, so the same input always yields the same
// error and UI tests stay stable.
type VariableError struct {
	// Name is the variable name the problem is about.
	Name string
	// Code is CodeMissing or CodeUnknown.
	Code string
}

// Error reads like `prompt: variable "emotion" is missing`, which is fit to show to a
// prompt author as is.
func (e *VariableError) Error() string {
	return fmt.Sprintf("prompt: variable %q is %s", e.Name, e.Code)
}

// Is makes errors.Is(err, ErrMissingVariable) and errors.Is(err, ErrUnknownVariable) work,
// so callers need not inspect Code by hand.
func (e *VariableError) Is(target error) bool {
	switch target {
	case ErrMissingVariable:
		return e.Code == CodeMissing
	case ErrUnknownVariable:
		return e.Code == CodeUnknown
	}
	return false
}

// ValidationError reports the first field of a Template that is not acceptable. Field uses
// JSON names (for example "variables[2].name") so a form can highlight the right input.
type ValidationError struct {
	// Field is the JSON path of the offending field.
	Field string
	// Message explains what is wrong, in lowercase English.
	Message string
	// Err is the underlying cause, if any (for example an ErrSyntax error for the body);
	// it is exposed through Unwrap so errors.Is still finds the sentinel.
	Err error
}

// Error names the field first because that is what a person fixing the template looks for.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("prompt: invalid %s: %s", e.Field, e.Message)
}

// Unwrap exposes the cause so that, for instance, errors.Is(err, ErrSyntax) holds for a
// template whose body has a stray brace.
func (e *ValidationError) Unwrap() error { return e.Err }
