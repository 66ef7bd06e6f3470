// Package prompt holds reusable prompt templates for video generation models and the
// starter library that ships with Reelforge.
//
// A template body is plain text with {variable} placeholders. Names follow
// [a-z][a-z0-9_]{0,39}; "{{" and "}}" stand for literal braces. Values are inserted
// verbatim, never expanded again, so user input cannot smuggle in further placeholders.
package prompt

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Categories of the starter library. They mirror the kinds of teams that use Reelforge and
// drive the library browser's tabs, so they are stable identifiers, not display text.
const (
	// CategoryAd is for brand and performance advertising spots.
	CategoryAd = "ad"
	// CategoryShortDrama is for vertical micro-drama scenes (短剧).
	CategoryShortDrama = "short_drama"
	// CategoryGame is for game trailers, cinematics and promo clips.
	CategoryGame = "game"
	// CategoryEducation is for explainers, lessons and science visuals.
	CategoryEducation = "education"
	// CategoryProduct is for e-commerce product shots (电商主图视频).
	CategoryProduct = "product"
	// CategoryTravel is for destination and culture-tourism promos (文旅).
	CategoryTravel = "travel"
)

// Categories lists every valid category in display order, so the UI and Validate agree on
// one source of truth.
var Categories = []string{
	CategoryAd, CategoryShortDrama, CategoryGame, CategoryEducation, CategoryProduct,
	CategoryTravel,
}

// Languages a template may be written in. Templates are authored natively per language
// rather than machine translated, so the language is part of a template's identity.
const (
	// LangZhCN marks templates written in Simplified Chinese.
	LangZhCN = "zh-CN"
	// LangEn marks templates written in English.
	LangEn = "en"
)

// Limits that keep templates and rendered prompts within what video providers accept and
// what an editor can reasonably display.
const (
	// MaxRenderedBytes caps the size of a rendered prompt; providers reject far less, but
	// the cap stops pathological values before they reach storage or the network.
	MaxRenderedBytes = 20000
	// MaxNameLen is the longest allowed variable name.
	MaxNameLen = 40
	// MaxVariables caps how many variables one template may declare; forms with more
	// fields than this are unusable.
	MaxVariables = 32
	// maxSlugLen bounds slugs, which appear in URLs.
	maxSlugLen = 80
	// maxTitleRunes bounds titles, which appear on library cards.
	maxTitleRunes = 120
	// maxLabelRunes bounds variable labels, which appear beside form inputs.
	maxLabelRunes = 60
)

// Variable describes one placeholder of a template so the UI can render a form for it.
type Variable struct {
	// Name is the placeholder name used in the body, matching [a-z][a-z0-9_]{0,39}.
	Name string `json:"name"`
	// Label is the human label shown next to the input, in the template's language.
	Label string `json:"label"`
	// Description optionally explains what a good value looks like.
	Description string `json:"description,omitempty"`
	// Default is used when the caller gives no value; empty means the variable is required.
	Default string `json:"default,omitempty"`
	// Example is a sample value, shown as a hint and used to preview the template.
	Example string `json:"example"`
}

// Template is a reusable prompt with variables, either built in or written by a team.
type Template struct {
	// Slug is a stable identifier, e.g. "ad-product-hero-en"; built-ins never change it.
	Slug string `json:"slug"`
	// Category is one of Categories.
	Category string `json:"category"`
	// Lang is LangZhCN or LangEn.
	Lang string `json:"lang"`
	// Title is the short name shown on library cards.
	Title string `json:"title"`
	// Description says what the template is good for.
	Description string `json:"description"`
	// Body is the prompt text with {variable} placeholders; "{{" and "}}" are literal braces.
	Body string `json:"body"`
	// NegativePrompt lists what the model should avoid. It is sent verbatim (not rendered),
	// because most providers take it as a separate, fixed field.
	NegativePrompt string `json:"negative_prompt,omitempty"`
	// Variables declares every placeholder used in Body, in form order.
	Variables []Variable `json:"variables"`
	// Tags help search and filtering in the library browser.
	Tags []string `json:"tags,omitempty"`
}

// segment is one piece of a parsed body: literal text, or a placeholder when name is set.
type segment struct {
	text string
	name string
}

