package prompt

import (
	"slices"
	"strings"
	"testing"
)

// examples returns each variable's example, which is what the library browser uses to
// preview a template.
func examples(t Template) map[string]string {
	m := make(map[string]string, len(t.Variables))
	for _, v := range t.Variables {
		m[v.Name] = v.Example
	}
	return m
}

func TestBuiltinTemplates(t *testing.T) {
	t.Parallel()
	for _, tmpl := range Builtin() {
		t.Run(tmpl.Slug, func(t *testing.T) {
			t.Parallel()
			if err := tmpl.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if n := len(tmpl.Variables); n < 2 || n > 6 {
				t.Errorf("has %d variables, want 2-6", n)
			}
			if strings.TrimSpace(tmpl.Description) == "" {
				t.Error("description is empty")
			}
			for _, v := range tmpl.Variables {
				if strings.TrimSpace(v.Example) == "" {
					t.Errorf("variable %q has no example", v.Name)
				}
			}
			suffix := map[string]string{LangZhCN: "-zh", LangEn: "-en"}[tmpl.Lang]
			if !strings.HasSuffix(tmpl.Slug, suffix) {
				t.Errorf("slug %q should end in %q for lang %s", tmpl.Slug, suffix, tmpl.Lang)
			}
			got, err := tmpl.Render(examples(tmpl))
			if err != nil {
				t.Fatalf("Render(examples) = %v", err)
			}
			if strings.ContainsAny(got, "{}") {
				t.Errorf("rendered text still has braces: %q", got)
			}
			if tmpl.Lang == LangZhCN && !containsHan(tmpl.Body) {
				t.Error("zh-CN template body has no Chinese text")
			}
			if tmpl.Lang == LangEn && containsHan(tmpl.Body) {
				t.Error("en template body contains Chinese text")
			}
		})
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestBuiltinRendersWithDefaultsOnly(t *testing.T) {
	t.Parallel()
	for _, tmpl := range Builtin() {
		values := map[string]string{}
		for _, v := range tmpl.Variables {
			if v.Default == "" {
				values[v.Name] = v.Example
			}
		}
		if _, err := tmpl.Render(values); err != nil {
			t.Errorf("%s: Render with defaults = %v", tmpl.Slug, err)
		}
	}
}

func TestBuiltinCoverage(t *testing.T) {
	t.Parallel()
	all := Builtin()
	if len(all) < 48 {
		t.Errorf("library has %d templates, want at least 48", len(all))
	}
	slugs := map[string]bool{}
	counts := map[string]map[string]int{}
	withNegative, withDefault := 0, 0
	for _, tmpl := range all {
		if slugs[tmpl.Slug] {
			t.Errorf("duplicate slug %q", tmpl.Slug)
		}
		slugs[tmpl.Slug] = true
		if counts[tmpl.Category] == nil {
			counts[tmpl.Category] = map[string]int{}
		}
		counts[tmpl.Category][tmpl.Lang]++
		if tmpl.NegativePrompt != "" {
			withNegative++
		}
		if slices.ContainsFunc(tmpl.Variables, func(v Variable) bool { return v.Default != "" }) {
			withDefault++
		}
	}
	for _, c := range Categories {
		for _, lang := range []string{LangZhCN, LangEn} {
			if n := counts[c][lang]; n < 4 {
				t.Errorf("category %s has %d %s templates, want at least 4", c, n, lang)
			}
		}
	}
	if withNegative == 0 || withDefault == 0 {
		t.Errorf("negative prompts: %d, templates with defaults: %d; want some of each",
			withNegative, withDefault)
	}
}

func TestBuiltinReturnsCopy(t *testing.T) {
	t.Parallel()
	first := Builtin()
	first[0].Title = "changed"
	first[0].Variables[0].Name = "changed"
	first[0].Tags = append(first[0].Tags[:0], "changed")
	second := Builtin()
	if second[0].Title == "changed" || second[0].Variables[0].Name == "changed" {
		t.Fatal("Builtin shares state between calls")
	}
	if len(second[0].Tags) > 0 && second[0].Tags[0] == "changed" {
		t.Fatal("Builtin shares tags between calls")
	}
}
