package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db/dbtest"
	"github.com/reelforge/reelforge/internal/store"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// testBundle is one API server on a database of one dialect.
type testBundle struct {
	dialect string
	srv     *httptest.Server
	api     *Server
	store   *store.Store
	checker *openAPIChecker
}

type setupOpts struct {
	loginAttempts int
	maxBody       int64
}

func setup(t testing.TB, dialect string, opts ...setupOpts) *testBundle {
	t.Helper()
	var o setupOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	d := dbtest.Open(t, dialect)
	st := store.New(d)
	keys, err := auth.DeriveKeys([]byte(dbtest.RandomHex(32)))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{
		AccessTokenTTL:         15 * time.Minute,
		RefreshTokenTTL:        time.Hour,
		LoginAttemptsPerMinute: 1000,
		MaxBodyBytes:           1 << 20,
		PasswordCost:           4,
		TrustedProxies:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Version:                "test",
	}
	if o.loginAttempts > 0 {
		cfg.LoginAttemptsPerMinute = o.loginAttempts
	}
	if o.maxBody > 0 {
		cfg.MaxBodyBytes = o.maxBody
	}
	api := New(cfg, st, auth.NewTokens(keys.JWT, 15*time.Minute), log)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testBundle{dialect: dialect, srv: srv, api: api, store: st,
		checker: newOpenAPIChecker(t)}
}

// forEachDialect runs a test against SQLite and MariaDB.
func forEachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// testUser is a signed-in user with their personal organization.
type testUser struct {
	ID, Email, Password string
	Token, Refresh      string
	PersonalOrg         string
}

func (b *testBundle) user(t testing.TB) *testUser {
	t.Helper()
	u := &testUser{Email: "u" + dbtest.RandomHex(6) + "@example.com",
		Password: "pw-" + dbtest.RandomHex(6)}
	created, err := CreateUser(context.Background(), b.store, u.Email, "Test "+u.Email[:7],
		u.Password, 4)
	if err != nil {
		t.Fatal(err)
	}
	u.ID = created.ID
	b.login(t, u)
	orgs, err := b.store.OrganizationsOf(context.Background(), u.ID)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("personal organization: %v %v", orgs, err)
	}
	u.PersonalOrg = orgs[0].ID
	return u
}

func (b *testBundle) login(t testing.TB, u *testUser) {
	t.Helper()
	res := b.call(t, "POST", "/api/v1/auth/login", "",
		map[string]string{"email": u.Email, "password": u.Password})
	res.want(t, http.StatusOK)
	u.Token, u.Refresh = res.str(t, "access_token"), res.str(t, "refresh_token")
}

// result is a response with its decoded JSON body.
type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r *result) want(t testing.TB, status int) *result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

func (r *result) str(t testing.TB, key string) string {
	t.Helper()
	s, ok := r.body[key].(string)
	if !ok {
		t.Fatalf("response has no string %q: %s", key, r.raw)
	}
	return s
}

func (r *result) items(t testing.TB) []map[string]any {
	t.Helper()
	raw, ok := r.body["items"].([]any)
	if !ok {
		t.Fatalf("response has no items: %s", r.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

// fieldError returns the code of the problem's error for field, or "".
func (r *result) fieldError(field string) string {
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		if m["field"] == field {
			s, _ := m["code"].(string)
			return s
		}
	}
	return ""
}

// call sends a JSON request and validates the exchange against the OpenAPI
// document.
func (b *testBundle) call(t testing.TB, method, path, token string, body any) *result {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	return b.do(t, method, path, token, raw, nil, false)
}

// do sends raw bytes with extra headers; badRequest marks a request that is
// deliberately invalid, so only the response is checked against the
// document.
func (b *testBundle) do(t testing.TB, method, path, token string, raw []byte,
	hdr map[string]string, badRequest bool) *result {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respRaw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := &result{status: resp.StatusCode, header: resp.Header, raw: respRaw}
	ct := resp.Header.Get("Content-Type")
	if strings.Contains(ct, "json") && len(respRaw) > 0 {
		if err := json.Unmarshal(respRaw, &res.body); err != nil {
			t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, respRaw)
		}
	}
	if resp.StatusCode >= 400 && ct != "application/problem+json" {
		t.Fatalf("%s %s: error %d with content type %q", method, path, resp.StatusCode, ct)
	}
	b.checker.check(t, req, raw, resp, respRaw, badRequest)
	return res
}

// org creates a team organization owned by owner, with members at the
// given roles.
func (b *testBundle) org(t testing.TB, owner *testUser, members map[*testUser]string) string {
	t.Helper()
	res := b.call(t, "POST", "/api/v1/organizations", owner.Token,
		map[string]any{"name": "Team " + dbtest.RandomHex(4)}).want(t, http.StatusCreated)
	id := res.str(t, "id")
	for u, role := range members {
		b.call(t, "POST", "/api/v1/organizations/"+id+"/members", owner.Token,
			map[string]string{"email": u.Email, "role": role}).want(t, http.StatusCreated)
	}
	return id
}

func (b *testBundle) project(t testing.TB, token, orgID string) string {
	t.Helper()
	res := b.call(t, "POST", "/api/v1/projects", token,
		map[string]any{"org_id": orgID, "name": "Project " + dbtest.RandomHex(4)})
	return res.want(t, http.StatusCreated).str(t, "id")
}

var jsonMarshal = json.Marshal
