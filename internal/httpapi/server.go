// Package httpapi is Reelforge's REST API under /api/v1: the route table,
// middleware, handlers and problem+json errors. Handlers return errors; one
// renderer turns them into RFC 9457 problems.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/obs"
	"github.com/reelforge/reelforge/internal/secret"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// Config is what the API needs from the process configuration.
type Config struct {
	// AccessTokenTTL and RefreshTokenTTL are the token lifetimes.
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// LoginAttemptsPerMinute caps logins per IP and per account.
	LoginAttemptsPerMinute int
	// MaxBodyBytes caps JSON bodies.
	MaxBodyBytes int64
	// MaxUploadBytes caps one file uploaded to POST /api/v1/assets; larger
	// uploads answer 413 and leave nothing behind. Defaults to 2 GiB.
	MaxUploadBytes int64
	// PasswordCost is the bcrypt cost of new password hashes.
	PasswordCost int
	// TrustedProxies are the peers whose X-Forwarded-For is believed, such
	// as the nginx in front of Reelforge. Defaults to none.
	TrustedProxies []netip.Prefix
	// Version is reported by /healthz.
	Version string
}

// Deps are the optional collaborators of the generation routes; without
// them those routes answer 503.
type Deps struct {
	Engine  *engine.Engine
	Disk    storage.Disk
	Metrics *obs.Metrics
	// Box seals organizations' provider keys.
	Box *secret.Box
}

// Use adds the generation engine and storage to the server.
func (s *Server) Use(d Deps) { s.deps = d }

// Server is the API's handlers and their dependencies.
type Server struct {
	cfg     Config
	deps    Deps
	store   *store.Store
	tokens  *auth.Tokens
	log     *slog.Logger
	limiter *limiter
	keyUse  *throttle
	now     func() time.Time
}

// New returns a Server.
func New(cfg Config, st *store.Store, tokens *auth.Tokens, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.LoginAttemptsPerMinute == 0 {
		cfg.LoginAttemptsPerMinute = 10
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 2 << 30
	}
	return &Server{
		cfg:     cfg,
		store:   st,
		tokens:  tokens,
		log:     log,
		limiter: newLimiter(cfg.LoginAttemptsPerMinute, time.Minute),
		keyUse:  newThrottle(time.Minute),
		now:     time.Now,
	}
}

// handlerFunc is an HTTP handler that returns its error to be rendered.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxPrincipal
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// principal is who is calling: a signed-in user, or an organization's API
// key acting with the key's role in that organization only.
type principal struct {
	UserID string
	Key    *store.APIKey
}

func (p *principal) actor() (kind, id string) {
	if p.Key != nil {
		return "api_key", p.Key.ID
	}
	return "user", p.UserID
}

// userID is the person behind the call: the user, or the creator of the
// API key, for the created_by of what the call makes.
func (p *principal) userID() string {
	if p.Key != nil {
		return p.Key.CreatedBy
	}
	return p.UserID
}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxPrincipal).(*principal)
	return p
}
