package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// openAPIChecker validates request/response exchanges of the package's tests
// against openapi.yaml, so that the document and the handlers cannot drift
// apart silently.
//
// openapi.yaml is an OpenAPI 3.1 document. kin-openapi notices the version
// itself: doc.Validate checks schemas as JSON Schema 2020-12 (type arrays
// such as [integer, "null"] are valid there, `nullable` is not), and
// openapi3filter adds openapi3.EnableJSONSchema2020() to every schema
// validation of a 3.1 document. Both are asserted by
// TestOpenAPICheckerValidatesJSONSchema2020 rather than trusted.
type openAPIChecker struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	oasCheckerOnce sync.Once
	oasChecker     *openAPIChecker
	oasCheckerErr  error
)

// oasLoad parses and validates an OpenAPI document.
func oasLoad(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("loading openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi.yaml declares openapi %q, want 3.1.x", doc.OpenAPI)
	}
	// Validate picks JSON Schema 2020-12 rules by itself for a 3.1 document;
	// the option is passed anyway so that this does not depend on it.
	if err := doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(),
		openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validating openapi.yaml: %w", err)
	}
	return doc, nil
}

// newOpenAPIChecker loads openapi.yaml once (sync.Once), validates the
// document itself, and builds a router.
func newOpenAPIChecker(t testing.TB) *openAPIChecker {
	t.Helper()
	oasCheckerOnce.Do(func() {
		doc, err := oasLoad(OpenAPIDocument())
		if err != nil {
			oasCheckerErr = err
			return
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			oasCheckerErr = fmt.Errorf("building the openapi router: %w", err)
			return
		}
		oasChecker = &openAPIChecker{doc: doc, router: router}
	})
	if oasCheckerErr != nil {
		t.Fatalf("openapi: %v", oasCheckerErr)
	}
	return oasChecker
}

func (c *openAPIChecker) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		// Authentication is the handlers' business and is tested as such;
		// the document only says which schemes a route takes.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// A status the document does not list for the operation fails.
		IncludeResponseStatus: true,
		// A body sent to a route that takes none fails.
		RejectWhenRequestBodyNotSpecified: true,
		// Defaults are not written into the request under test.
		SkipSettingDefaults: true,
		MultiError:          true,
	}
}

// check validates one exchange: the route must exist in the document, the
// request (params and body) must be valid unless the test marks it as
// deliberately bad (the caller passes badRequest=true for hostile-input
// tests; then only the response is checked), and the response status must be
// documented for that operation and its body valid against the schema
// (including problem+json bodies). Extra properties fail wherever the
// document says additionalProperties: false, which is every response object.
func (c *openAPIChecker) check(t testing.TB, req *http.Request, reqBody []byte,
	resp *http.Response, respBody []byte, badRequest bool) {
	t.Helper()
	if c == nil {
		c = newOpenAPIChecker(t)
	}
	what := req.Method + " " + req.URL.RequestURI()
	if resp == nil {
		t.Errorf("openapi: %s: no response to check", what)
		return
	}
	what = fmt.Sprintf("%s -> %d", what, resp.StatusCode)

	r := oasCloneRequest(req, reqBody, badRequest)
	route, pathParams, err := c.router.FindRoute(r)
	if err != nil {
		if badRequest {
			// A hostile request may aim at a route that does not exist; the
			// answer must still be a problem (or the mux's 405 outside /api).
			c.checkUndocumented(t, what, resp, respBody)
			return
		}
		t.Errorf("openapi: %s: the operation is not in openapi.yaml: %v", what, err)
		return
	}

	opts := c.options()
	reqInput := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options:    opts,
	}
	ctx := context.Background()
	if !badRequest {
		if err := openapi3filter.ValidateRequest(ctx, reqInput); err != nil {
			t.Errorf("openapi: %s: the request does not match openapi.yaml "+
				"(pass badRequest=true if it is meant to be invalid): %v", what, oasErrText(err))
		}
	}

	if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                opts,
	}); err != nil {
		t.Errorf("openapi: %s: the response does not match openapi.yaml: %v\nbody: %s",
			what, oasErrText(err), oasTruncate(respBody))
		return
	}

	// kin-openapi skips the body of a response documented without content;
	// such a response (204, or one with headers only) must then be empty.
	if rr := route.Operation.Responses.Status(resp.StatusCode); rr != nil && rr.Value != nil &&
		len(rr.Value.Content) == 0 && len(bytes.TrimSpace(respBody)) != 0 {
		t.Errorf("openapi: %s: openapi.yaml documents no body, got %s", what, oasTruncate(respBody))
	}
}

