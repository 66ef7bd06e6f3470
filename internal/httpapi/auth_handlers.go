package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

// The console keeps its refresh token in an HttpOnly cookie scoped to the
// auth routes, and proves same-origin with a double-submit CSRF token.
const (
	refreshCookie = "rf_refresh"
	csrfCookie    = "rf_csrf"
	csrfHeader    = "X-CSRF-Token"
)

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	CSRFToken    string `json:"csrf_token"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	var v validator
	v.text("email", email, true, 254)
	v.text("password", req.Password, true, 1024)
	if err := v.err(); err != nil {
		return err
	}
	now := s.now()
	ip := s.clientIP(r)
	if ok, wait := s.limiter.take("ip:"+ip, now); !ok {
		return errRateLimited(wait)
	}
	if ok, wait := s.limiter.take("account:"+email, now); !ok {
		return errRateLimited(wait)
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := ""
	if u != nil && u.Status == "active" {
		hash = u.PasswordHash
	}
	if !auth.VerifyPassword(hash, req.Password) {
		target := ""
		if u != nil {
			target = u.ID
		}
		s.auditEntry(r.Context(), &store.AuditEntry{ActorType: "anonymous", ActorID: "",
			Action: "auth.login_failed", TargetType: "user", TargetID: target, IP: ip,
			UserAgent: r.UserAgent(), Data: jsonObject("email", email)})
		return errUnauthorized("the email or password is wrong")
	}
	if err := s.store.TouchLogin(r.Context(), u.ID); err != nil {
		return err
	}
	s.auditEntry(r.Context(), &store.AuditEntry{ActorType: "user", ActorID: u.ID,
		Action: "auth.login", TargetType: "user", TargetID: u.ID, IP: ip,
		UserAgent: r.UserAgent()})
	return s.issueTokens(w, r, u.ID, "")
}

// issueTokens creates an access token and a refresh token in family (a new
// family when empty), sets the console's cookies and writes the response.
func (s *Server) issueTokens(w http.ResponseWriter, r *http.Request, userID, family string) error {
	access, err := s.tokens.Issue(userID)
	if err != nil {
		return err
	}
	refresh, hash, err := auth.NewOpaqueToken("rfr_")
	if err != nil {
		return err
	}
	rt := &store.RefreshToken{UserID: userID, FamilyID: family, TokenHash: hash,
		ExpiresAt: s.now().Add(s.cfg.RefreshTokenTTL), IP: s.clientIP(r),
		UserAgent: r.UserAgent()}
	if err := s.store.CreateRefreshToken(r.Context(), rt); err != nil {
		return err
	}
	csrf := make([]byte, 16)
	_, _ = rand.Read(csrf)
	csrfToken := hex.EncodeToString(csrf)
	secure := r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Value: refresh, Path: "/api/v1/auth",
		MaxAge: int(s.cfg.RefreshTokenTTL.Seconds()), HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrfToken, Path: "/",
		MaxAge: int(s.cfg.RefreshTokenTTL.Seconds()), Secure: secure,
		SameSite: http.SameSiteStrictMode})
	return writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(s.tokens.TTL().Seconds()), CSRFToken: csrfToken,
	})
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshTokenFrom reads the refresh token from the body or, for the
// console, from its cookie; a cookie must come with the matching CSRF header.
func (s *Server) refreshTokenFrom(w http.ResponseWriter, r *http.Request) (string, error) {
	var req refreshRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			return "", err
		}
	}
	if req.RefreshToken != "" {
		return req.RefreshToken, nil
	}
	c, err := r.Cookie(refreshCookie)
	if err != nil || c.Value == "" {
		return "", errValidation(FieldError{Field: "refresh_token", Code: "required",
			Message: "is required"})
	}
	csrf, err := r.Cookie(csrfCookie)
	header := r.Header.Get(csrfHeader)
	if err != nil || header == "" ||
		subtle.ConstantTimeCompare([]byte(csrf.Value), []byte(header)) != 1 {
		return "", errForbidden("the CSRF token is missing or wrong")
	}
	return c.Value, nil
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	token, err := s.refreshTokenFrom(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rt, err := s.store.RefreshTokenByHash(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return errUnauthorized("the refresh token is invalid")
	}
	if err != nil {
		return err
	}
	if !rt.RevokedAt.IsZero() || s.now().After(rt.ExpiresAt) {
		return errUnauthorized("the refresh token is expired or revoked")
	}
	won, err := s.store.MarkRefreshTokenUsed(ctx, rt.ID)
	if err != nil {
		return err
	}
	if !won {
		// A used token presented again means it was stolen, or the client
		// replayed it: revoke the whole family so the thief's copy dies too.
		if err := s.store.RevokeRefreshFamily(ctx, rt.FamilyID); err != nil {
			return err
		}
		s.auditEntry(ctx, &store.AuditEntry{ActorType: "user", ActorID: rt.UserID,
			Action: "auth.refresh_reused", TargetType: "refresh_family", TargetID: rt.FamilyID,
			IP: s.clientIP(r), UserAgent: r.UserAgent()})
		return errUnauthorized("the refresh token was already used; sign in again")
	}
	u, err := s.store.UserByID(ctx, rt.UserID)
	if err != nil || u.Status != "active" {
		return errUnauthorized("the account is not active")
	}
	return s.issueTokens(w, r, rt.UserID, rt.FamilyID)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	token, err := s.refreshTokenFrom(w, r)
	if err != nil {
		return err
	}
	rt, err := s.store.RefreshTokenByHash(r.Context(), auth.HashToken(token))
	if err == nil {
		if err := s.store.RevokeRefreshFamily(r.Context(), rt.FamilyID); err != nil {
			return err
		}
		s.auditEntry(r.Context(), &store.AuditEntry{ActorType: "user", ActorID: rt.UserID,
			Action: "auth.logout", TargetType: "user", TargetID: rt.UserID,
			IP: s.clientIP(r), UserAgent: r.UserAgent()})
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Path: "/api/v1/auth", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1,
		SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func jsonObject(kv ...string) []byte {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

// CreateUser creates an active user with a personal organization; it backs
// `reelforge admin create-user` and the first-start owner.
func CreateUser(ctx context.Context, st *store.Store, email, name, password string,
	cost int) (*store.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var v validator
	v.email("email", email)
	v.text("name", name, false, 200)
	if err := auth.CheckPasswordPolicy(password); err != nil {
		v.add("password", "weak_password", err.Error())
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(password, cost)
	if err != nil {
		return nil, err
	}
	u := &store.User{Email: email, Name: name, PasswordHash: hash}
	if _, err := st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, errConflict("a user with this email exists",
				FieldError{Field: "email", Code: "taken", Message: "is already registered"})
		}
		return nil, err
	}
	return u, nil
}
