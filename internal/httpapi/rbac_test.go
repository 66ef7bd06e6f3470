package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db/dbtest"
)

// rbacPeople are the users every fixture shares: the team's members at each
// role, a member to act upon, a user of another organization, and a user who
// is only a project member.
type rbacPeople struct {
	owner, admin, editor, viewer, target, outsider, projectEditor *testUser
}

// rbacFixture is one team organization with one of everything in it.
type rbacFixture struct {
	org, project, prompt, version, template, apiKey, job, account string
	keys                                                          map[auth.Role]string
	// asset is an uploaded image of the project.
	asset string
	// storyboard is a storyboard of the project; storyboardJob a render
	// of it and shotTask that job's first shot task (still queued: the
	// RBAC test runs no workers).
	storyboard, storyboardJob, shotTask string
}

// rbacScript is the tiny script of the fixture's storyboard.
const rbacScript = `场景一：海边 外 日
镜头1 特写 2秒
林晓望着灯塔。
林晓：天亮了。
`

func newRBACFixture(t *testing.T, b *testBundle, p *rbacPeople) *rbacFixture {
	t.Helper()
	fx := &rbacFixture{keys: map[auth.Role]string{}}
	fx.org = b.org(t, p.owner, map[*testUser]string{p.admin: "admin", p.editor: "editor",
		p.viewer: "viewer", p.target: "viewer"})
	fx.project = b.project(t, p.owner.Token, fx.org)
	b.call(t, "POST", "/api/v1/projects/"+fx.project+"/members", p.owner.Token,
		map[string]string{"email": p.projectEditor.Email, "role": "editor"}).
		want(t, http.StatusCreated)
	fx.prompt = b.call(t, "POST", "/api/v1/prompts", p.owner.Token, map[string]any{
		"project_id": fx.project, "title": "Opening", "body": "A lighthouse at dawn"}).
		want(t, http.StatusCreated).str(t, "id")
	// The storyboard is made before the version, so that restoring the
	// version keeps it.
	fx.storyboard = b.call(t, "POST", "/api/v1/storyboards", p.owner.Token, map[string]any{
		"project_id": fx.project, "script": rbacScript}).want(t, http.StatusCreated).str(t, "id")
	fx.version = b.call(t, "POST", "/api/v1/projects/"+fx.project+"/versions", p.owner.Token,
		map[string]string{"name": "v1"}).want(t, http.StatusCreated).str(t, "id")
	fx.asset = b.upload(t, p.owner.Token, fx.project, "still.png", rbacPNG(t)).
		want(t, http.StatusCreated).str(t, "id")
	fx.template = b.call(t, "POST", "/api/v1/templates", p.owner.Token, customTemplate(fx.org)).
		want(t, http.StatusCreated).str(t, "id")
	fx.account = b.call(t, "POST", "/api/v1/organizations/"+fx.org+"/provider-accounts",
		p.owner.Token, map[string]string{"provider": "sim", "name": "main", "secret": "s"}).
		want(t, http.StatusCreated).str(t, "id")
	fx.job = b.call(t, "POST", "/api/v1/jobs", p.owner.Token, map[string]any{
		"project_id": fx.project, "prompt": "a lighthouse " + dbtest.RandomHex(4),
		"providers": []string{"sim"}, "duration": 1}).want(t, http.StatusAccepted).str(t, "id")
	fx.storyboardJob = b.call(t, "POST", "/api/v1/storyboards/"+fx.storyboard+"/render",
		p.owner.Token, nil).want(t, http.StatusAccepted).str(t, "id")
	for _, task := range b.call(t, "GET", "/api/v1/jobs/"+fx.storyboardJob+"/tasks",
		p.owner.Token, nil).want(t, http.StatusOK).items(t) {
		if task["kind"] == "generate" && fx.shotTask == "" {
			fx.shotTask, _ = task["id"].(string)
		}
	}
	if fx.shotTask == "" {
		t.Fatalf("the storyboard job %s has no shot task", fx.storyboardJob)
	}
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleEditor, auth.RoleViewer} {
		res := b.call(t, "POST", "/api/v1/organizations/"+fx.org+"/api-keys", p.owner.Token,
			map[string]string{"name": "ci " + string(role), "role": string(role)}).
			want(t, http.StatusCreated)
		fx.keys[role] = res.str(t, "key")
		fx.apiKey = res.str(t, "id")
	}
	return fx
}

