package httpapi

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// validator collects field errors so a client learns every problem of a
// request at once.
type validator struct{ errs []FieldError }

func (v *validator) add(field, code, msg string) {
	v.errs = append(v.errs, FieldError{Field: field, Code: code, Message: msg})
}

// text checks a required or optional string's length in characters.
func (v *validator) text(field, s string, required bool, max int) {
	switch n := utf8.RuneCountInString(s); {
	case required && strings.TrimSpace(s) == "":
		v.add(field, "required", "is required")
	case !utf8.ValidString(s):
		v.add(field, "invalid", "must be valid UTF-8")
	case n > max:
		v.add(field, "too_long", fmt.Sprintf("must be at most %d characters", max))
	}
}

func (v *validator) email(field, s string) {
	if s == "" {
		v.add(field, "required", "is required")
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s, ".") {
		v.add(field, "invalid_email", "must be a valid email address")
	}
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return errValidation(v.errs...)
}
