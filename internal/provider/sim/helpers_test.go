package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/provider"
)

// newTestSim starts a simulator with tiny delays, ultrafast encoding and its
// Handler behind a real HTTP server.
func newTestSim(t *testing.T, mod func(*Config)) *Sim {
	t.Helper()
	cfg := Config{QueueDelay: 0, RenderDelay: 0, Preset: "ultrafast", OutputDir: t.TempDir(),
		MaxParallelRenders: 1, BaseURL: "http://placeholder.invalid/sim"}
	if mod != nil {
		mod(&cfg)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitDone polls Get until the job is terminal and returns every status seen.
func waitDone(t *testing.T, s *Sim, id string) []provider.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var seen []provider.Status
	for {
		st, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		seen = append(seen, st)
		if st.State.Terminal() {
			return seen
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// download fetches url into the test's temp dir, as the engine would.
func download(t *testing.T, url, name string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	return p
}

func probe(t *testing.T, path string) media.Info {
	t.Helper()
	r, err := media.NewRunner(media.Config{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func mustCreate(t *testing.T, s *Sim, req provider.Request) string {
	t.Helper()
	c, err := s.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c.JobID
}