func customTemplate(orgID string) map[string]any {
	return map[string]any{
		"org_id": orgID, "slug": "custom-" + dbtest.RandomHex(4), "category": "ad",
		"lang": "en", "title": "Custom", "description": "A team template",
		"body": "{product} on a {surface}",
		"variables": []map[string]string{
			{"name": "product", "label": "Product", "example": "a watch"},
			{"name": "surface", "label": "Surface", "example": "marble", "default": "table"},
		},
	}
}

// principalCase is who calls: a person with org and project roles, or an
// API key of the team organization.
type principalCase struct {
	name        string
	orgRole     auth.Role // "" when not a member of the team organization
	projectRole auth.Role
	isKey       bool
	token       func(p *rbacPeople, fx *rbacFixture) string
}

func principalCases() []principalCase {
	person := func(name string, role auth.Role, pick func(*rbacPeople) *testUser) principalCase {
		return principalCase{name: name, orgRole: role, projectRole: role,
			token: func(p *rbacPeople, _ *rbacFixture) string { return pick(p).Token }}
	}
	key := func(role auth.Role) principalCase {
		return principalCase{name: "key_" + string(role), orgRole: role, projectRole: role,
			isKey: true,
			token: func(_ *rbacPeople, fx *rbacFixture) string { return fx.keys[role] }}
	}
	return []principalCase{
		person("owner", auth.RoleOwner, func(p *rbacPeople) *testUser { return p.owner }),
		person("admin", auth.RoleAdmin, func(p *rbacPeople) *testUser { return p.admin }),
		person("editor", auth.RoleEditor, func(p *rbacPeople) *testUser { return p.editor }),
		person("viewer", auth.RoleViewer, func(p *rbacPeople) *testUser { return p.viewer }),
		person("outsider", "", func(p *rbacPeople) *testUser { return p.outsider }),
		{name: "project_editor", projectRole: auth.RoleEditor,
			token: func(p *rbacPeople, _ *rbacFixture) string { return p.projectEditor.Token }},
		key(auth.RoleAdmin), key(auth.RoleEditor), key(auth.RoleViewer),
	}
}

type scope int

const (
	scopeGlobal  scope = iota // any signed-in principal
	scopeOrg                  // the team organization
	scopeProject              // the team's project
)

// routeCase is one route with the least role it needs and its success status.
type routeCase struct {
	method, path string
	scope        scope
	min          auth.Role
	ok           int
	userOnly     bool // API keys are refused
	destructive  bool // needs a fresh fixture per principal
	url          func(fx *rbacFixture, p *rbacPeople) string
	body         func(t *testing.T, b *testBundle, fx *rbacFixture, p *rbacPeople) any
	// form, when set, sends a multipart body (with its content type)
	// instead of JSON.
	form func(t *testing.T, fx *rbacFixture) ([]byte, string)
}

