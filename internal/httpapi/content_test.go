package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestProjectListPaginatesFiltersAndSorts(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		names := []string{"Beta launch", "alpha teaser", "Gamma 100%_done", "春节广告"}
		for _, n := range names {
			b.call(t, "POST", "/api/v1/projects", u.Token,
				map[string]string{"org_id": u.PersonalOrg, "name": n}).want(t, http.StatusCreated)
		}
		page := b.call(t, "GET", "/api/v1/projects?sort=name&limit=2", u.Token, nil).
			want(t, http.StatusOK)
		items := page.items(t)
		if page.body["total"].(float64) != 4 || len(items) != 2 {
			t.Fatalf("page 1: %s", page.raw)
		}
		next := b.call(t, "GET", "/api/v1/projects?sort=name&limit=2&offset=2", u.Token, nil).
			want(t, http.StatusOK).items(t)
		seen := map[any]bool{}
		for _, it := range append(items, next...) {
			seen[it["id"]] = true
		}
		if len(seen) != 4 {
			t.Fatalf("two pages did not cover four projects exactly once: %v", seen)
		}
		for q, want := range map[string]string{"ALPHA": "alpha teaser", "100%": "Gamma 100%_done",
			"春节": "春节广告"} {
			res := b.call(t, "GET", "/api/v1/projects?q="+urlQuery(q), u.Token, nil).
				want(t, http.StatusOK).items(t)
			if len(res) != 1 || res[0]["name"] != want {
				t.Errorf("q=%s: got %v, want only %q", q, res, want)
			}
		}
		if b.call(t, "GET", "/api/v1/projects?q=_", u.Token, nil).want(t, 200).items(t)[0]["name"] !=
			"Gamma 100%_done" {
			t.Error("an underscore in q should match literally, not as a wildcard")
		}
		bad := b.do(t, "GET", "/api/v1/projects?sort=password_hash", u.Token, nil, nil, true)
		if bad.want(t, http.StatusUnprocessableEntity).fieldError("sort") == "" {
			t.Fatalf("bad sort: %s", bad.raw)
		}
		b.do(t, "GET", "/api/v1/projects?limit=1000", u.Token, nil, nil, true).
			want(t, http.StatusUnprocessableEntity)
	})
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20")
	return r.Replace(s)
}