// checkUndocumented checks the answer to a request for no documented
// operation: a problem+json body valid against Problem.
func (c *openAPIChecker) checkUndocumented(t testing.TB, what string, resp *http.Response,
	respBody []byte) {
	t.Helper()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode == http.StatusMethodNotAllowed && mt != "application/problem+json" {
		return // net/http's own answer for a known path outside /api
	}
	if mt != "application/problem+json" {
		t.Errorf("openapi: %s: an undocumented route answered %q, want application/problem+json",
			what, resp.Header.Get("Content-Type"))
		return
	}
	value, err := oasDecodeJSON(respBody)
	if err != nil {
		t.Errorf("openapi: %s: the problem body is not JSON: %v", what, err)
		return
	}
	schema := c.doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(value, openapi3.EnableJSONSchema2020(),
		openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		t.Errorf("openapi: %s: the problem does not match Problem: %v\nbody: %s",
			what, err, oasTruncate(respBody))
	}
}

// oasCloneRequest copies req with reqBody as its body, in the shape
// openapi3filter and the router expect, whether the test built a client
// request (absolute URL) or a server request (httptest.NewRequest).
func oasCloneRequest(req *http.Request, reqBody []byte, badRequest bool) *http.Request {
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	r.ContentLength = int64(len(reqBody))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	r.RequestURI = ""
	// The server reads a body without Content-Type as JSON (decode.go); the
	// document says so, and openapi3filter needs the type to pick a schema.
	if len(reqBody) > 0 && r.Header.Get("Content-Type") == "" && !badRequest {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func oasDecodeJSON(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

// oasErrText flattens kin-openapi's (multi) errors into readable lines.
func oasErrText(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		lines := make([]string, 0, len(me))
		for _, e := range me {
			lines = append(lines, "\n  - "+oasErrText(e))
		}
		return strings.Join(lines, "")
	}
	return err.Error()
}

func oasTruncate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "...(truncated)"
	}
	return string(b)
}

