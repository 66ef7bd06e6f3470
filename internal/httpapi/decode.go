package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// decode reads a JSON body into dst strictly: a JSON content type, the body
// size limit, no unknown fields, the right types, one value only. Each
// failure is a problem that names the field when there is one.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"the body must be application/json")
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeProblem(err)
		}
		return errBadRequest("malformed_json", "the body must hold exactly one JSON value")
	}
	return nil
}

func decodeProblem(err error) *Problem {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mbe    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return problem(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the body is larger than %d bytes", mbe.Limit))
	case errors.Is(err, io.EOF):
		return errBadRequest("malformed_json", "the body is empty")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("malformed_json", "the body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(root)"
		}
		return errValidation(FieldError{Field: field, Code: "invalid_type",
			Message: fmt.Sprintf("must be %s", jsonKind(typ.Type.Kind().String()))})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errValidation(FieldError{Field: strings.Trim(name, `"`), Code: "unknown_field",
			Message: "is not a known field"})
	}
	return errBadRequest("malformed_json", "the body could not be decoded")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	if strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") ||
		strings.HasPrefix(goKind, "float") {
		return "a number"
	}
	return "of another type"
}

// compactJSON validates and compacts a raw JSON object from a request.
func compactJSON(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), true
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Bytes()[0] != '{' {
		return nil, false
	}
	return buf.Bytes(), true
}