func routeCases() []routeCase {
	org := func(s string) func(*rbacFixture, *rbacPeople) string {
		return func(fx *rbacFixture, _ *rbacPeople) string {
			return fmt.Sprintf("/api/v1/organizations/%s%s", fx.org, s)
		}
	}
	proj := func(s string) func(*rbacFixture, *rbacPeople) string {
		return func(fx *rbacFixture, _ *rbacPeople) string {
			return fmt.Sprintf("/api/v1/projects/%s%s", fx.project, s)
		}
	}
	fixed := func(s string) func(*rbacFixture, *rbacPeople) string {
		return func(*rbacFixture, *rbacPeople) string { return s }
	}
	newcomer := func(t *testing.T, b *testBundle, _ *rbacFixture, _ *rbacPeople) any {
		return map[string]string{"email": b.user(t).Email, "role": "viewer"}
	}
	body := func(v any) func(*testing.T, *testBundle, *rbacFixture, *rbacPeople) any {
		return func(*testing.T, *testBundle, *rbacFixture, *rbacPeople) any { return v }
	}
	V, E, A, O := auth.RoleViewer, auth.RoleEditor, auth.RoleAdmin, auth.RoleOwner
	return []routeCase{
		{method: "GET", path: "users/me", scope: scopeGlobal, ok: 200, url: fixed("/api/v1/users/me")},
		{method: "PATCH", path: "users/me", scope: scopeGlobal, ok: 200, userOnly: true,
			url: fixed("/api/v1/users/me"), body: body(map[string]string{"name": "Renamed"})},
		{method: "GET", path: "organizations", scope: scopeGlobal, ok: 200,
			url: fixed("/api/v1/organizations")},
		{method: "POST", path: "organizations", scope: scopeGlobal, ok: 201, userOnly: true,
			url: fixed("/api/v1/organizations"), body: body(map[string]string{"name": "Side"})},
		{method: "GET", path: "projects", scope: scopeGlobal, ok: 200, url: fixed("/api/v1/projects")},
		{method: "GET", path: "templates", scope: scopeGlobal, ok: 200,
			url: fixed("/api/v1/templates?category=ad")},
		{method: "GET", path: "templates/{builtin}", scope: scopeGlobal, ok: 200,
			url: fixed("/api/v1/templates/" + builtinTemplates()[0].ID)},

		{method: "GET", path: "organizations/{org_id}", scope: scopeOrg, min: V, ok: 200, url: org("")},
		{method: "PATCH", path: "organizations/{org_id}", scope: scopeOrg, min: A, ok: 200,
			url: org(""), body: body(map[string]any{"monthly_budget_cents": 5000})},
		{method: "DELETE", path: "organizations/{org_id}", scope: scopeOrg, min: O, ok: 204,
			destructive: true, url: org("")},
		{method: "POST", path: "organizations/{org_id}/transfer", scope: scopeOrg, min: O, ok: 200,
			destructive: true, url: org("/transfer"),
			body: func(_ *testing.T, _ *testBundle, _ *rbacFixture, p *rbacPeople) any {
				return map[string]string{"user_id": p.admin.ID}
			}},
		{method: "GET", path: "organizations/{org_id}/members", scope: scopeOrg, min: V, ok: 200,
			url: org("/members")},
		{method: "POST", path: "organizations/{org_id}/members", scope: scopeOrg, min: A, ok: 201,
			url: org("/members"), body: newcomer},
		{method: "PATCH", path: "organizations/{org_id}/members/{user_id}", scope: scopeOrg, min: A,
			ok: 200, destructive: true,
			url: func(fx *rbacFixture, p *rbacPeople) string {
				return "/api/v1/organizations/" + fx.org + "/members/" + p.target.ID
			}, body: body(map[string]string{"role": "editor"})},
		{method: "DELETE", path: "organizations/{org_id}/members/{user_id}", scope: scopeOrg,
			min: A, ok: 204, destructive: true,
			url: func(fx *rbacFixture, p *rbacPeople) string {
				return "/api/v1/organizations/" + fx.org + "/members/" + p.target.ID
			}},
		{method: "GET", path: "organizations/{org_id}/api-keys", scope: scopeOrg, min: A, ok: 200,
			url: org("/api-keys")},
		{method: "POST", path: "organizations/{org_id}/api-keys", scope: scopeOrg, min: A, ok: 201,
			url: org("/api-keys"), body: body(map[string]string{"name": "new", "role": "viewer"})},
		{method: "DELETE", path: "organizations/{org_id}/api-keys/{key_id}", scope: scopeOrg,
			min: A, ok: 204, destructive: true,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/organizations/" + fx.org + "/api-keys/" + fx.apiKey
			}},
		{method: "GET", path: "organizations/{org_id}/provider-accounts", scope: scopeOrg,
			min: A, ok: 200, url: org("/provider-accounts")},
		{method: "POST", path: "organizations/{org_id}/provider-accounts", scope: scopeOrg,
			min: A, ok: 201, url: org("/provider-accounts"),
			body: func(_ *testing.T, _ *testBundle, _ *rbacFixture, _ *rbacPeople) any {
				return map[string]string{"provider": "sim", "name": "k " + dbtest.RandomHex(4),
					"secret": "sim-secret"}
			}},
		{method: "DELETE", path: "organizations/{org_id}/provider-accounts/{account_id}",
			scope: scopeOrg, min: A, ok: 204, destructive: true,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/organizations/" + fx.org + "/provider-accounts/" + fx.account
			}},
		{method: "GET", path: "providers?org_id", scope: scopeOrg, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/providers?org_id=" + fx.org }},
		{method: "GET", path: "audit", scope: scopeOrg, min: A, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/audit?org_id=" + fx.org }},
		{method: "GET", path: "templates?org_id", scope: scopeOrg, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/templates?org_id=" + fx.org }},
		{method: "POST", path: "templates", scope: scopeOrg, min: E, ok: 201,
			url: fixed("/api/v1/templates"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return customTemplate(fx.org)
			}},
		{method: "GET", path: "templates/{template_id}", scope: scopeOrg, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/templates/" + fx.template }},
		{method: "POST", path: "templates/{template_id}/render", scope: scopeOrg, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/templates/" + fx.template + "/render"
			}, body: body(map[string]any{"variables": map[string]string{"product": "a pen"}})},
		{method: "DELETE", path: "templates/{template_id}", scope: scopeOrg, min: E, ok: 204,
			destructive: true,
			url:         func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/templates/" + fx.template }},

		{method: "POST", path: "projects", scope: scopeOrg, min: E, ok: 201,
			url: fixed("/api/v1/projects"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]string{"org_id": fx.org, "name": "P " + dbtest.RandomHex(4)}
			}},
		{method: "GET", path: "projects/{project_id}", scope: scopeProject, min: V, ok: 200, url: proj("")},
		{method: "PATCH", path: "projects/{project_id}", scope: scopeProject, min: A, ok: 200,
			url: proj(""), body: body(map[string]string{"description": "Spring campaign"})},
		{method: "DELETE", path: "projects/{project_id}", scope: scopeProject, min: O, ok: 204,
			destructive: true, url: proj("")},
		{method: "GET", path: "projects/{project_id}/members", scope: scopeProject, min: V, ok: 200,
			url: proj("/members")},
		{method: "POST", path: "projects/{project_id}/members", scope: scopeProject, min: A, ok: 201,
			url: proj("/members"), body: newcomer},
		{method: "PATCH", path: "projects/{project_id}/members/{user_id}", scope: scopeProject,
			min: A, ok: 200, destructive: true,
			url: func(fx *rbacFixture, p *rbacPeople) string {
				return "/api/v1/projects/" + fx.project + "/members/" + p.projectEditor.ID
			}, body: body(map[string]string{"role": "viewer"})},
		{method: "DELETE", path: "projects/{project_id}/members/{user_id}", scope: scopeProject,
			min: A, ok: 204, destructive: true,
			url: func(fx *rbacFixture, p *rbacPeople) string {
				return "/api/v1/projects/" + fx.project + "/members/" + p.projectEditor.ID
			}},
		{method: "GET", path: "projects/{project_id}/versions", scope: scopeProject, min: V, ok: 200,
			url: proj("/versions")},
		{method: "POST", path: "projects/{project_id}/versions", scope: scopeProject, min: E, ok: 201,
			url: proj("/versions"), body: body(map[string]string{"name": "draft"})},
		{method: "GET", path: "projects/{project_id}/versions/{version_id}", scope: scopeProject,
			min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/projects/" + fx.project + "/versions/" + fx.version
			}},
		{method: "POST", path: "projects/{project_id}/versions/{version_id}/restore",
			scope: scopeProject, min: E, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/projects/" + fx.project + "/versions/" + fx.version + "/restore"
			}},
		{method: "GET", path: "projects/{project_id}/changes", scope: scopeProject, min: V, ok: 200,
			url: proj("/changes")},
		{method: "GET", path: "assets?project_id", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/assets?project_id=" + fx.project
			}},
		{method: "POST", path: "assets", scope: scopeProject, min: E, ok: 201,
			url: fixed("/api/v1/assets"),
			form: func(t *testing.T, fx *rbacFixture) ([]byte, string) {
				return multipartUpload(t, fx.project, "frame.png", rbacPNG(t))
			}},
		{method: "GET", path: "assets/{asset_id}", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/assets/" + fx.asset }},
		{method: "DELETE", path: "assets/{asset_id}", scope: scopeProject, min: E, ok: 204,
			destructive: true,
			url:         func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/assets/" + fx.asset }},
		{method: "POST", path: "exports", scope: scopeProject, min: E, ok: 201,
			url: fixed("/api/v1/exports"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]any{"project_id": fx.project, "asset_ids": []string{fx.asset}}
			}},
		{method: "GET", path: "jobs", scope: scopeGlobal, ok: 200, url: fixed("/api/v1/jobs")},
		{method: "POST", path: "jobs", scope: scopeProject, min: E, ok: 202,
			url: fixed("/api/v1/jobs"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]any{"project_id": fx.project, "providers": []string{"sim"},
					"prompt": "a harbour " + dbtest.RandomHex(4), "duration": 1}
			}},
		{method: "GET", path: "jobs/{job_id}", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/jobs/" + fx.job }},
		{method: "GET", path: "jobs/{job_id}/tasks", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/jobs/" + fx.job + "/tasks"
			}},
		{method: "GET", path: "jobs/{job_id}/events", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/jobs/" + fx.job + "/events"
			}},
		{method: "POST", path: "jobs/{job_id}/cancel", scope: scopeProject, min: E, ok: 200,
			destructive: true,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/jobs/" + fx.job + "/cancel"
			}},
		// Retrying a job without failed tasks is a conflict: being let in
		// shows as 409, being kept out as 403 or 404.
		{method: "POST", path: "jobs/{job_id}/retry", scope: scopeProject, min: E, ok: 409,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/jobs/" + fx.job + "/retry"
			}},
		// Regenerating a shot that is not final is a conflict (the RBAC
		// test runs no workers, so the shot stays queued): being let in
		// shows as 409, being kept out as 403 or 404.
		{method: "POST", path: "jobs/{job_id}/tasks/{task_id}/regenerate", scope: scopeProject,
			min: E, ok: 409,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/jobs/" + fx.storyboardJob + "/tasks/" + fx.shotTask + "/regenerate"
			}},
		{method: "GET", path: "storyboards?project_id", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/storyboards?project_id=" + fx.project
			}},
		{method: "POST", path: "storyboards", scope: scopeProject, min: E, ok: 201,
			url: fixed("/api/v1/storyboards"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]any{"project_id": fx.project, "script": rbacScript,
					"title": "Dawn", "language": "zh-CN"}
			}},
		{method: "GET", path: "storyboards/{storyboard_id}", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/storyboards/" + fx.storyboard
			}},
		// The edit is based on the storyboard as it is now, so that each
		// principal's save is on the latest version.
		{method: "PUT", path: "storyboards/{storyboard_id}", scope: scopeProject, min: E, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/storyboards/" + fx.storyboard
			},
			body: func(t *testing.T, b *testBundle, fx *rbacFixture, p *rbacPeople) any {
				cur := b.call(t, "GET", "/api/v1/storyboards/"+fx.storyboard, p.owner.Token, nil).
					want(t, http.StatusOK)
				return map[string]any{"version": cur.body["version"],
					"storyboard": cur.body["storyboard"], "title": "Dawn"}
			}},
		{method: "POST", path: "storyboards/{storyboard_id}/render", scope: scopeProject, min: E,
			ok: 202,
			url: func(fx *rbacFixture, _ *rbacPeople) string {
				return "/api/v1/storyboards/" + fx.storyboard + "/render"
			}, body: body(map[string]any{"subtitles": "soft"})},
		{method: "POST", path: "prompts/lint", scope: scopeGlobal, ok: 200,
			url:  fixed("/api/v1/prompts/lint"),
			body: body(map[string]any{"prompt": "特写，林晓望着灯塔", "blocked_words": []string{"血腥"}})},
		// With org_id the organization's blocked words are added: that
		// needs the viewer role in it.
		{method: "POST", path: "prompts/lint?org_id", scope: scopeOrg, min: V, ok: 200,
			url: fixed("/api/v1/prompts/lint"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]any{"prompt": "a lighthouse at dawn, close-up", "org_id": fx.org}
			}},
		{method: "GET", path: "prompts?project_id", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/prompts?project_id=" + fx.project }},
		{method: "POST", path: "prompts", scope: scopeProject, min: E, ok: 201,
			url: fixed("/api/v1/prompts"),
			body: func(_ *testing.T, _ *testBundle, fx *rbacFixture, _ *rbacPeople) any {
				return map[string]string{"project_id": fx.project, "title": "T", "body": "B"}
			}},
		{method: "GET", path: "prompts/{prompt_id}", scope: scopeProject, min: V, ok: 200,
			url: func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/prompts/" + fx.prompt }},
		{method: "PATCH", path: "prompts/{prompt_id}", scope: scopeProject, min: E, ok: 200,
			url:  func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/prompts/" + fx.prompt },
			body: body(map[string]string{"body": "A lighthouse at dusk"})},
		{method: "DELETE", path: "prompts/{prompt_id}", scope: scopeProject, min: E, ok: 204,
			destructive: true,
			url:         func(fx *rbacFixture, _ *rbacPeople) string { return "/api/v1/prompts/" + fx.prompt }},
	}
}