// oasRoutePattern matches the "METHOD /path" patterns of routes.go.
var oasRoutePattern = regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^"\s]*)"`)

// oasRoutes reads the route table of routes.go as "METHOD /path" strings.
func oasRoutes(t testing.TB) []string {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatalf("reading routes.go: %v", err)
	}
	var out []string
	for _, m := range oasRoutePattern.FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1]+" "+m[2])
	}
	if len(out) < 10 {
		t.Fatalf("found only %d routes in routes.go; has the table's shape changed?", len(out))
	}
	return out
}

// TestOpenAPIDocumentCoversRoutes asserts that routes.go and openapi.yaml
// list the same operations, with the same path parameter names.
func TestOpenAPIDocumentCoversRoutes(t *testing.T) {
	c := newOpenAPIChecker(t)
	inCode := map[string]bool{}
	for _, rt := range oasRoutes(t) {
		if inCode[rt] {
			t.Errorf("routes.go lists %s twice", rt)
		}
		inCode[rt] = true
	}
	inDoc := map[string]bool{}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			inDoc[key] = true
			if op.OperationID == "" {
				t.Errorf("openapi.yaml: %s has no operationId", key)
			}
			// Every {name} of the path is a documented path parameter and
			// every documented path parameter is in the path.
			want := oasPathParams(path)
			var got []string
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					got = append(got, p.Value.Name)
				}
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(want, got) {
				t.Errorf("openapi.yaml: %s documents path parameters %v, the path has %v",
					key, got, want)
			}
			// Every operation documents its success and its failures.
			if op.Responses == nil || op.Responses.Len() == 0 {
				t.Errorf("openapi.yaml: %s documents no responses", key)
				continue
			}
			if op.Responses.Default() != nil {
				t.Errorf("openapi.yaml: %s has a default response; list statuses instead", key)
			}
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public
			}
			if op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("openapi.yaml: %s needs authentication but documents no 401", key)
			}
		}
	}
	for _, rt := range slices.Sorted(maps.Keys(inCode)) {
		if !inDoc[rt] {
			t.Errorf("routes.go serves %s, openapi.yaml does not document it", rt)
		}
	}
	for _, op := range slices.Sorted(maps.Keys(inDoc)) {
		if !inCode[op] {
			t.Errorf("openapi.yaml documents %s, routes.go does not serve it", op)
		}
	}
}

var oasPathParam = regexp.MustCompile(`\{([^}]+)\}`)

func oasPathParams(path string) []string {
	var out []string
	for _, m := range oasPathParam.FindAllStringSubmatch(path, -1) {
		out = append(out, strings.TrimSuffix(m[1], "..."))
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIServedDocumentParses asserts that the document the server
// serves at /api/openapi.yaml loads and validates as OpenAPI 3.1.
func TestOpenAPIServedDocumentParses(t *testing.T) {
	doc, err := oasLoad(OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info == nil || !strings.Contains(doc.Info.Description, "404") {
		t.Error("info.description should explain auth, roles and the 404 rule")
	}
	for _, name := range []string{"bearerAuth", "apiKeyAuth"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("securitySchemes lacks %s", name)
		}
	}
	for _, name := range []string{"User", "Organization", "Member", "Project", "Prompt",
		"Template", "Variable", "Version", "Change", "AuditEntry", "APIKey", "APIKeyCreated",
		"TokenResponse", "Problem", "FieldError"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("components.schemas lacks %s", name)
		}
	}
	if !bytes.Equal(OpenAPIDocument(), openAPIDoc) {
		t.Error("OpenAPIDocument() is not the embedded openapi.yaml")
	}
}

// TestOpenAPICheckerValidatesJSONSchema2020 pins down how kin-openapi
// validates this 3.1 document, so that an upgrade that stops honouring type
// arrays, additionalProperties: false or date-time formats is noticed here
// instead of silently weakening every other test's check.
func TestOpenAPICheckerValidatesJSONSchema2020(t *testing.T) {
	c := newOpenAPIChecker(t)
	org := func(mut func(map[string]any)) map[string]any {
		m := map[string]any{
			"id": "o1", "name": "Acme", "slug": "acme", "personal": false, "owner_id": "u1",
			"monthly_budget_cents": nil, "settings": map[string]any{},
			"created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-01-02T03:04:05.123456Z",
			"role": "owner",
		}
		if mut != nil {
			mut(m)
		}
		return m
	}
	schema := c.doc.Components.Schemas["Organization"].Value
	visit := func(v any) error {
		return schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse())
	}
	valid := []map[string]any{
		org(nil),
		org(func(m map[string]any) { m["monthly_budget_cents"] = float64(5000) }),
		org(func(m map[string]any) { delete(m, "role") }),
	}
	for i, v := range valid {
		if err := visit(v); err != nil {
			t.Errorf("valid organization %d refused: %v", i, err)
		}
	}
	invalid := map[string]map[string]any{
		"string budget":    org(func(m map[string]any) { m["monthly_budget_cents"] = "5000" }),
		"negative budget":  org(func(m map[string]any) { m["monthly_budget_cents"] = float64(-1) }),
		"fractional":       org(func(m map[string]any) { m["monthly_budget_cents"] = 1.5 }),
		"extra property":   org(func(m map[string]any) { m["secret"] = "x" }),
		"missing required": org(func(m map[string]any) { delete(m, "slug") }),
		"null name":        org(func(m map[string]any) { m["name"] = nil }),
		"bad date-time":    org(func(m map[string]any) { m["created_at"] = "yesterday" }),
		"unknown role":     org(func(m map[string]any) { m["role"] = "god" }),
		"settings array":   org(func(m map[string]any) { m["settings"] = []any{} }),
	}
	for name, v := range invalid {
		if err := visit(v); err == nil {
			t.Errorf("%s: accepted, want refused", name)
		}
	}

	// The filter path the checker uses: a problem body with an extra field,
	// or one whose status disagrees with the response, fails.
	req, _ := http.NewRequest(http.MethodGet, "http://reelforge.test/api/v1/organizations/o1", nil)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("FindRoute: %v", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: c.options()}
	respond := func(status int, ct, body string) error {
		return openapi3filter.ValidateResponse(context.Background(),
			&openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
				Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(strings.NewReader(body)),
				Options: c.options()})
	}
	notFound := `{"type":"https://reelforge.dev/problems/not_found","title":"Not Found",` +
		`"status":404,"detail":"organization not found","code":"not_found"}`
	if err := respond(404, "application/problem+json", notFound); err != nil {
		t.Errorf("valid 404 problem refused: %v", err)
	}
	if err := respond(404, "application/problem+json",
		strings.Replace(notFound, `"code"`, `"extra":1,"code"`, 1)); err == nil {
		t.Error("a problem with an extra property was accepted")
	}
	if err := respond(404, "application/problem+json",
		strings.Replace(notFound, `"status":404`, `"status":403`, 1)); err == nil {
		t.Error("a 404 carrying status 403 was accepted")
	}
	if err := respond(418, "application/problem+json", notFound); err == nil {
		t.Error("an undocumented status was accepted")
	}
	if err := respond(200, "application/json", `{"id":"o1"}`); err == nil {
		t.Error("an incomplete organization was accepted")
	}
}
