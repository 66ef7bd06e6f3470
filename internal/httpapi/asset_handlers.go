package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/store"
)

// assetKinds are the values of the kind filter of GET /api/v1/assets.
var assetKinds = map[string]bool{"video": true, "image": true, "audio": true,
	"subtitle": true, "export": true}

// metaJSON marshals an asset's metadata object.
func metaJSON(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// storeFile puts a local file on the hot disk under key and records its
// storage_files row; the asset a describes the file's size, checksum and
// type.
func (s *Server) storeFile(ctx context.Context, local, key string,
	a *store.Asset) (*store.StorageFile, error) {
	in, err := os.Open(local)
	if err != nil {
		return nil, fmt.Errorf("httpapi: opening %s: %w", local, err)
	}
	defer in.Close()
	disk := s.deps.Engine.Disk
	if _, err := disk.Put(ctx, key, in, a.SizeBytes, a.MIME); err != nil {
		return nil, fmt.Errorf("httpapi: storing %s: %w", key, err)
	}
	f := &store.StorageFile{Disk: disk.Name(), Path: key, SizeBytes: a.SizeBytes,
		ChecksumSHA256: a.ChecksumSHA256, MIME: a.MIME, Tier: engine.TierHot}
	if err := s.store.CreateStorageFile(ctx, f); err != nil {
		_ = disk.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return f, nil
}

// dropFile undoes storeFile after a later step failed: the row and the
// file go again.
func (s *Server) dropFile(ctx context.Context, f *store.StorageFile) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.DeleteStorageFiles(ctx, f.Path); err != nil {
		s.log.ErrorContext(ctx, "httpapi: removing an unused storage row",
			slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
	}
	s.deleteFiles(ctx, f.Path)
}

// archive copies a new final file to cold storage when there is one. A
// failure leaves the file hot, still served and never cleaned up, so it is
// logged rather than failing the request.
func (s *Server) archive(ctx context.Context, f *store.StorageFile) {
	if err := s.deps.Engine.Archive(ctx, f); err != nil {
		s.log.ErrorContext(ctx, "httpapi: copying a file to cold storage",
			slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
	}
}

// assetAccess loads the asset of the path and checks the caller's role in
// its project; assets of other organizations answer 404.
func (s *Server) assetAccess(r *http.Request, min auth.Role) (*store.Asset, error) {
	a, err := s.store.AssetByID(r.Context(), r.PathValue("asset_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("asset")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.projectAccess(r.Context(), a.ProjectID, min); err != nil {
		var pr *Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			return nil, errNotFound("asset")
		}
		return nil, err
	}
	return a, nil
}

// listAssets pages through a project's assets (viewer):
// GET /api/v1/assets?project_id=...[&kind=...].
func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.AssetFilter{ProjectID: q.Get("project_id"), Kind: q.Get("kind"), ListParams: lp}
	var v validator
	if f.ProjectID == "" {
		v.add("project_id", "required", "is required")
	}
	if f.Kind != "" && !assetKinds[f.Kind] {
		v.add("kind", "invalid", "must be video, image, audio, subtitle or export")
	}
	if err := v.err(); err != nil {
		return err
	}
	if _, err := s.projectAccess(r.Context(), f.ProjectID, auth.RoleViewer); err != nil {
		return err
	}
	assets, total, err := s.store.ListAssets(r.Context(), f)
	if err != nil {
		return err
	}
	views := make([]assetView, 0, len(assets))
	for _, a := range assets {
		av, err := s.assetView(r, a)
		if err != nil {
			return err
		}
		views = append(views, av)
	}
	return writeJSON(w, http.StatusOK, newPage(views, total, lp))
}

// getAsset returns an asset with a signed link to view it and one to
// download it as an attachment named after the asset (viewer).
func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.assetAccess(r, auth.RoleViewer)
	if err != nil {
		return err
	}
	v, err := s.assetView(r, a)
	if err != nil {
		return err
	}
	if s.deps.Engine != nil {
		f, err := s.store.StorageFileByID(r.Context(), a.StorageFileID)
		if err != nil {
			return err
		}
		v.DownloadURL, err = s.deps.Engine.FileURL(r.Context(), f, signedURLTTL, a.Name)
		if err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, v)
}

// deleteAsset removes an asset (editor). Its file goes too, from every
// disk, unless another asset row still points at it (a reused output).
func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	a, err := s.assetAccess(r, auth.RoleEditor)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var orphan *store.StorageFile
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteAsset(ctx, a.ID); err != nil {
			return err
		}
		n, err := tx.CountFileAssets(ctx, a.StorageFileID)
		if err != nil || n > 0 {
			return err
		}
		f, err := tx.StorageFileByID(ctx, a.StorageFileID)
		if err != nil {
			return err
		}
		orphan = f
		return tx.DeleteStorageFiles(ctx, f.Path)
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound("asset")
	}
	if err != nil {
		return err
	}
	if orphan != nil {
		s.deleteFiles(ctx, orphan.Path)
	}
	kind, id := principalFrom(ctx).actor()
	s.log.InfoContext(ctx, "httpapi: asset deleted", slog.String("request_id", requestID(ctx)),
		slog.String("project_id", a.ProjectID), slog.String("asset_id", a.ID),
		slog.String("actor_type", kind), slog.String("actor_id", id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteFiles removes the files of path from the hot and the cold disk
// after their rows are gone; a failure is logged, the rows being the truth.
func (s *Server) deleteFiles(ctx context.Context, p string) {
	ctx = context.WithoutCancel(ctx)
	err := s.deps.Engine.Disk.Delete(ctx, p)
	if cold := s.deps.Engine.Cold; cold != nil {
		err = errors.Join(err, cold.Delete(ctx, p))
	}
	if err != nil {
		s.log.ErrorContext(ctx, "httpapi: removing a deleted asset's file",
			slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
	}
}

// signedView fills the signed link of an asset view, preferring the cold
// copy of the file when there is one.
func (s *Server) signedView(ctx context.Context, v *assetView) error {
	f, err := s.store.StorageFileByID(ctx, v.StorageFileID)
	if err != nil {
		return err
	}
	v.URL, err = s.deps.Engine.FileURL(ctx, f, signedURLTTL, "")
	v.ExpiresAt = s.now().Add(signedURLTTL).UTC().Truncate(time.Second)
	return err
}