// validName reports whether s matches [a-z][a-z0-9_]{0,39}. It is hand-written rather than
// a regexp because it sits on the render path of every prompt.
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// syntaxError builds an ErrSyntax-wrapping error pointing at a byte offset of the body.
func syntaxError(offset int, format string, args ...any) error {
	return fmt.Errorf("parsing placeholders: %s at byte %d: %w",
		fmt.Sprintf(format, args...), offset, ErrSyntax)
}

// parse splits body into literal and placeholder segments. Braces are ASCII, so scanning
// bytes is safe for UTF-8 text: they never occur inside a multi-byte sequence.
func parse(body string) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case '{':
			if i+1 < len(body) && body[i+1] == '{' {
				lit.WriteByte('{')
				i += 2
				continue
			}
			end := strings.IndexByte(body[i+1:], '}')
			if end < 0 {
				return nil, syntaxError(i, "unclosed %q", "{")
			}
			name := body[i+1 : i+1+end]
			if name == "" {
				return nil, syntaxError(i, "empty placeholder %q", "{}")
			}
			if !validName(name) {
				return nil, syntaxError(i, "invalid placeholder name %q", name)
			}
			flush()
			segs = append(segs, segment{name: name})
			i += end + 2
		case '}':
			if i+1 < len(body) && body[i+1] == '}' {
				lit.WriteByte('}')
				i += 2
				continue
			}
			return nil, syntaxError(i, "unmatched %q (write %q for a literal brace)", "}", "}}")
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return segs, nil
}

// Placeholders returns the distinct placeholder names of body in order of first use, which
// is the order a form built from a bare body should ask for them. It fails with an
// ErrSyntax-wrapping error on unbalanced braces, empty placeholders or invalid names.
func Placeholders(body string) ([]string, error) {
	segs, err := parse(body)
	if err != nil {
		return nil, err
	}
	return namesOf(segs), nil
}

// namesOf lists the distinct placeholder names of segs in order of first use.
func namesOf(segs []segment) []string {
	names := []string{}
	for _, s := range segs {
		if s.name != "" && !slices.Contains(names, s.name) {
			names = append(names, s.name)
		}
	}
	return names
}

// Render fills the template's Body with values. NegativePrompt is deliberately not rendered:
// it is fixed text sent as its own provider field.
func (t Template) Render(values map[string]string) (string, error) {
	return RenderText(t.Body, t.Variables, values)
}