func TestDuplicateProjectNameWritesNothing(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		body := map[string]string{"org_id": u.PersonalOrg, "name": "Summer"}
		id := b.call(t, "POST", "/api/v1/projects", u.Token, body).want(t, http.StatusCreated).
			str(t, "id")
		res := b.call(t, "POST", "/api/v1/projects", u.Token, body)
		if res.want(t, http.StatusConflict).fieldError("name") != "taken" {
			t.Fatalf("duplicate name: %s", res.raw)
		}
		var n int
		err := b.store.DB().QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM change_log c JOIN projects p ON p.id = c.project_id
			WHERE p.org_id = ?`, u.PersonalOrg).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("change log rows %d (%v), want only the first project's", n, err)
		}
		b.call(t, "GET", "/api/v1/projects/"+id, u.Token, nil).want(t, http.StatusOK)
	})
}

func TestVersionsRestorePromptsAndLogChanges(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		keep := b.call(t, "POST", "/api/v1/prompts", u.Token, map[string]any{
			"project_id": pid, "title": "Hero", "body": "雨夜霓虹街头，女主角回眸",
			"variables": map[string]string{"emotion": "决绝"}, "tags": []string{"drama"}}).
			want(t, http.StatusCreated).str(t, "id")
		ver := b.call(t, "POST", "/api/v1/projects/"+pid+"/versions", u.Token,
			map[string]string{"name": "first cut", "note": "before notes from the client"}).
			want(t, http.StatusCreated).str(t, "id")

		b.call(t, "PATCH", "/api/v1/prompts/"+keep, u.Token,
			map[string]string{"body": "changed"}).want(t, http.StatusOK)
		later := b.call(t, "POST", "/api/v1/prompts", u.Token, map[string]any{
			"project_id": pid, "title": "Extra", "body": "added after the version"}).
			want(t, http.StatusCreated).str(t, "id")

		res := b.call(t, "POST", "/api/v1/projects/"+pid+"/versions/"+ver+"/restore", u.Token, nil).
			want(t, http.StatusOK)
		got := b.call(t, "GET", "/api/v1/prompts/"+keep, u.Token, nil).want(t, http.StatusOK)
		if got.body["body"] != "雨夜霓虹街头，女主角回眸" ||
			got.body["variables"].(map[string]any)["emotion"] != "决绝" {
			t.Fatalf("restored prompt: %s", got.raw)
		}
		b.call(t, "GET", "/api/v1/prompts/"+later, u.Token, nil).want(t, http.StatusNotFound)

		// The state before the restore was kept as a version of its own.
		backup := res.str(t, "backup_version_id")
		snap := b.call(t, "GET", "/api/v1/projects/"+pid+"/versions/"+backup, u.Token, nil).
			want(t, http.StatusOK)
		if !strings.Contains(string(snap.raw), "added after the version") {
			t.Fatalf("backup lacks the later prompt: %s", snap.raw)
		}

		changes := b.call(t, "GET", "/api/v1/projects/"+pid+"/changes?limit=50", u.Token, nil).
			want(t, http.StatusOK).items(t)
		var actions []string
		for _, c := range changes {
			if c["actor_id"] != u.ID {
				t.Errorf("change by %v, want %s", c["actor_id"], u.ID)
			}
			actions = append(actions, fmt.Sprint(c["entity"], ".", c["action"]))
		}
		want := "version.restored,prompt.created,prompt.updated,version.created,prompt.created," +
			"project.created"
		if strings.Join(actions, ",") != want {
			t.Fatalf("change log %v, want %s (newest first)", actions, want)
		}
	})
}

func TestTemplatesLibraryAndRendering(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		all := b.call(t, "GET", "/api/v1/templates", u.Token, nil).want(t, http.StatusOK).items(t)
		if len(all) < 40 {
			t.Fatalf("%d built-in templates, want at least 40", len(all))
		}
		ads := b.call(t, "GET", "/api/v1/templates?category=ad&lang=zh-CN", u.Token, nil).
			want(t, http.StatusOK).items(t)
		if len(ads) == 0 {
			t.Fatal("no Chinese ad templates")
		}
		for _, tpl := range ads {
			if tpl["category"] != "ad" || tpl["lang"] != "zh-CN" {
				t.Fatalf("filter leaked %v", tpl)
			}
		}
		b.do(t, "GET", "/api/v1/templates?category=horror", u.Token, nil, nil, true).
			want(t, http.StatusUnprocessableEntity)

		tpl := customTemplate(u.PersonalOrg)
		id := b.call(t, "POST", "/api/v1/templates", u.Token, tpl).want(t, http.StatusCreated).
			str(t, "id")
		out := b.call(t, "POST", "/api/v1/templates/"+id+"/render", u.Token,
			map[string]any{"variables": map[string]string{"product": "一只手表"}}).want(t, 200)
		if out.body["prompt"] != "一只手表 on a table" {
			t.Fatalf("render: %s", out.raw)
		}
		missing := b.call(t, "POST", "/api/v1/templates/"+id+"/render", u.Token,
			map[string]any{"variables": map[string]string{}})
		if missing.want(t, 422).fieldError("variables.product") != "missing" {
			t.Fatalf("missing variable: %s", missing.raw)
		}
		unknown := b.call(t, "POST", "/api/v1/templates/"+id+"/render", u.Token,
			map[string]any{"variables": map[string]string{"product": "x", "emotion": "joy"}})
		if unknown.want(t, 422).fieldError("variables.emotion") != "unknown" {
			t.Fatalf("unknown variable: %s", unknown.raw)
		}
		// A template whose body uses an undeclared variable is refused.
		tpl["body"] = "{product} with {undeclared}"
		tpl["slug"] = "broken-one"
		b.call(t, "POST", "/api/v1/templates", u.Token, tpl).want(t, 422)

		// Another organization's user sees neither the template nor its id.
		other := b.user(t)
		b.call(t, "GET", "/api/v1/templates/"+id, other.Token, nil).want(t, http.StatusNotFound)
		for _, it := range b.call(t, "GET", "/api/v1/templates", other.Token, nil).items(t) {
			if it["id"] == id {
				t.Fatal("another organization's template is listed")
			}
		}
	})
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		created := b.call(t, "POST", "/api/v1/organizations/"+u.PersonalOrg+"/api-keys", u.Token,
			map[string]string{"name": "render farm", "role": "editor"}).want(t, http.StatusCreated)
		key, id := created.str(t, "key"), created.str(t, "id")
		if !strings.HasPrefix(key, "rfk_"+created.str(t, "prefix")+"_") {
			t.Fatalf("key %q does not start with its prefix", key)
		}
		list := b.call(t, "GET", "/api/v1/organizations/"+u.PersonalOrg+"/api-keys", u.Token, nil)
		if strings.Contains(string(list.raw), key) || strings.Contains(string(list.raw), "hash") {
			t.Fatal("listing reveals the key or its hash")
		}
		res := b.do(t, "GET", "/api/v1/projects/"+pid, "", nil, map[string]string{"X-API-Key": key},
			false).want(t, http.StatusOK)
		if res.body["role"] != "editor" {
			t.Fatalf("key acts as %v, want editor", res.body["role"])
		}
		after := b.call(t, "GET", "/api/v1/organizations/"+u.PersonalOrg+"/api-keys", u.Token, nil).
			items(t)
		if after[0]["last_used_at"] == nil {
			t.Fatalf("last_used_at not recorded: %v", after[0])
		}
		b.call(t, "DELETE", "/api/v1/organizations/"+u.PersonalOrg+"/api-keys/"+id, u.Token, nil).
			want(t, http.StatusNoContent)
		b.call(t, "GET", "/api/v1/projects/"+pid, key, nil).want(t, http.StatusUnauthorized)

		audit := b.call(t, "GET", "/api/v1/audit?org_id="+u.PersonalOrg+"&action=api_key.revoked",
			u.Token, nil).want(t, http.StatusOK).items(t)
		if len(audit) != 1 || audit[0]["target_id"] != id {
			t.Fatalf("revocation audit: %v", audit)
		}
		// A key cannot be made with a role above its creator's.
		b.do(t, "POST", "/api/v1/organizations/"+u.PersonalOrg+"/api-keys", u.Token,
			[]byte(`{"name":"x","role":"owner"}`), nil, true).want(t, 422)
	})
}

func TestOwnershipTransferAndRoles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		owner, admin, editor := b.user(t), b.user(t), b.user(t)
		org := b.org(t, owner, map[*testUser]string{admin: "admin", editor: "editor"})
		// Admins cannot touch the owner or other admins' roles.
		b.call(t, "PATCH", "/api/v1/organizations/"+org+"/members/"+owner.ID, admin.Token,
			map[string]string{"role": "viewer"}).want(t, http.StatusConflict)
		b.call(t, "DELETE", "/api/v1/organizations/"+org+"/members/"+owner.ID, admin.Token, nil).
			want(t, http.StatusConflict)
		b.call(t, "POST", "/api/v1/organizations/"+org+"/members", admin.Token,
			map[string]string{"email": editor.Email, "role": "viewer"}).want(t, http.StatusConflict)
		res := b.call(t, "POST", "/api/v1/organizations/"+org+"/members", admin.Token,
			map[string]string{"email": "no-such-user@example.com", "role": "viewer"})
		if res.want(t, 422).fieldError("email") != "unknown_user" {
			t.Fatalf("unknown member email: %s", res.raw)
		}
		b.call(t, "POST", "/api/v1/organizations/"+org+"/transfer", owner.Token,
			map[string]string{"user_id": editor.ID}).want(t, http.StatusOK)
		roles := map[any]any{}
		for _, m := range b.call(t, "GET", "/api/v1/organizations/"+org+"/members", admin.Token,
			nil).items(t) {
			roles[m["user_id"]] = m["role"]
		}
		if roles[editor.ID] != "owner" || roles[owner.ID] != "admin" {
			t.Fatalf("after transfer: %v", roles)
		}
		b.call(t, "DELETE", "/api/v1/organizations/"+org, owner.Token, nil).
			want(t, http.StatusForbidden)
		audit := b.call(t, "GET", "/api/v1/audit?org_id="+org, editor.Token, nil).items(t)
		var actions []string
		for _, a := range audit {
			actions = append(actions, a["action"].(string))
		}
		if !strings.Contains(strings.Join(actions, ","), "organization.transferred") {
			t.Fatalf("transfer not audited: %v", actions)
		}
		b.call(t, "DELETE", "/api/v1/organizations/"+org, editor.Token, nil).
			want(t, http.StatusNoContent)
		b.call(t, "GET", "/api/v1/organizations/"+org, editor.Token, nil).
			want(t, http.StatusNotFound)
	})
}

func TestBudgetCanBeSetAndCleared(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	path := "/api/v1/organizations/" + u.PersonalOrg
	res := b.call(t, "PATCH", path, u.Token, map[string]any{"monthly_budget_cents": 12345}).
		want(t, http.StatusOK)
	if res.body["monthly_budget_cents"].(float64) != 12345 {
		t.Fatalf("budget not set: %s", res.raw)
	}
	res = b.call(t, "PATCH", path, u.Token, map[string]any{"name": "Renamed"}).want(t, 200)
	if res.body["monthly_budget_cents"] == nil {
		t.Fatal("an absent budget field cleared the budget")
	}
	res = b.call(t, "PATCH", path, u.Token, map[string]any{"monthly_budget_cents": nil}).
		want(t, http.StatusOK)
	if res.body["monthly_budget_cents"] != nil {
		t.Fatalf("null did not clear the budget: %s", res.raw)
	}
}

func TestTemplateListPagesAndRenderWithoutBody(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	first := b.call(t, "GET", "/api/v1/templates?limit=10", u.Token, nil).want(t, 200)
	second := b.call(t, "GET", "/api/v1/templates?limit=10&offset=10", u.Token, nil).want(t, 200)
	if len(first.items(t)) != 10 || first.body["total"].(float64) < 40 ||
		first.items(t)[0]["id"] == second.items(t)[0]["id"] {
		t.Fatalf("template pages: %s", first.raw)
	}
	// A template whose variables all have defaults renders with no body.
	tpl := customTemplate(u.PersonalOrg)
	tpl["variables"] = []map[string]string{
		{"name": "product", "label": "Product", "example": "a watch", "default": "a lamp"},
		{"name": "surface", "label": "Surface", "example": "marble", "default": "desk"},
	}
	id := b.call(t, "POST", "/api/v1/templates", u.Token, tpl).want(t, 201).str(t, "id")
	out := b.call(t, "POST", "/api/v1/templates/"+id+"/render", u.Token, nil).want(t, 200)
	if out.str(t, "prompt") != "a lamp on a desk" {
		t.Fatalf("render without a body: %s", out.raw)
	}
}
