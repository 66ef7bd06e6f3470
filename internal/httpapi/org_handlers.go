package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if p.Key != nil {
		return writeJSON(w, http.StatusOK, map[string]any{"api_key": p.Key})
	}
	u, err := s.store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	orgs, err := s.store.OrganizationsOf(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if orgs == nil {
		orgs = []*store.Organization{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": u, "organizations": orgs})
}

type updateMeRequest struct {
	Name            *string `json:"name"`
	Locale          *string `json:"locale"`
	CurrentPassword string  `json:"current_password"`
	NewPassword     string  `json:"new_password"`
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	userID, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	var req updateMeRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), userID)
	if err != nil {
		return err
	}
	var v validator
	if req.Name != nil {
		v.text("name", *req.Name, false, 200)
		u.Name = strings.TrimSpace(*req.Name)
	}
	if req.Locale != nil {
		if *req.Locale != "" && *req.Locale != "zh-CN" && *req.Locale != "en" {
			v.add("locale", "invalid", "must be zh-CN or en")
		}
		u.Locale = *req.Locale
	}
	if req.NewPassword != "" {
		if !auth.VerifyPassword(u.PasswordHash, req.CurrentPassword) {
			v.add("current_password", "wrong_password", "is not the current password")
		} else if err := auth.CheckPasswordPolicy(req.NewPassword); err != nil {
			v.add("new_password", "weak_password", err.Error())
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	if req.NewPassword != "" {
		if u.PasswordHash, err = auth.HashPassword(req.NewPassword, s.cfg.PasswordCost); err != nil {
			return err
		}
		s.audit(r, "", "user.password_changed", "user", u.ID, nil)
	}
	if err := s.store.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	var orgs []*store.Organization
	if p.Key != nil {
		o, err := s.orgAccess(r.Context(), p.Key.OrgID, auth.RoleViewer)
		if err != nil {
			return err
		}
		orgs = []*store.Organization{o}
	} else {
		var err error
		if orgs, err = s.store.OrganizationsOf(r.Context(), p.UserID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, newPage(orgs, len(orgs),
		store.ListParams{Limit: len(orgs)}))
}

type orgRequest struct {
	Name *string `json:"name"`
	// MonthlyBudgetCents is raw so that an explicit null (no budget) can be
	// told apart from an absent field (leave it as it is).
	MonthlyBudgetCents json.RawMessage `json:"monthly_budget_cents"`
	Settings           json.RawMessage `json:"settings"`
}

func (req *orgRequest) apply(o *store.Organization, creating bool) error {
	var v validator
	if req.Name != nil || creating {
		name := ""
		if req.Name != nil {
			name = strings.TrimSpace(*req.Name)
		}
		v.text("name", name, true, 200)
		o.Name = name
	}
	switch raw := string(req.MonthlyBudgetCents); raw {
	case "":
	case "null":
		o.MonthlyBudgetCents = nil
	default:
		var cents int64
		if err := json.Unmarshal(req.MonthlyBudgetCents, &cents); err != nil || cents < 0 {
			v.add("monthly_budget_cents", "invalid", "must be null or an integer of zero or more")
		}
		o.MonthlyBudgetCents = &cents
	}
	if req.Settings != nil {
		settings, ok := compactJSON(req.Settings)
		if !ok {
			v.add("settings", "invalid", "must be a JSON object")
		}
		o.Settings = settings
	}
	return v.err()
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) error {
	userID, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	var req orgRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	o := &store.Organization{OwnerID: userID}
	if err := req.apply(o, true); err != nil {
		return err
	}
	if err := s.store.CreateOrganization(r.Context(), o); err != nil {
		return err
	}
	s.audit(r, o.ID, "organization.created", "organization", o.ID, nil)
	return writeJSON(w, http.StatusCreated, o)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req orgRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := req.apply(o, false); err != nil {
		return err
	}
	if err := s.store.UpdateOrganization(r.Context(), o); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleOwner)
	if err != nil {
		return err
	}
	if o.Personal {
		return errConflict("a personal organization cannot be deleted")
	}
	if err := s.store.DeleteOrganization(r.Context(), o.ID); err != nil {
		return err
	}
	s.audit(r, o.ID, "organization.deleted", "organization", o.ID,
		map[string]string{"name": o.Name})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type memberRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// memberInput validates an email and role; owner cannot be granted this
// way, since ownership moves only through a transfer.
func (s *Server) memberInput(r *http.Request, req memberRequest,
	needEmail bool) (*store.User, auth.Role, error) {
	var v validator
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if needEmail {
		v.email("email", email)
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil || role == auth.RoleOwner {
		v.add("role", "invalid", "must be admin, editor or viewer")
	}
	if err := v.err(); err != nil {
		return nil, "", err
	}
	if !needEmail {
		return nil, role, nil
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", errValidation(FieldError{Field: "email", Code: "unknown_user",
			Message: "no user has this email"})
	}
	return u, role, err
}

func (s *Server) listOrgMembers(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	ms, err := s.store.OrgMembers(r.Context(), o.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(ms, len(ms), store.ListParams{Limit: len(ms)}))
}

func (s *Server) addOrgMember(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	u, role, err := s.memberInput(r, req, true)
	if err != nil {
		return err
	}
	current, err := s.store.OrgRole(r.Context(), o.ID, u.ID)
	if err != nil {
		return err
	}
	if current != "" {
		return errConflict("the user is already a member",
			FieldError{Field: "email", Code: "already_member", Message: "is already a member"})
	}
	if err := s.store.PutOrgMember(r.Context(), o.ID, u.ID, role); err != nil {
		return err
	}
	s.audit(r, o.ID, "member.added", "user", u.ID, map[string]string{"role": string(role)})
	return writeJSON(w, http.StatusCreated, store.Member{UserID: u.ID, Email: u.Email,
		Name: u.Name, Role: role, CreatedAt: s.now().UTC()})
}

func (s *Server) updateOrgMember(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	_, role, err := s.memberInput(r, req, false)
	if err != nil {
		return err
	}
	userID := r.PathValue("user_id")
	current, err := s.store.OrgRole(r.Context(), o.ID, userID)
	if err != nil {
		return err
	}
	if current == "" {
		return errNotFound("member")
	}
	if current == auth.RoleOwner {
		return errConflict("the owner's role changes only by a transfer of ownership")
	}
	if current == auth.RoleAdmin && o.Role != auth.RoleOwner {
		return errForbidden("only the owner changes an admin's role")
	}
	if err := s.store.PutOrgMember(r.Context(), o.ID, userID, role); err != nil {
		return err
	}
	s.audit(r, o.ID, "member.role_changed", "user", userID,
		map[string]string{"from": string(current), "to": string(role)})
	return writeJSON(w, http.StatusOK, map[string]any{"user_id": userID, "role": role})
}

func (s *Server) removeOrgMember(w http.ResponseWriter, r *http.Request) error {
	orgID, userID := r.PathValue("org_id"), r.PathValue("user_id")
	min := auth.RoleAdmin
	if p := principalFrom(r.Context()); p.Key == nil && p.UserID == userID {
		min = auth.RoleViewer // anyone may leave
	}
	o, err := s.orgAccess(r.Context(), orgID, min)
	if err != nil {
		return err
	}
	current, err := s.store.OrgRole(r.Context(), o.ID, userID)
	if err != nil {
		return err
	}
	switch {
	case current == "":
		return errNotFound("member")
	case current == auth.RoleOwner:
		return errConflict("the owner cannot be removed; transfer ownership first")
	case current == auth.RoleAdmin && o.Role != auth.RoleOwner &&
		principalFrom(r.Context()).UserID != userID:
		return errForbidden("only the owner removes an admin")
	}
	if err := s.store.RemoveOrgMember(r.Context(), o.ID, userID); err != nil {
		return err
	}
	s.audit(r, o.ID, "member.removed", "user", userID, map[string]string{"role": string(current)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type transferRequest struct {
	UserID string `json:"user_id"`
}

// transferOrg hands ownership to another member; the old owner stays as an
// admin.
func (s *Server) transferOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleOwner)
	if err != nil {
		return err
	}
	var req transferRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.UserID == "" {
		return errValidation(FieldError{Field: "user_id", Code: "required", Message: "is required"})
	}
	if o.Personal {
		return errConflict("a personal organization cannot be transferred")
	}
	if req.UserID == o.OwnerID {
		return errValidation(FieldError{Field: "user_id", Code: "already_owner",
			Message: "is already the owner"})
	}
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		role, err := tx.OrgRole(r.Context(), o.ID, req.UserID)
		if err != nil {
			return err
		}
		if role == "" {
			return errValidation(FieldError{Field: "user_id", Code: "not_member",
				Message: "must be a member of the organization"})
		}
		if err := tx.PutOrgMember(r.Context(), o.ID, o.OwnerID, auth.RoleAdmin); err != nil {
			return err
		}
		if err := tx.PutOrgMember(r.Context(), o.ID, req.UserID, auth.RoleOwner); err != nil {
			return err
		}
		o.OwnerID = req.UserID
		return tx.UpdateOrganization(r.Context(), o)
	})
	if err != nil {
		return err
	}
	s.audit(r, o.ID, "organization.transferred", "user", req.UserID, nil)
	o.Role = auth.RoleAdmin
	return writeJSON(w, http.StatusOK, o)
}

type apiKeyRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

type apiKeyCreated struct {
	*store.APIKey
	Key string `json:"key"`
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req apiKeyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var v validator
	v.text("name", req.Name, true, 100)
	role, rerr := auth.ParseRole(req.Role)
	if rerr != nil || role == auth.RoleOwner || !o.Role.AtLeast(role) {
		v.add("role", "invalid", "must be admin, editor or viewer, and not above your own role")
	}
	if err := v.err(); err != nil {
		return err
	}
	key, prefix, hash, err := auth.NewAPIKey()
	if err != nil {
		return err
	}
	_, actorID := principalFrom(r.Context()).actor()
	k := &store.APIKey{OrgID: o.ID, Name: strings.TrimSpace(req.Name), Prefix: prefix,
		KeyHash: hash, Role: role, CreatedBy: actorID}
	if err := s.store.CreateAPIKey(r.Context(), k); err != nil {
		return err
	}
	s.audit(r, o.ID, "api_key.created", "api_key", k.ID,
		map[string]string{"prefix": prefix, "role": string(role)})
	return writeJSON(w, http.StatusCreated, apiKeyCreated{APIKey: k, Key: key})
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	keys, err := s.store.ListAPIKeys(r.Context(), o.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(keys, len(keys), store.ListParams{Limit: len(keys)}))
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orgAccess(r.Context(), r.PathValue("org_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	id := r.PathValue("key_id")
	if err := s.store.RevokeAPIKey(r.Context(), o.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound("API key")
		}
		return err
	}
	s.audit(r, o.ID, "api_key.revoked", "api_key", id, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	orgID := r.URL.Query().Get("org_id")
	if orgID == "" {
		return errValidation(FieldError{Field: "org_id", Code: "required", Message: "is required"})
	}
	o, err := s.orgAccess(r.Context(), orgID, auth.RoleAdmin)
	if err != nil {
		return err
	}
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	entries, total, err := s.store.ListAudit(r.Context(), store.AuditFilter{OrgID: o.ID,
		Action: r.URL.Query().Get("action"), ListParams: lp})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(entries, total, lp))
}
