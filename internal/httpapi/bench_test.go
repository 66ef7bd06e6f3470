package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetProject measures an authenticated GET /api/v1/projects/{id}
// on SQLite (token check, user lookup, role lookup, read, JSON) beside the
// bare reference: a net/http handler that reads the same row from the same
// database and writes it as JSON, with no authentication at all. Both run
// in process through ServeHTTP, so the network does not blur the ratio.
//
//	go test ./internal/httpapi -run '^$' -bench GetProject -benchmem
func BenchmarkGetProject(b *testing.B) {
	tb := setup(b, "sqlite")
	u := tb.user(b)
	id := tb.project(b, u.Token, u.PersonalOrg)
	h := tb.api.Handler()
	db := tb.store.DB()

	b.Run("reelforge", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/api/v1/projects/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+u.Token)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})

	b.Run("bare_net_http", func(b *testing.B) {
		type project struct {
			ID          string          `json:"id"`
			OrgID       string          `json:"org_id"`
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Settings    json.RawMessage `json:"settings"`
			CreatedAt   string          `json:"created_at"`
			UpdatedAt   string          `json:"updated_at"`
		}
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var p project
			var settings string
			err := db.QueryRowContext(r.Context(), `SELECT id, org_id, name, description,
				settings_json, created_at, updated_at FROM projects WHERE id = ?`,
				r.PathValue("id")).Scan(&p.ID, &p.OrgID, &p.Name, &p.Description, &settings,
				&p.CreatedAt, &p.UpdatedAt)
			if err != nil {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			p.Settings = json.RawMessage(settings)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(p)
		})
		mux := http.NewServeMux()
		mux.Handle("GET /api/v1/projects/{id}", bare)
		req := httptest.NewRequest("GET", "/api/v1/projects/"+id, nil)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
