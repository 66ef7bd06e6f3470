package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBadInputGetsAProblemThatNamesTheField(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect, setupOpts{maxBody: 4096})
		u := b.user(t)
		org := `"org_id":"` + u.PersonalOrg + `"`
		cases := []struct {
			name, path, body string
			status           int
			code, field      string
		}{
			{"malformed", "/api/v1/projects", `{"name": "x",`, 400, "malformed_json", ""},
			{"not json", "/api/v1/projects", `name=x`, 400, "malformed_json", ""},
			{"empty", "/api/v1/projects", ``, 400, "malformed_json", ""},
			{"two values", "/api/v1/projects", `{` + org + `,"name":"a"}{}`, 400, "malformed_json", ""},
			{"unknown field", "/api/v1/projects", `{` + org + `,"name":"a","owner":"me"}`, 422,
				"validation_failed", "owner"},
			{"wrong type", "/api/v1/projects", `{` + org + `,"name":42}`, 422,
				"validation_failed", "name"},
			{"nested wrong type", "/api/v1/prompts", `{"project_id":"x","title":"t","body":"b",` +
				`"tags":"not-a-list"}`, 422, "validation_failed", "tags"},
			{"missing name", "/api/v1/projects", `{` + org + `}`, 422, "validation_failed", "name"},
			{"blank name", "/api/v1/projects", `{` + org + `,"name":"   "}`, 422,
				"validation_failed", "name"},
			{"long name", "/api/v1/projects", `{` + org + `,"name":"` + strings.Repeat("名", 201) +
				`"}`, 422, "validation_failed", "name"},
			{"settings not object", "/api/v1/projects", `{` + org + `,"name":"s","settings":[1]}`,
				422, "validation_failed", "settings"},
			{"oversize", "/api/v1/projects", `{` + org + `,"name":"` + strings.Repeat("a", 5000) +
				`"}`, 413, "body_too_large", ""},
			{"invalid email", "/api/v1/organizations/" + u.PersonalOrg + "/members",
				`{"email":"not an email","role":"viewer"}`, 422, "validation_failed", "email"},
			{"invalid role", "/api/v1/organizations/" + u.PersonalOrg + "/members",
				`{"email":"a@b.co","role":"god"}`, 422, "validation_failed", "role"},
			{"negative budget", "/api/v1/organizations", `{"name":"n","monthly_budget_cents":-1}`,
				422, "validation_failed", "monthly_budget_cents"},
		}
		for _, c := range cases {
			res := b.do(t, "POST", c.path, u.Token, []byte(c.body), nil, true)
			if res.status != c.status || res.body["code"] != c.code {
				t.Errorf("%s: %d %v, want %d %s: %s", c.name, res.status, res.body["code"],
					c.status, c.code, res.raw)
				continue
			}
			if c.field != "" && res.fieldError(c.field) == "" {
				t.Errorf("%s: no error names field %q: %s", c.name, c.field, res.raw)
			}
		}
		res := b.do(t, "POST", "/api/v1/projects", u.Token, []byte(`{}`),
			map[string]string{"Content-Type": "text/plain"}, true)
		if res.status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain body: %d, want 415", res.status)
		}
		// None of it was written.
		list := b.call(t, "GET", "/api/v1/projects", u.Token, nil).want(t, http.StatusOK)
		if list.body["total"].(float64) != 0 {
			t.Fatalf("bad requests created projects: %s", list.raw)
		}
		b.do(t, "GET", "/api/v1/nothing-here", u.Token, nil, nil, true).
			want(t, http.StatusNotFound)
	})
}

// FuzzCreateProject sends arbitrary bodies to a write route: the answer is
// always a success or a 4xx problem, never a 5xx or a crash.
func FuzzCreateProject(f *testing.F) {
	for _, seed := range []string{`{"name":"x"}`, `{"name":1}`, `{`, `[]`, `null`,
		`{"settings":{"a":[1,2,{"b":null}]}}`, `{"name":"\u0000"}`, "{\"name\":\"\xff\"}",
		`{"description":"` + strings.Repeat("长", 3000) + `"}`} {
		f.Add(seed)
	}
	b := setup(f, "sqlite")
	u := b.user(f)
	h, token, orgID := b.api.Handler(), u.Token, u.PersonalOrg
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) == nil && m != nil {
			m["org_id"] = orgID
			raw, _ := json.Marshal(m)
			body = string(raw)
		}
		req := httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/projects",
			bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("error %d without problem+json", rec.Code)
		}
	})
}
