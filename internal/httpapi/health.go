package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPIDocument returns the OpenAPI 3.1 description of the API.
func OpenAPIDocument() []byte { return openAPIDoc }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(openAPIDoc)
	return err
}

// healthz answers while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok",
		"version": s.cfg.Version})
}

// readyz answers 200 only while the database answers, so a load balancer
// stops sending traffic to a node that lost it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.DB().PingContext(ctx); err != nil {
		p := problem(http.StatusServiceUnavailable, "not_ready", "the database is unreachable")
		p.cause = err
		return p
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
