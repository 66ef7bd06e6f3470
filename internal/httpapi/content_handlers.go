package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

// snapshot is what a version keeps: every prompt and document of a project.
type snapshot struct {
	Prompts   []*store.Prompt   `json:"prompts"`
	Documents []*store.Document `json:"documents"`
}

type versionRequest struct {
	Name string `json:"name"`
	Note string `json:"note"`
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleEditor)
	if err != nil {
		return err
	}
	var req versionRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var v validator
	v.text("name", req.Name, true, 200)
	v.text("note", req.Note, false, 5000)
	if err := v.err(); err != nil {
		return err
	}
	ver := &store.Version{ProjectID: p.ID, Name: strings.TrimSpace(req.Name), Note: req.Note}
	_, ver.CreatedBy = principalFrom(r.Context()).actor()
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		snap, err := takeSnapshot(r, tx, p.ID)
		if err != nil {
			return err
		}
		if ver.Snapshot, err = json.Marshal(snap); err != nil {
			return err
		}
		if err := tx.CreateVersion(r.Context(), ver); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ID, "version", ver.ID, "created",
			"saved version "+ver.Name, nil)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ver)
}

func takeSnapshot(r *http.Request, tx *store.Store, projectID string) (*snapshot, error) {
	prompts, _, err := tx.ListPrompts(r.Context(), projectID,
		store.ListParams{Limit: 100000, Sort: "created_at"})
	if err != nil {
		return nil, err
	}
	docs, err := tx.ProjectDocuments(r.Context(), projectID)
	if err != nil {
		return nil, err
	}
	return &snapshot{Prompts: prompts, Documents: docs}, nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	items, total, err := s.store.ListVersions(r.Context(), p.ID, lp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, total, lp))
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	ver, err := s.store.VersionByID(r.Context(), p.ID, r.PathValue("version_id"))
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound("version")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ver)
}

// restoreVersion puts the project's prompts and documents back as they were
// in a version, in one transaction, after saving the current state as an
// automatic version so that a restore can itself be undone.
func (s *Server) restoreVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleEditor)
	if err != nil {
		return err
	}
	ver, err := s.store.VersionByID(r.Context(), p.ID, r.PathValue("version_id"))
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound("version")
	}
	if err != nil {
		return err
	}
	var snap snapshot
	if err := json.Unmarshal(ver.Snapshot, &snap); err != nil {
		return err
	}
	var backup *store.Version
	err = s.store.InTx(r.Context(), func(tx *store.Store) error {
		current, err := takeSnapshot(r, tx, p.ID)
		if err != nil {
			return err
		}
		backup = &store.Version{ProjectID: p.ID, Name: "before restoring " + ver.Name,
			Note: "saved automatically before a restore"}
		_, backup.CreatedBy = principalFrom(r.Context()).actor()
		if backup.Snapshot, err = json.Marshal(current); err != nil {
			return err
		}
		if err := tx.CreateVersion(r.Context(), backup); err != nil {
			return err
		}
		var keepPrompts, keepDocs []string
		for _, pr := range snap.Prompts {
			pr.ProjectID = p.ID
			if err := tx.RestorePrompt(r.Context(), pr); err != nil {
				return err
			}
			keepPrompts = append(keepPrompts, pr.ID)
		}
		if err := tx.DeletePromptsExcept(r.Context(), p.ID, keepPrompts); err != nil {
			return err
		}
		for _, d := range snap.Documents {
			d.ProjectID = p.ID
			if err := tx.PutDocument(r.Context(), d); err != nil {
				return err
			}
			keepDocs = append(keepDocs, d.ID)
		}
		if err := tx.DeleteDocumentsExcept(r.Context(), p.ID, keepDocs); err != nil {
			return err
		}
		return change(r.Context(), tx, p.ID, "version", ver.ID, "restored",
			"restored version "+ver.Name, map[string]string{"backup_version_id": backup.ID})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"restored": ver.ID, "backup_version_id": backup.ID,
		"prompts": len(snap.Prompts), "documents": len(snap.Documents),
	})
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectAccess(r.Context(), r.PathValue("project_id"), auth.RoleViewer)
	if err != nil {
		return err
	}
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, total, err := s.store.ListChanges(r.Context(), store.ChangeFilter{ProjectID: p.ID,
		Entity: q.Get("entity"), ActorID: q.Get("actor_id"), ListParams: lp})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, total, lp))
}
