package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

// statusWriter records the status a handler wrote, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// common wraps every request: a request id, security headers, panic
// recovery and one log line.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		ctx := context.WithValue(r.Context(), ctxRequestID, id)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "httpapi: panic", slog.String("request_id", id),
					slog.String("error", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					s.writeProblem(sw, r, errors.New("panic"))
				}
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			} else if sw.status >= 400 {
				level = slog.LevelWarn
			}
			s.log.LogAttrs(ctx, level, "httpapi: request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes),
				slog.String("client_ip", s.clientIP(r)),
				slog.Int64("duration_ms", time.Since(start).Milliseconds()))
		}()
		next.ServeHTTP(sw, r)
	})
}

// authed wraps a handler that needs a principal: a Bearer access token, or an
// API key as a Bearer token or in X-API-Key.
func (s *Server) authed(h handlerFunc) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="reelforge"`)
			return err
		}
		ctx := context.WithValue(r.Context(), ctxPrincipal, p)
		return h(w, r.WithContext(ctx))
	})
}

func (s *Server) authenticate(r *http.Request) (*principal, error) {
	cred := r.Header.Get("X-API-Key")
	if cred == "" {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, errUnauthorized("a Bearer token or an API key is required")
		}
		cred = strings.TrimSpace(token)
	}
	if prefix, ok := auth.ParseAPIKey(cred); ok {
		return s.authenticateKey(r.Context(), prefix, cred)
	}
	userID, err := s.tokens.Verify(cred)
	if err != nil {
		return nil, errUnauthorized("the access token is invalid or expired")
	}
	u, err := s.store.UserByID(r.Context(), userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Status != "active") {
		return nil, errUnauthorized("the account is not active")
	}
	if err != nil {
		return nil, err
	}
	return &principal{UserID: userID}, nil
}

func (s *Server) authenticateKey(ctx context.Context, prefix, key string) (*principal, error) {
	k, err := s.store.APIKeyByPrefix(ctx, prefix)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized("the API key is invalid")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !auth.EqualHash(k.KeyHash, auth.HashToken(key)) || !k.RevokedAt.IsZero() ||
		(!k.ExpiresAt.IsZero() && now.After(k.ExpiresAt)) {
		return nil, errUnauthorized("the API key is invalid, revoked or expired")
	}
	// last_used_at is written at most once a minute per key, so a busy
	// integration does not turn every read into a write.
	if s.keyUse.allow(k.ID, now) {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.log.WarnContext(ctx, "httpapi: recording API key use", slog.String("error", err.Error()))
		}
	}
	return &principal{Key: k}, nil
}

// clientIP is the peer address, or the last untrusted hop of
// X-Forwarded-For when the peer is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
