package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestHealthReadinessAndDocument(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setup(t, dialect)
		b.call(t, "GET", "/healthz", "", nil).want(t, http.StatusOK)
		b.call(t, "GET", "/readyz", "", nil).want(t, http.StatusOK)
		doc := b.do(t, "GET", "/api/openapi.yaml", "", nil, nil, false).want(t, http.StatusOK)
		if !strings.HasPrefix(string(doc.raw), "openapi: 3.1") {
			t.Fatalf("served document: %.40s", doc.raw)
		}
		if dialect == "sqlite" {
			// With the database gone, the node reports itself not ready while
			// staying alive.
			_ = b.store.DB().Close()
			res := b.call(t, "GET", "/readyz", "", nil)
			if res.status != http.StatusServiceUnavailable || res.body["code"] != "not_ready" {
				t.Fatalf("readyz without a database: %d %s", res.status, res.raw)
			}
			b.call(t, "GET", "/healthz", "", nil).want(t, http.StatusOK)
		}
	})
}
