package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/store"
)

// listProviders shows each enabled provider as an organization sees it:
// whose key it uses, circuit state, capabilities, prices and current use.
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	orgID := r.URL.Query().Get("org_id")
	if p := principalFrom(r.Context()); orgID == "" && p.Key != nil {
		orgID = p.Key.OrgID
	}
	if orgID == "" {
		return errValidation(FieldError{Field: "org_id", Code: "required", Message: "is required"})
	}
	if _, err := s.orgAccess(r.Context(), orgID, auth.RoleViewer); err != nil {
		return err
	}
	infos, err := s.deps.Engine.ProviderInfos(r.Context(), orgID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(infos, len(infos),
		store.ListParams{Limit: len(infos)}))
}

type accountRequest struct {
	Provider string          `json:"provider"`
	Name     string          `json:"name"`
	Secret   string          `json:"secret"`
	Config   json.RawMessage `json:"config"`
}

// createProviderAccount stores an organization's key for a provider. The
// key is sealed at once and never returned by any route.
func (s *Server) createProviderAccount(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	org, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req accountRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var v validator
	if !slices.Contains(s.deps.Engine.Providers.Names(), req.Provider) {
		v.add("provider", "invalid", "must be an enabled provider: "+
			strings.Join(s.deps.Engine.Providers.Names(), ", "))
	}
	v.text("name", req.Name, true, 100)
	v.text("secret", req.Secret, true, 20000)
	cfg, ok := compactJSON(req.Config)
	if !ok {
		v.add("config", "invalid", "must be a JSON object")
	}
	if err := v.err(); err != nil {
		return err
	}
	if s.deps.Box == nil {
		return problem(http.StatusServiceUnavailable, "not_ready", "key storage is not configured")
	}
	a := &store.ProviderAccount{ID: store.NewID(), OrgID: org.ID, Provider: req.Provider,
		Name: strings.TrimSpace(req.Name), Config: cfg}
	_, a.CreatedBy = principalFrom(r.Context()).actor()
	sealed, err := s.deps.Box.Seal([]byte(req.Secret), []byte(a.ID))
	if err != nil {
		return err
	}
	a.SecretCiphertext, a.WrappedKey, a.KeyVersion = sealed.Ciphertext, sealed.WrappedKey,
		sealed.KeyVersion
	if err := s.store.CreateProviderAccount(r.Context(), a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errConflict("an account with this name exists",
				FieldError{Field: "name", Code: "taken", Message: "is already used"})
		}
		return err
	}
	s.deps.Engine.ForgetAccounts()
	s.audit(r, org.ID, "provider_account.created", "provider_account", a.ID,
		map[string]string{"provider": a.Provider})
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) listProviderAccounts(w http.ResponseWriter, r *http.Request) error {
	org, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	accts, err := s.store.ProviderAccounts(r.Context(), org.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(accts, len(accts),
		store.ListParams{Limit: len(accts)}))
}

func (s *Server) deleteProviderAccount(w http.ResponseWriter, r *http.Request) error {
	org, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	id := r.PathValue("account_id")
	if err := s.store.DeleteProviderAccount(r.Context(), org.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound("provider account")
		}
		return err
	}
	if s.deps.Engine != nil {
		s.deps.Engine.ForgetAccounts()
	}
	s.audit(r, org.ID, "provider_account.deleted", "provider_account", id, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxWebhookBytes caps a provider's push; they carry a job's status, not
// its media.
const maxWebhookBytes = 1 << 20

// webhook takes a provider's push. It needs no credentials of ours: the
// URL carries the task's signature and the adapter checks the vendor's own.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		return decodeProblem(err)
	}
	err = s.deps.Engine.Webhook(r.Context(), r.PathValue("provider"), r.URL.Query(),
		func(wh provider.Webhooker) (string, error) { return wh.Webhook(r, body) })
	if errors.Is(err, engine.ErrWebhookRejected) {
		s.auditEntry(r.Context(), &store.AuditEntry{ActorType: "anonymous",
			Action: "webhook.rejected", TargetType: "provider", TargetID: r.PathValue("provider"),
			IP: s.clientIP(r), UserAgent: r.UserAgent()})
		return errUnauthorized("the webhook could not be verified")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