// want is the status a principal must get on a route: the success status,
// 403 for a member whose role is too small (or an API key on a user-only
// route), 404 for anyone outside the object's organization or project.
func (c routeCase) want(p principalCase) int {
	if c.userOnly && p.isKey {
		return http.StatusForbidden
	}
	role := p.orgRole
	switch c.scope {
	case scopeGlobal:
		return c.ok
	case scopeProject:
		role = p.projectRole
	}
	if role == "" {
		return http.StatusNotFound
	}
	if !role.AtLeast(c.min) {
		return http.StatusForbidden
	}
	return c.ok
}

// TestEveryRouteWithEveryRole walks every authenticated route with every
// role, an API key of each role, a project-only member and a user of
// another organization, and checks who is let in.
func TestEveryRouteWithEveryRole(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{noWorkers: true}).testBundle
		p := &rbacPeople{owner: b.user(t), admin: b.user(t), editor: b.user(t),
			viewer: b.user(t), target: b.user(t), outsider: b.user(t), projectEditor: b.user(t)}
		shared := newRBACFixture(t, b, p)
		for _, rc := range routeCases() {
			for _, pc := range principalCases() {
				fx := shared
				if rc.destructive {
					fx = newRBACFixture(t, b, p)
				}
				var body any
				if rc.body != nil {
					body = rc.body(t, b, fx, p)
				}
				var res *result
				if rc.form != nil {
					raw, ct := rc.form(t, fx)
					res = b.do(t, rc.method, rc.url(fx, p), pc.token(p, fx), raw,
						map[string]string{"Content-Type": ct}, false)
				} else {
					res = b.call(t, rc.method, rc.url(fx, p), pc.token(p, fx), body)
				}
				if want := rc.want(pc); res.status != want {
					t.Errorf("%s %s as %s: status %d, want %d: %s",
						rc.method, rc.path, pc.name, res.status, want, res.raw)
				}
			}
		}
		// Without credentials every one of them is 401.
		for _, rc := range routeCases() {
			res := b.do(t, rc.method, rc.url(shared, p), "", nil, nil, true)
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s anonymous: status %d, want 401", rc.method, rc.path, res.status)
			}
		}
	})
}

// The route table in this test must cover every authenticated route.
func TestRBACCoversEveryRoute(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, rc := range routeCases() {
		path, _, _ := strings.Cut(rc.path, "?")
		covered[rc.method+" "+path] = true
	}
	for _, pattern := range routePatterns(t) {
		if !pattern.authed {
			continue
		}
		key := pattern.method + " " + pattern.rbacPath
		if !covered[key] {
			t.Errorf("route %s %s has no RBAC case (%q)", pattern.method, pattern.path, key)
		}
	}
}

type routePattern struct {
	method, path, rbacPath string
	authed                 bool
}

// routePatterns lists the route table's patterns.
func routePatterns(t *testing.T) []routePattern {
	t.Helper()
	var out []routePattern
	for _, rt := range (&Server{}).routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			t.Fatalf("route %q has no method", rt.pattern)
		}
		out = append(out, routePattern{method: method, path: path, authed: rt.authed,
			rbacPath: strings.TrimPrefix(path, "/api/v1/")})
	}
	return out
}
