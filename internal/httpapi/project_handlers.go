package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

type projectRequest struct {
	OrgID       string          `json:"org_id"`
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Settings    json.RawMessage `json:"settings"`
}

func (req *projectRequest) apply(p *store.Project, creating bool) error {
	var v validator
	if creating && req.OrgID == "" {
		v.add("org_id", "required", "is required")
	}
	if !creating && req.OrgID != "" && req.OrgID != p.OrgID {
		v.add("org_id", "immutable", "cannot be changed")
	}
	if req.Name != nil || creating {
		name := ""
		if req.Name != nil {
			name = strings.TrimSpace(*req.Name)
		}
		v.text("name", name, true, 200)
		p.Name = name
	}
	if req.Description != nil {
		v.text("description", *req.Description, false, 5000)
		p.Description = *req.Description
	}
	if req.Settings != nil {
		settings, ok := compactJSON(req.Settings)
		if !ok {
			v.add("settings", "invalid", "must be a JSON object")
		}
		p.Settings = settings
	}
	return v.err()
}

func nameTaken(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return errConflict("the name is already used",
			FieldError{Field: "name", Code: "taken", Message: "is already used in this organization"})
	}
	return err
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	p := &store.Project{OrgID: req.OrgID}
	if err := req.apply(p, true); err != nil {
		return err
	}
	org, err := s.orgAccess(r.Context(), req.OrgID, auth.RoleEditor)
	if err != nil {
		return err
	}
	_, p.CreatedBy = principalFrom(r.Context()).actor()
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreateProject(r.Context(), p); err != nil {
			return nameTaken(err)
		}
		return change(r.Context(), tx, p.ID, "project", p.ID, "created", "created "+p.Name, nil)
	})
	if err != nil {
		return err
	}
	p.Role = org.Role
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	f := store.ProjectFilter{OrgID: r.URL.Query().Get("org_id"), ListParams: lp}
	if p := principalFrom(r.Context()); p.Key != nil {
		f.APIKeyOrgID = p.Key.OrgID
	} else {
		f.UserID = p.UserID
	}
	items, total, err := s.store.ListProjects(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, total, lp))
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req projectRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	before := *p
	if err := req.apply(p, false); err != nil {
		return err
	}
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.UpdateProject(r.Context(), p); err != nil {
			return nameTaken(err)
		}
		return change(r.Context(), tx, p.ID, "project", p.ID, "updated", "updated settings",
			map[string]any{"before": map[string]any{"name": before.Name,
				"description": before.Description, "settings": before.Settings},
				"after": map[string]any{"name": p.Name, "description": p.Description,
					"settings": p.Settings}})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleOwner)
	if err != nil {
		return err
	}
	if err := s.store.DeleteProject(r.Context(), p.ID); err != nil {
		return err
	}
	s.audit(r, p.OrgID, "project.deleted", "project", p.ID, map[string]string{"name": p.Name})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listProjectMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	ms, err := s.store.ProjectMembers(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(ms, len(ms), store.ListParams{Limit: len(ms)}))
}

func (s *Server) putProjectMember(w http.ResponseWriter, r *http.Request, adding bool) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	u, role, err := s.memberInput(r, req, adding)
	if err != nil {
		return err
	}
	if !p.Role.AtLeast(role) {
		return errForbidden("you cannot grant a role above your own")
	}
	userID := r.PathValue("user_id")
	if adding {
		userID = u.ID
	}
	var from auth.Role
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		members, err := tx.ProjectMembers(r.Context(), p.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.UserID == userID {
				from = m.Role
			}
		}
		switch {
		case adding && from != "":
			return errConflict("the user is already a project member",
				FieldError{Field: "email", Code: "already_member", Message: "is already a member"})
		case !adding && from == "":
			return errNotFound("member")
		}
		if err := tx.PutProjectMember(r.Context(), p.ID, userID, role); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ID, "member", userID, "role_set",
			"set role "+string(role), map[string]string{"from": string(from), "to": string(role)})
	})
	if err != nil {
		return err
	}
	action := "project_member.added"
	if !adding {
		action = "project_member.role_changed"
	}
	s.audit(r, p.OrgID, action, "user", userID,
		map[string]string{"project_id": p.ID, "from": string(from), "to": string(role)})
	members, err := s.store.ProjectMembers(r.Context(), p.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.UserID == userID {
			status := http.StatusOK
			if adding {
				status = http.StatusCreated
			}
			return writeJSON(w, status, m)
		}
	}
	return errNotFound("member")
}

func (s *Server) addProjectMember(w http.ResponseWriter, r *http.Request) error {
	return s.putProjectMember(w, r, true)
}

func (s *Server) updateProjectMember(w http.ResponseWriter, r *http.Request) error {
	return s.putProjectMember(w, r, false)
}

func (s *Server) removeProjectMember(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleAdmin)
	if err != nil {
		return err
	}
	userID := r.PathValue("user_id")
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		if err := tx.RemoveProjectMember(r.Context(), p.ID, userID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errNotFound("member")
			}
			return err
		}
		return change(r.Context(), tx, p.ID, "member", userID, "removed", "removed member", nil)
	})
	if err != nil {
		return err
	}
	s.audit(r, p.OrgID, "project_member.removed", "user", userID,
		map[string]string{"project_id": p.ID})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
