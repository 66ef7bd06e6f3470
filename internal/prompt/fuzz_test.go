package prompt

import (
	"errors"
	"strings"
	"testing"
)

// addLibrarySeeds seeds a fuzzer with every built-in body plus a few hand-picked edge cases.
func addLibrarySeeds(f *testing.F, add func(body string)) {
	f.Helper()
	for _, tmpl := range Builtin() {
		add(tmpl.Body)
	}
	for _, body := range []string{
		"", "{", "}", "{}", "{{", "}}", "{{x}}", "{{{x}}}", "{1x}", "{bad name}",
		"{a}{b}{a}", "{a}}", "镜头{x}推近", "{" + strings.Repeat("z", 40) + "}",
	} {
		add(body)
	}
}

func FuzzPlaceholders(f *testing.F) {
	addLibrarySeeds(f, func(body string) { f.Add(body) })
	f.Fuzz(func(t *testing.T, body string) {
		names, err := Placeholders(body)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range names {
			if !validName(n) {
				t.Errorf("invalid name %q returned", n)
			}
			if seen[n] {
				t.Errorf("duplicate name %q returned", n)
			}
			seen[n] = true
			if !strings.Contains(body, "{"+n+"}") {
				t.Errorf("name %q not present in body", n)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	addLibrarySeeds(f, func(body string) { f.Add(body, "value") })
	f.Add("{x} and {y}", "{x}")
	f.Fuzz(func(t *testing.T, body, value string) {
		names, err := Placeholders(body)
		if err != nil {
			if _, rerr := RenderText(body, nil, nil); !errors.Is(rerr, ErrSyntax) {
				t.Fatalf("RenderText error = %v, want ErrSyntax like Placeholders", rerr)
			}
			return
		}
		// Values are wrapped in characters that cannot appear in a name, so any "{name}"
		// in the output must come from the body's own escaped braces.
		inner := strings.NewReplacer("{", "", "}", "").Replace(value)
		vars := make([]Variable, len(names))
		values := make(map[string]string, len(names))
		for i, n := range names {
			vars[i] = Variable{Name: n, Label: n}
			values[n] = "<" + inner + ">"
		}
		out, err := RenderText(body, vars, values)
		if err != nil {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("RenderText error = %v", err)
			}
			return
		}
		if len(out) > MaxRenderedBytes {
			t.Fatalf("output is %d bytes, over the cap", len(out))
		}
		for _, n := range names {
			if strings.Contains(out, "{"+n+"}") && !strings.Contains(body, "{{"+n+"}}") {
				t.Errorf("output %q still has unescaped placeholder %q", out, n)
			}
		}
		// Raw values, braces included, must come through verbatim and never be expanded.
		if len(names) > 0 {
			raw := map[string]string{names[0]: value + " "}
			for _, n := range names[1:] {
				raw[n] = "v"
			}
			got, err := RenderText(body, vars, raw)
			if err == nil && !strings.Contains(got, value) {
				t.Errorf("value %q not inserted verbatim into %q", value, got)
			}
		}
	})
}
