package sim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// MaxRequestBytes caps the body of an API call. A generation request is a
// prompt and a few fields; 1 MiB leaves room for long prompts and params
// while keeping a hostile client from filling memory.
const MaxRequestBytes = 1 << 20

// routeAPI adds the vendor-style JSON API (see the package doc) to mux.
func (s *Sim) routeAPI(mux *http.ServeMux) {
	mux.Handle("POST /v1/jobs", s.authorized(s.apiCreate))
	mux.Handle("GET /v1/jobs/{id}", s.authorized(s.apiGet))
	mux.Handle("GET /v1/tasks/{task_id}/job", s.authorized(s.apiFind))
	mux.Handle("POST /v1/jobs/{id}/cancel", s.authorized(s.apiCancel))
	mux.Handle("GET /v1/creates", s.authorized(s.apiCreates))
	mux.Handle("/v1/", s.authorized(func(w http.ResponseWriter, r *http.Request) {
		e := provider.NewError(provider.CodeBadRequest, "no such endpoint: "+r.Method+
			" "+r.URL.Path)
		e.HTTPStatus = http.StatusNotFound
		s.writeError(w, r, e)
	}))
}

// authorized requires the configured bearer token, if any. Both sides are
// hashed before the constant-time compare so that neither the token's
// content nor its length leaks through timing.
func (s *Sim) authorized(h http.HandlerFunc) http.Handler {
	if s.cfg.Token == "" {
		return h
	}
	want := sha256.Sum256([]byte("Bearer " + s.cfg.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sim"`)
			s.writeError(w, r, provider.NewError(provider.CodeAuthFailed,
				"missing or invalid bearer token"))
			return
		}
		h(w, r)
	})
}

func (s *Sim) apiCreate(w http.ResponseWriter, r *http.Request) {
	var body wireRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, existed, err := s.create(r.Context(), body.request())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusCreated
	if existed {
		code = http.StatusOK
	}
	s.writeJob(w, r, id, code)
}

func (s *Sim) apiGet(w http.ResponseWriter, r *http.Request) {
	s.writeJob(w, r, r.PathValue("id"), http.StatusOK)
}

// apiFind answers the job created for a task id, or 404.
func (s *Sim) apiFind(w http.ResponseWriter, r *http.Request) {
	id, ok, _ := s.Find(r.Context(), r.PathValue("task_id"))
	if !ok {
		s.writeJSON(w, r, http.StatusNotFound, wireErrorBody{Error: wireError{
			Code: string(provider.CodeBadRequest), Message: "no job for this task"}})
		return
	}
	s.writeJob(w, r, id, http.StatusOK)
}

// apiCancel waits, like Sim.Cancel, until the render has stopped, so the
// answer already shows the job canceled (or finished, if it won the race).
func (s *Sim) apiCancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.Cancel(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJob(w, r, id, http.StatusOK)
}

// apiCreates is test introspection, not part of any vendor's API: it lets a
// test in another process assert how many Creates a task caused.
func (s *Sim) apiCreates(w http.ResponseWriter, r *http.Request) {
	task := r.URL.Query().Get("task_id")
	s.mu.Lock()
	body := wireCreates{TaskID: task, Creates: s.creates[task], Total: s.total}
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusOK, body)
}

func (s *Sim) writeJob(w http.ResponseWriter, r *http.Request, id string, code int) {
	st, err := s.Get(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.mu.Lock()
	task := s.jobs[id].req.TaskID
	s.mu.Unlock()
	s.writeJSON(w, r, code, toWireJob(id, task, st))
}

// decodeBody reads one JSON object strictly: unknown fields, trailing data
// and bodies over MaxRequestBytes are bad_request (the last with 413).
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) *provider.Error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return nil
	}
	e := provider.NewError(provider.CodeBadRequest, "invalid request body: "+err.Error())
	e.HTTPStatus = http.StatusBadRequest
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		e.Message = fmt.Sprintf("request body over %d bytes", MaxRequestBytes)
		e.HTTPStatus = http.StatusRequestEntityTooLarge
	}
	return e
}

// writeError answers with the JSON error shape and the HTTP status of the
// normalized code (see statusFor), adding Retry-After to rate limits.
func (s *Sim) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := provider.AsError(err)
	status := statusFor(e)
	if e.Code == provider.CodeRateLimited {
		secs := max(int64((e.RetryAfter+time.Second-1)/time.Second), 1)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if status >= http.StatusInternalServerError {
		s.log.Warn("sim: api call failed", "provider", Name, "method", r.Method,
			"path", r.URL.Path, "status", status, "error", e)
	}
	s.writeJSON(w, r, status, wireErrorBody{Error: wireError{Code: string(e.Code),
		Message: e.Message}})
}

func (s *Sim) writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		s.log.Error("sim: encoding api answer", "provider", Name, "path", r.URL.Path,
			"error", err)
		b, status = []byte(`{"error":{"code":"provider_error","message":"encoding failed"}}`),
			http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
