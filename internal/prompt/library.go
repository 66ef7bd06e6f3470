package prompt

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// libraryFS holds the starter library, one JSON array of templates per category. Embedding
// keeps the binary self-contained so a fresh install has useful prompts offline.
//
//go:embed library/*.json
var libraryFS embed.FS

// loadBuiltin parses the embedded library exactly once. Unknown JSON fields are rejected so
// a typo such as "negative" instead of "negative_prompt" fails the tests instead of being
// dropped silently.
var loadBuiltin = sync.OnceValues(func() ([]Template, error) {
	files, err := fs.Glob(libraryFS, "library/*.json")
	if err != nil {
		return nil, fmt.Errorf("listing starter library: %w", err)
	}
	var all []Template
	for _, name := range files {
		data, err := libraryFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var ts []Template
		if err := dec.Decode(&ts); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", name, err)
		}
		all = append(all, ts...)
	}
	return all, nil
})

// Builtin returns the starter library in a stable order (by category file, then as
// written). The result is a deep copy, so callers may modify it freely without affecting
// other callers. It panics only if the embedded JSON is malformed, which the package tests
// rule out before any release.
func Builtin() []Template {
	ts, err := loadBuiltin()
	if err != nil {
		panic(fmt.Sprintf("prompt: loading starter library: %v", err))
	}
	out := make([]Template, len(ts))
	for i, t := range ts {
		t.Variables = slices.Clone(t.Variables)
		t.Tags = slices.Clone(t.Tags)
		out[i] = t
	}
	return out
}
