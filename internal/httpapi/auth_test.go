package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoginRefreshLogout(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)

		res := b.call(t, "POST", "/api/v1/auth/login", "",
			map[string]string{"email": strings.ToUpper(u.Email), "password": u.Password})
		res.want(t, http.StatusOK)
		if res.body["token_type"] != "Bearer" || res.body["expires_in"].(float64) != 900 {
			t.Fatalf("token response: %s", res.raw)
		}
		if !strings.HasPrefix(res.header.Get("Set-Cookie"), refreshCookie+"=") {
			t.Fatalf("no refresh cookie: %v", res.header.Values("Set-Cookie"))
		}

		me := b.call(t, "GET", "/api/v1/users/me", u.Token, nil).want(t, http.StatusOK)
		if me.body["user"].(map[string]any)["email"] != u.Email {
			t.Fatalf("me: %s", me.raw)
		}
		if strings.Contains(string(me.raw), "password") {
			t.Fatalf("me leaks the password hash: %s", me.raw)
		}

		first := u.Refresh
		rot := b.call(t, "POST", "/api/v1/auth/refresh", "",
			map[string]string{"refresh_token": first}).want(t, http.StatusOK)
		second := rot.str(t, "refresh_token")
		if second == first {
			t.Fatal("refresh did not rotate the token")
		}
		b.call(t, "GET", "/api/v1/users/me", rot.str(t, "access_token"), nil).want(t, http.StatusOK)

		// Reusing the first token revokes the family, the rotated one too.
		b.call(t, "POST", "/api/v1/auth/refresh", "",
			map[string]string{"refresh_token": first}).want(t, http.StatusUnauthorized)
		b.call(t, "POST", "/api/v1/auth/refresh", "",
			map[string]string{"refresh_token": second}).want(t, http.StatusUnauthorized)

		// Logout revokes a fresh login's family.
		b.login(t, u)
		b.call(t, "POST", "/api/v1/auth/logout", "",
			map[string]string{"refresh_token": u.Refresh}).want(t, http.StatusNoContent)
		b.call(t, "POST", "/api/v1/auth/refresh", "",
			map[string]string{"refresh_token": u.Refresh}).want(t, http.StatusUnauthorized)
	})
}

func TestLoginFailuresAreUniformAndAudited(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		u := b.user(t)
		wrong := b.call(t, "POST", "/api/v1/auth/login", "",
			map[string]string{"email": u.Email, "password": "not-the-password"})
		unknown := b.call(t, "POST", "/api/v1/auth/login", "",
			map[string]string{"email": "nobody-" + u.Email, "password": "whatever1"})
		wrong.want(t, http.StatusUnauthorized)
		unknown.want(t, http.StatusUnauthorized)
		if wrong.body["detail"] != unknown.body["detail"] {
			t.Fatalf("wrong password and unknown user answer differently: %s / %s",
				wrong.raw, unknown.raw)
		}
		audit := b.call(t, "GET", "/api/v1/audit?org_id="+u.PersonalOrg, u.Token, nil).
			want(t, http.StatusOK)
		var actions []string
		for _, e := range audit.items(t) {
			actions = append(actions, e["action"].(string))
		}
		joined := strings.Join(actions, ",")
		if !strings.Contains(joined, "auth.login_failed") || !strings.Contains(joined, "auth.login") {
			t.Fatalf("audit log lacks the logins: %v", actions)
		}
	})
}

func TestLoginRateLimitPerIPAndAccount(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect, setupOpts{loginAttempts: 3})
		u := b.user(t) // one attempt spent by this login, from 127.0.0.1
		bad := []byte(`{"email":"` + u.Email + `","password":"wrong-password"}`)
		from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
		// The account bucket (3) is shared across addresses: two more tries
		// from two addresses, then the third is refused.
		b.do(t, "POST", "/api/v1/auth/login", "", bad, from("203.0.113.1"), false).
			want(t, http.StatusUnauthorized)
		b.do(t, "POST", "/api/v1/auth/login", "", bad, from("203.0.113.2"), false).
			want(t, http.StatusUnauthorized)
		res := b.do(t, "POST", "/api/v1/auth/login", "", bad, from("203.0.113.3"), false)
		res.want(t, http.StatusTooManyRequests)
		if res.header.Get("Retry-After") == "" || res.body["code"] != "rate_limited" {
			t.Fatalf("429 without Retry-After or code: %v %s", res.header, res.raw)
		}
		// The IP bucket: one address spraying other accounts is stopped too.
		for i := range 3 {
			other := []byte(`{"email":"x` + string(rune('a'+i)) + `@example.com","password":"whatever1"}`)
			b.do(t, "POST", "/api/v1/auth/login", "", other, from("198.51.100.7"), false).
				want(t, http.StatusUnauthorized)
		}
		other := []byte(`{"email":"y@example.com","password":"whatever1"}`)
		b.do(t, "POST", "/api/v1/auth/login", "", other, from("198.51.100.7"), false).
			want(t, http.StatusTooManyRequests)
	})
}

func TestCookieRefreshNeedsCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	cookie := map[string]string{"Cookie": refreshCookie + "=" + u.Refresh + "; " + csrfCookie + "=abc"}
	b.do(t, "POST", "/api/v1/auth/refresh", "", nil, cookie, false).want(t, http.StatusForbidden)
	cookie[csrfHeader] = "abd"
	b.do(t, "POST", "/api/v1/auth/refresh", "", nil, cookie, false).want(t, http.StatusForbidden)
	cookie[csrfHeader] = "abc"
	b.do(t, "POST", "/api/v1/auth/refresh", "", nil, cookie, false).want(t, http.StatusOK)
}

func TestBadTokensAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	parts := strings.Split(u.Token, ".")
	cases := map[string]string{
		"garbage":     "not-a-token",
		"tampered":    parts[0] + "." + parts[1] + "x." + parts[2],
		"unsigned":    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"api key":     "rfk_deadbeef_" + strings.Repeat("A", 43),
		"refresh":     u.Refresh,
		"other realm": "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
	}
	for name, token := range cases {
		res := b.call(t, "GET", "/api/v1/users/me", token, nil)
		if res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: status %d, want 401 with WWW-Authenticate", name, res.status)
		}
	}
	b.call(t, "GET", "/api/v1/users/me", "", nil).want(t, http.StatusUnauthorized)
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	res := b.call(t, "PATCH", "/api/v1/users/me", u.Token,
		map[string]string{"current_password": "wrong-one", "new_password": "brand-new-pass"})
	if res.want(t, http.StatusUnprocessableEntity).fieldError("current_password") == "" {
		t.Fatalf("no field error for current_password: %s", res.raw)
	}
	b.call(t, "PATCH", "/api/v1/users/me", u.Token,
		map[string]string{"current_password": u.Password, "new_password": "brand-new-pass"}).
		want(t, http.StatusOK)
	u.Password = "brand-new-pass"
	b.login(t, u)
}