// RenderText fills body with values, falling back to each variable's Default. It exists
// apart from Template.Render so ad-hoc bodies (drafts in the editor) render the same way.
//
// A value that is empty or only whitespace counts as not given. Problems are reported one
// at a time in a fixed order: syntax errors, then invalid declarations, then missing
// variables (declaration order, then undeclared placeholders in body order), then values
// for undeclared names (sorted). Values are inserted literally and never re-parsed.
func RenderText(body string, vars []Variable, values map[string]string) (string, error) {
	segs, err := parse(body)
	if err != nil {
		return "", err
	}
	seen := make(map[string]bool, len(vars))
	for i, v := range vars {
		if !validName(v.Name) {
			return "", &ValidationError{
				Field:   fmt.Sprintf("variables[%d].name", i),
				Message: fmt.Sprintf("%q must match [a-z][a-z0-9_]{0,39}", v.Name),
			}
		}
		if seen[v.Name] {
			return "", &ValidationError{
				Field:   fmt.Sprintf("variables[%d].name", i),
				Message: fmt.Sprintf("%q is declared more than once", v.Name),
			}
		}
		seen[v.Name] = true
	}
	resolved := make(map[string]string, len(vars))
	for _, v := range vars {
		val, ok := values[v.Name]
		if !ok || strings.TrimSpace(val) == "" {
			val = v.Default
		}
		if strings.TrimSpace(val) == "" {
			return "", &VariableError{Name: v.Name, Code: CodeMissing}
		}
		resolved[v.Name] = val
	}
	// A placeholder nobody declared cannot be filled. Without a value it is missing;
	// with one, the unknown check below reports it, because the name is not declared.
	for _, name := range namesOf(segs) {
		if _, ok := resolved[name]; !ok && strings.TrimSpace(values[name]) == "" {
			return "", &VariableError{Name: name, Code: CodeMissing}
		}
	}
	unknown := []string{}
	for name := range values {
		if _, ok := resolved[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return "", &VariableError{Name: unknown[0], Code: CodeUnknown}
	}

	size := 0
	for _, s := range segs {
		if s.name != "" {
			size += len(resolved[s.name])
		} else {
			size += len(s.text)
		}
		if size > MaxRenderedBytes {
			return "", fmt.Errorf("rendering prompt: output exceeds %d bytes: %w",
				MaxRenderedBytes, ErrTooLong)
		}
	}
	var out strings.Builder
	out.Grow(size)
	for _, s := range segs {
		if s.name != "" {
			out.WriteString(resolved[s.name])
		} else {
			out.WriteString(s.text)
		}
	}
	return out.String(), nil
}

// Validate checks that a template is complete and self-consistent before it is saved or
// shipped: required fields are present and well formed, the body parses, every placeholder
// is declared, every declared variable is used, and names are valid and unique. It returns
// a *ValidationError naming the first offending field.
func (t Template) Validate() error {
	invalid := func(field, format string, args ...any) error {
		return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if !validSlug(t.Slug) {
		return invalid("slug", "%q must be 1-%d lowercase letters, digits and single hyphens",
			t.Slug, maxSlugLen)
	}
	if !slices.Contains(Categories, t.Category) {
		return invalid("category", "%q is not one of %s", t.Category,
			strings.Join(Categories, ", "))
	}
	if t.Lang != LangZhCN && t.Lang != LangEn {
		return invalid("lang", "%q must be %q or %q", t.Lang, LangZhCN, LangEn)
	}
	if strings.TrimSpace(t.Title) == "" {
		return invalid("title", "is required")
	}
	if utf8.RuneCountInString(t.Title) > maxTitleRunes {
		return invalid("title", "is longer than %d characters", maxTitleRunes)
	}
	if strings.TrimSpace(t.Body) == "" {
		return invalid("body", "is required")
	}
	if len(t.Body) > MaxRenderedBytes {
		return invalid("body", "is longer than %d bytes", MaxRenderedBytes)
	}
	// Chinese input methods produce full-width braces easily; they look like placeholders
	// to an author but would reach the model as literal text.
	if i := strings.IndexAny(t.Body, "｛｝"); i >= 0 {
		return invalid("body", "full-width brace at byte %d; use ASCII { and }", i)
	}
	segs, err := parse(t.Body)
	if err != nil {
		return &ValidationError{Field: "body", Message: err.Error(), Err: err}
	}
	if strings.ContainsAny(t.NegativePrompt, "{}｛｝") {
		return invalid("negative_prompt", "must not contain braces; it is sent verbatim")
	}
	if len(t.Variables) > MaxVariables {
		return invalid("variables", "declares more than %d variables", MaxVariables)
	}
	used := namesOf(segs)
	declared := make(map[string]bool, len(t.Variables))
	for i, v := range t.Variables {
		field := fmt.Sprintf("variables[%d]", i)
		switch {
		case !validName(v.Name):
			return invalid(field+".name", "%q must match [a-z][a-z0-9_]{0,39}", v.Name)
		case declared[v.Name]:
			return invalid(field+".name", "%q is declared more than once", v.Name)
		case !slices.Contains(used, v.Name):
			return invalid(field+".name", "%q is not used in the body", v.Name)
		case strings.TrimSpace(v.Label) == "":
			return invalid(field+".label", "is required")
		case utf8.RuneCountInString(v.Label) > maxLabelRunes:
			return invalid(field+".label", "is longer than %d characters", maxLabelRunes)
		}
		declared[v.Name] = true
	}
	for _, name := range used {
		if !declared[name] {
			return invalid("body", "placeholder %q is not declared in variables", name)
		}
	}
	for i, tag := range t.Tags {
		if strings.TrimSpace(tag) == "" {
			return invalid(fmt.Sprintf("tags[%d]", i), "must not be empty")
		}
	}
	return nil
}

// validSlug reports whether s is lowercase words joined by single hyphens, which keeps
// slugs safe in URLs and file names.
func validSlug(s string) bool {
	if s == "" || len(s) > maxSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}
