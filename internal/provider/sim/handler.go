package sim

import (
	"net/http"
	"os"

	"github.com/reelforge/reelforge/internal/provider"
)

// Handler serves, relative to where it is mounted (see the package doc), the
// vendor-style JSON API under /v1/ that Remote speaks, and the files of
// succeeded jobs at /outputs/{job_id}/{file}. Only files the job produced
// are served, looked up by name, so the URL can never reach another path;
// unknown or unfinished jobs get 404. Range requests work, as they do on
// vendor CDNs. Outputs need no token even when Config.Token guards the API.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /outputs/{job}/{file}", s.serveOutput)
	s.routeAPI(mux)
	return mux
}

func (s *Sim) serveOutput(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	j, ok := s.jobs[r.PathValue("job")]
	s.mu.Unlock()
	name := r.PathValue("file")
	if !ok || j.snapshotState() != provider.StateSucceeded || !producedFile(j.req, name) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(j.dir + string(os.PathSeparator) + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "sim: reading output", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// producedFile reports whether name is an output of a job of req's kind.
func producedFile(req provider.Request, name string) bool {
	if req.Kind == provider.KindTextToImage {
		return name == imageFile
	}
	return name == videoFile || name == coverFile
}
