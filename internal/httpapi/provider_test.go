package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestProviderAccountsKeepTheKeySecret(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{noWorkers: true})
		u := b.user(t)
		path := "/api/v1/organizations/" + u.PersonalOrg + "/provider-accounts"
		const key = "sk-very-secret-value-123"
		res := b.call(t, "POST", path, u.Token, map[string]any{"provider": "sim",
			"name": "studio", "secret": key}).want(t, http.StatusCreated)
		id := res.str(t, "id")
		list := b.call(t, "GET", path, u.Token, nil).want(t, http.StatusOK)
		for _, raw := range [][]byte{res.raw, list.raw} {
			if strings.Contains(string(raw), key) || strings.Contains(string(raw), "ciphertext") {
				t.Fatalf("an answer reveals the key: %s", raw)
			}
		}
		var stored []byte
		if err := b.store.DB().QueryRowContext(context.Background(),
			`SELECT secret_ciphertext FROM provider_accounts WHERE id = ?`, id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stored), key) || len(stored) < len(key) {
			t.Fatal("the key is stored in clear")
		}
		providers := b.call(t, "GET", "/api/v1/providers?org_id="+u.PersonalOrg, u.Token, nil).
			want(t, http.StatusOK).items(t)
		if len(providers) != 1 || providers[0]["account"] != "organization" ||
			providers[0]["circuit"] != "closed" {
			t.Fatalf("providers: %v", providers)
		}
		bad := b.do(t, "POST", path, u.Token, []byte(`{"provider":"sora","name":"x","secret":"y"}`),
			nil, true)
		if bad.want(t, http.StatusUnprocessableEntity).fieldError("provider") == "" {
			t.Fatalf("unknown provider: %s", bad.raw)
		}
		b.call(t, "DELETE", path+"/"+id, u.Token, nil).want(t, http.StatusNoContent)
		after := b.call(t, "GET", "/api/v1/providers?org_id="+u.PersonalOrg, u.Token, nil).items(t)
		if after[0]["account"] != "platform" {
			t.Fatalf("after delete: %v", after)
		}
		audit := b.call(t, "GET", "/api/v1/audit?org_id="+u.PersonalOrg+
			"&action=provider_account.created", u.Token, nil).items(t)
		if len(audit) != 1 || strings.Contains(audit[0]["data"].(map[string]any)["provider"].(string),
			key) {
			t.Fatalf("audit: %v", audit)
		}
	})
}

func TestForgedWebhooksAreRefused(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{noWorkers: true})
	cases := map[string]string{
		"no signature":     "/api/v1/webhooks/sim",
		"forged signature": "/api/v1/webhooks/sim?task=x&sig=00",
		"unknown provider": "/api/v1/webhooks/nobody?task=x&sig=00",
		"valid sig, no hook": "/api/v1/webhooks/sim?" +
			strings.SplitN(b.engine.CallbackURL("sim", "t1"), "?", 2)[1],
	}
	for name, path := range cases {
		res := b.do(t, "POST", path, "", []byte(`{"id":"x","status":"succeeded"}`), nil, false)
		if res.status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, res.status)
		}
	}
}
