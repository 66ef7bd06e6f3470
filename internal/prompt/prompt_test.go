package prompt

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	long40 := strings.Repeat("a", 40)
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"empty", "", []string{}},
		{"no placeholders", "a quiet beach at dawn", []string{}},
		{"single", "a {subject} at dawn", []string{"subject"}},
		{"order of first use", "{b} and {a} then {b}", []string{"b", "a"}},
		{"escapes are not placeholders", "{{not_a_var}} {real}", []string{"real"}},
		{"escape then placeholder", "{{{x}}}", []string{"x"}},
		{"digits and underscores", "{shot_2}", []string{"shot_2"}},
		{"max length name", "{" + long40 + "}", []string{long40}},
		{"chinese text", "{城市}外的{city}", nil},
		{"adjacent", "{a}{b}", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Placeholders(tt.body)
			if tt.want == nil {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("Placeholders(%q) error = %v, want ErrSyntax", tt.body, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Placeholders(%q) error = %v", tt.body, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Placeholders(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		wantPos string
	}{
		{"lone open", "a { b", "at byte 2"},
		{"open at end", "scene {", "at byte 6"},
		{"lone close", "a } b", "at byte 2"},
		{"empty", "x {} y", "at byte 2"},
		{"space in name", "{bad name}", "at byte 0"},
		{"leading digit", "{1x}", "at byte 0"},
		{"uppercase", "{Emotion}", "at byte 0"},
		{"hyphen", "{camera-move}", "at byte 0"},
		{"too long", "{" + strings.Repeat("a", 41) + "}", "at byte 0"},
		{"nested", "{a{b}}", "at byte 0"},
		{"trailing close after placeholder", "{a}}", "at byte 3"},
		{"full-width inside", "{城市}", "at byte 0"},
		{"multibyte offset", "镜头{", "at byte 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Placeholders(tt.body)
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Placeholders(%q) error = %v, want ErrSyntax", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.wantPos) {
				t.Errorf("error %q does not mention %q", err, tt.wantPos)
			}
			_, err = RenderText(tt.body, nil, nil)
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("RenderText(%q) error = %v, want ErrSyntax", tt.body, err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	vars := []Variable{
		{Name: "character", Label: "Character", Example: "a knight"},
		{Name: "emotion", Label: "Emotion", Default: "calm", Example: "angry"},
	}
	tests := []struct {
		name   string
		body   string
		values map[string]string
		want   string
	}{
		{
			name:   "all given",
			body:   "{character} looks {emotion}.",
			values: map[string]string{"character": "A fox", "emotion": "curious"},
			want:   "A fox looks curious.",
		},
		{
			name:   "default applied",
			body:   "{character} looks {emotion}.",
			values: map[string]string{"character": "A fox"},
			want:   "A fox looks calm.",
		},
		{
			name:   "blank value falls back to default",
			body:   "{character} looks {emotion}.",
			values: map[string]string{"character": "A fox", "emotion": "  "},
			want:   "A fox looks calm.",
		},
		{
			name:   "repeated placeholder",
			body:   "{character}, {character}, {emotion}",
			values: map[string]string{"character": "x"},
			want:   "x, x, calm",
		},
		{
			name:   "escaped braces",
			body:   "{{character}} is {character} {{ {emotion} }}",
			values: map[string]string{"character": "Ann"},
			want:   "{character} is Ann { calm }",
		},
		{
			name:   "values are not expanded",
			body:   "{character} / {emotion}",
			values: map[string]string{"character": "{emotion}", "emotion": "{{x}}"},
			want:   "{emotion} / {{x}}",
		},
		{
			name:   "chinese",
			body:   "{character}站在雨中，神情{emotion}。",
			values: map[string]string{"character": "少年", "emotion": "倔强"},
			want:   "少年站在雨中，神情倔强。",
		},
		{
			name:   "value kept verbatim",
			body:   "[{character}]",
			values: map[string]string{"character": " padded "},
			want:   "[ padded ]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := RenderText(tt.body, vars, tt.values)
			if err != nil {
				t.Fatalf("RenderText error = %v", err)
			}
			if got != tt.want {
				t.Errorf("RenderText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderVariableErrors(t *testing.T) {
	t.Parallel()
	vars := []Variable{
		{Name: "scene_place", Label: "Place", Example: "a pier"},
		{Name: "character", Label: "Character", Example: "a girl"},
		{Name: "mood", Label: "Mood", Default: "tense", Example: "eerie"},
	}
	body := "{character} at {scene_place}, {mood}"
	tests := []struct {
		name     string
		body     string
		values   map[string]string
		wantName string
		wantCode string
		wantIs   error
	}{
		{
			name:     "missing names first in declaration order",
			body:     body,
			values:   nil,
			wantName: "scene_place", wantCode: CodeMissing, wantIs: ErrMissingVariable,
		},
		{
			name:     "missing second",
			body:     body,
			values:   map[string]string{"scene_place": "a pier"},
			wantName: "character", wantCode: CodeMissing, wantIs: ErrMissingVariable,
		},
		{
			name:     "empty value without default is missing",
			body:     body,
			values:   map[string]string{"scene_place": "a pier", "character": ""},
			wantName: "character", wantCode: CodeMissing, wantIs: ErrMissingVariable,
		},
		{
			name:     "missing wins over unknown",
			body:     body,
			values:   map[string]string{"scene_place": "a pier", "zzz": "x"},
			wantName: "character", wantCode: CodeMissing, wantIs: ErrMissingVariable,
		},
		{
			name: "unknown sorted first",
			body: body,
			values: map[string]string{
				"scene_place": "a pier", "character": "a girl", "zeta": "1", "alpha": "2",
			},
			wantName: "alpha", wantCode: CodeUnknown, wantIs: ErrUnknownVariable,
		},
		{
			name:     "undeclared placeholder without value is missing",
			body:     body + " {weather}",
			values:   map[string]string{"scene_place": "a pier", "character": "a girl"},
			wantName: "weather", wantCode: CodeMissing, wantIs: ErrMissingVariable,
		},
		{
			name: "undeclared placeholder with value is unknown",
			body: body + " {weather}",
			values: map[string]string{
				"scene_place": "a pier", "character": "a girl", "weather": "fog",
			},
			wantName: "weather", wantCode: CodeUnknown, wantIs: ErrUnknownVariable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := RenderText(tt.body, vars, tt.values)
			ve, ok := errors.AsType[*VariableError](err)
			if !ok {
				t.Fatalf("error = %v, want *VariableError", err)
			}
			if ve.Name != tt.wantName || ve.Code != tt.wantCode {
				t.Errorf("got %s/%s, want %s/%s", ve.Name, ve.Code, tt.wantName, tt.wantCode)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			other := ErrUnknownVariable
			if tt.wantIs == ErrUnknownVariable {
				other = ErrMissingVariable
			}
			if errors.Is(err, other) {
				t.Errorf("errors.Is(%v, %v) = true", err, other)
			}
			if !strings.Contains(err.Error(), `"`+tt.wantName+`"`) {
				t.Errorf("message %q does not name %q", err, tt.wantName)
			}
		})
	}
}

func TestVariableErrorMessage(t *testing.T) {
	t.Parallel()
	err := &VariableError{Name: "emotion", Code: CodeMissing}
	if got, want := err.Error(), `prompt: variable "emotion" is missing`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRenderTextBadDeclarations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		vars  []Variable
		field string
	}{
		{"invalid name", []Variable{{Name: "Bad", Label: "x"}}, "variables[0].name"},
		{"duplicate", []Variable{{Name: "a", Default: "1"}, {Name: "a"}}, "variables[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := RenderText("{a}", tt.vars, map[string]string{"a": "v"})
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok || ve.Field != tt.field {
				t.Fatalf("error = %v, want *ValidationError on %s", err, tt.field)
			}
		})
	}
}

func TestRenderLengthCap(t *testing.T) {
	t.Parallel()
	vars := []Variable{{Name: "x", Label: "X", Example: "e"}}
	tests := []struct {
		name    string
		body    string
		value   string
		wantErr bool
	}{
		{"exactly at cap", "{x}", strings.Repeat("a", MaxRenderedBytes), false},
		{"one over via value", "{x}", strings.Repeat("a", MaxRenderedBytes+1), true},
		{"one over via literal", "!{x}", strings.Repeat("a", MaxRenderedBytes), true},
		{"repetition multiplies", strings.Repeat("{x}", 200), strings.Repeat("a", 101), true},
		{"repetition under cap", strings.Repeat("{x}", 200), strings.Repeat("a", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := RenderText(tt.body, vars, map[string]string{"x": tt.value})
			if tt.wantErr {
				if !errors.Is(err, ErrTooLong) {
					t.Fatalf("error = %v, want ErrTooLong", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if len(got) > MaxRenderedBytes {
				t.Errorf("len = %d, over cap", len(got))
			}
		})
	}
}

func validTemplate() Template {
	return Template{
		Slug:     "ad-test-en",
		Category: CategoryAd,
		Lang:     LangEn,
		Title:    "Test",
		Body:     "A {subject} in {place}.",
		Variables: []Variable{
			{Name: "subject", Label: "Subject", Example: "cat"},
			{Name: "place", Label: "Place", Default: "Paris", Example: "Rome"},
		},
		Tags: []string{"test"},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Template)
		field  string
		syntax bool
	}{
		{"valid", func(*Template) {}, "", false},
		{"missing slug", func(t *Template) { t.Slug = "" }, "slug", false},
		{"bad slug", func(t *Template) { t.Slug = "Ad_Test" }, "slug", false},
		{"double hyphen slug", func(t *Template) { t.Slug = "ad--x" }, "slug", false},
		{"trailing hyphen slug", func(t *Template) { t.Slug = "ad-" }, "slug", false},
		{"bad category", func(t *Template) { t.Category = "music" }, "category", false},
		{"bad lang", func(t *Template) { t.Lang = "zh" }, "lang", false},
		{"blank title", func(t *Template) { t.Title = "  " }, "title", false},
		{"long title", func(t *Template) { t.Title = strings.Repeat("标", 121) }, "title", false},
		{"empty body", func(t *Template) { t.Body = "" }, "body", false},
		{"syntax", func(t *Template) { t.Body += " {" }, "body", true},
		{"full-width brace", func(t *Template) { t.Body += "｛place｝" }, "body", false},
		{"undeclared", func(t *Template) { t.Body += " {mood}" }, "body", false},
		{"unused variable", func(t *Template) {
			t.Variables = append(t.Variables, Variable{Name: "mood", Label: "Mood"})
		}, "variables[2].name", false},
		{"invalid name", func(t *Template) {
			t.Variables[0].Name = "Subject"
		}, "variables[0].name", false},
		{"duplicate name", func(t *Template) {
			t.Variables[1].Name = "subject"
		}, "variables[1].name", false},
		{"missing label", func(t *Template) {
			t.Variables[1].Label = ""
		}, "variables[1].label", false},
		{"braces in negative", func(t *Template) {
			t.NegativePrompt = "no {text}"
		}, "negative_prompt", false},
		{"empty tag", func(t *Template) { t.Tags = []string{""} }, "tags[0]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl := validTemplate()
			tt.mutate(&tmpl)
			err := tmpl.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				t.Fatalf("Validate() = %v, want *ValidationError", err)
			}
			if ve.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", ve.Field, tt.field, err)
			}
			if got := errors.Is(err, ErrSyntax); got != tt.syntax {
				t.Errorf("errors.Is(err, ErrSyntax) = %v, want %v", got, tt.syntax)
			}
		})
	}
}

func TestTemplateRenderIgnoresNegativePrompt(t *testing.T) {
	t.Parallel()
	tmpl := validTemplate()
	tmpl.NegativePrompt = "blurry, text"
	got, err := tmpl.Render(map[string]string{"subject": "cat"})
	if err != nil {
		t.Fatalf("Render error = %v", err)
	}
	if want := "A cat in Paris."; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}
