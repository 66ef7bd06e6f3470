package httpapi

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/store"
)

// Export limits keep one synchronous request bounded.
const (
	maxExportAssets     = 50
	maxExportRenditions = 8
	// exportPreset is the x264 speed preset of export renditions.
	exportPreset = "veryfast"
)

// exportRequest is the body of POST /api/v1/exports.
type exportRequest struct {
	ProjectID  string             `json:"project_id"`
	AssetIDs   []string           `json:"asset_ids"`
	Renditions []renditionRequest `json:"renditions"`
}

// renditionRequest asks for one extra deliverable of every video asset.
type renditionRequest struct {
	Tier   string `json:"tier"`
	Aspect string `json:"aspect"`
	Format string `json:"format"`
}

func (req *exportRequest) validate() error {
	var v validator
	if req.ProjectID == "" {
		v.add("project_id", "required", "is required")
	}
	switch n := len(req.AssetIDs); {
	case n == 0:
		v.add("asset_ids", "required", "must name at least one asset")
	case n > maxExportAssets:
		v.add("asset_ids", "too_many", fmt.Sprintf("must name at most %d assets",
			maxExportAssets))
	}
	for i, id := range req.AssetIDs {
		if id == "" || slices.Contains(req.AssetIDs[:i], id) {
			v.add(fmt.Sprintf("asset_ids[%d]", i), "invalid", "must be a distinct asset id")
		}
	}
	if len(req.Renditions) > maxExportRenditions {
		v.add("renditions", "too_many", fmt.Sprintf("must hold at most %d renditions",
			maxExportRenditions))
	}
	for i := range req.Renditions {
		rd := &req.Renditions[i]
		field := fmt.Sprintf("renditions[%d]", i)
		if rd.Format == "" {
			rd.Format = string(media.FormatMP4)
		}
		if !slices.Contains(media.Tiers, rd.Tier) {
			v.add(field+".tier", "invalid", "must be one of "+strings.Join(media.Tiers, ", "))
		}
		if !slices.Contains(media.Aspects, rd.Aspect) {
			v.add(field+".aspect", "invalid",
				"must be one of "+strings.Join(media.Aspects, ", "))
		}
		if rd.Format != string(media.FormatMP4) && rd.Format != string(media.FormatMOV) {
			v.add(field+".format", "invalid", "must be mp4 or mov")
		}
	}
	return v.err()
}

// zipEntry is one file of an export: a stored file or a local rendition.
type zipEntry struct {
	name  string
	file  *store.StorageFile // nil for a local file
	local string
}

// createExport packs chosen assets of a project, and renditions of its
// videos, into a ZIP that is streamed to storage and recorded as an asset
// of kind "export" (editor). Every asset must belong to the project; others
// answer 404 as if they did not exist.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	var req exportRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := r.Context()
	proj, err := s.projectAccess(ctx, req.ProjectID, auth.RoleEditor)
	if err != nil {
		return err
	}
	assets := make([]*store.Asset, 0, len(req.AssetIDs))
	for _, id := range req.AssetIDs {
		a, err := s.store.AssetByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && a.ProjectID != proj.ID) {
			return errNotFound("asset")
		}
		if err != nil {
			return err
		}
		assets = append(assets, a)
	}
	dir, err := os.MkdirTemp(s.deps.Engine.TempDir, "export-*")
	if err != nil {
		return fmt.Errorf("httpapi: making an export directory: %w", err)
	}
	defer os.RemoveAll(dir)
	entries, err := s.exportEntries(ctx, assets, req.Renditions, dir)
	if err != nil {
		return err
	}
	a := &store.Asset{OrgID: proj.OrgID, ProjectID: proj.ID, Kind: "export",
		Name: "export-" + s.now().UTC().Format("20060102-150405") + ".zip",
		MIME: "application/zip", Check: []byte("{}")}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.name
	}
	a.Meta = metaJSON(map[string]any{"source": "export", "asset_ids": req.AssetIDs,
		"files": names})
	key := fmt.Sprintf("projects/%s/exports/%s.zip", proj.ID, store.NewID())
	f, err := s.streamZip(ctx, key, entries, a)
	if err != nil {
		return err
	}
	return s.publishAsset(w, r, a, f)
}

// exportEntries lists the files of an export: each asset under its own
// name, then the renditions of each video under renditions/, all rendered
// from one decode of the source by media.Renditions.
func (s *Server) exportEntries(ctx context.Context, assets []*store.Asset,
	rends []renditionRequest, dir string) ([]zipEntry, error) {
	taken := map[string]bool{}
	var entries []zipEntry
	for i, a := range assets {
		f, err := s.store.StorageFileByID(ctx, a.StorageFileID)
		if err != nil {
			return nil, err
		}
		entries = append(entries, zipEntry{name: uniqueName(taken, a.Name), file: f})
		if a.Kind != "video" || len(rends) == 0 {
			continue
		}
		outs := make([]media.Output, len(rends))
		base := strings.TrimSuffix(a.Name, path.Ext(a.Name))
		var names []string
		for j, rd := range rends {
			outs[j] = media.Output{
				Path: filepath.Join(dir, fmt.Sprintf("%d-%d.%s", i, j, rd.Format)),
				Spec: media.Spec{Tier: rd.Tier, Aspect: rd.Aspect,
					Format: media.Format(rd.Format), Preset: exportPreset}}
			names = append(names, uniqueName(taken, fmt.Sprintf("renditions/%s-%s-%s.%s",
				base, rd.Tier, strings.ReplaceAll(rd.Aspect, ":", "x"), rd.Format)))
		}
		src, done, err := s.deps.Engine.LocalFile(ctx, f)
		if err != nil {
			return nil, err
		}
		err = s.deps.Engine.Media.Renditions(ctx, src, outs, nil)
		done()
		if err != nil {
			return nil, fmt.Errorf("httpapi: rendering export renditions: %w", err)
		}
		for j, o := range outs {
			entries = append(entries, zipEntry{name: names[j], local: o.Path})
		}
	}
	return entries, nil
}

// uniqueName keeps ZIP entry names distinct: a repeated name gets " (2)",
// " (3)"... before its extension.
func uniqueName(taken map[string]bool, name string) string {
	name = strings.TrimLeft(name, "/")
	ext := path.Ext(name)
	out := name
	for n := 2; taken[out]; n++ {
		out = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), n, ext)
	}
	taken[out] = true
	return out
}

// streamZip writes the ZIP through a pipe straight into Disk.Put, hashing
// it on the way, so an export is never held whole in memory or written
// twice; it records the stored file's row.
func (s *Server) streamZip(ctx context.Context, key string, entries []zipEntry,
	a *store.Asset) (*store.StorageFile, error) {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := s.writeZip(ctx, pw, entries)
		_ = pw.CloseWithError(err)
		errc <- err
	}()
	h := sha256.New()
	disk := s.deps.Engine.Disk
	obj, err := disk.Put(ctx, key, io.TeeReader(pr, h), -1, "application/zip")
	_ = pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
	if werr := <-errc; err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		_ = disk.Delete(context.WithoutCancel(ctx), key)
		return nil, fmt.Errorf("httpapi: writing export %s: %w", key, err)
	}
	a.SizeBytes, a.ChecksumSHA256 = obj.Size, hex.EncodeToString(h.Sum(nil))
	f := &store.StorageFile{Disk: disk.Name(), Path: key, SizeBytes: obj.Size,
		ChecksumSHA256: a.ChecksumSHA256, MIME: a.MIME, Tier: engine.TierHot}
	if err := s.store.CreateStorageFile(ctx, f); err != nil {
		_ = disk.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return f, nil
}

// writeZip writes every entry into w. Media is stored as is (it is already
// compressed); subtitles and other text are deflated.
func (s *Server) writeZip(ctx context.Context, w io.Writer, entries []zipEntry) error {
	zw := zip.NewWriter(w)
	modified := s.now().UTC().Truncate(time.Second)
	for _, e := range entries {
		method := zip.Store
		if strings.HasSuffix(strings.ToLower(e.name), ".srt") {
			method = zip.Deflate
		}
		dst, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method,
			Modified: modified})
		if err != nil {
			return err
		}
		if err := s.copyEntry(ctx, dst, e); err != nil {
			return fmt.Errorf("adding %s: %w", e.name, err)
		}
	}
	return zw.Close()
}

func (s *Server) copyEntry(ctx context.Context, dst io.Writer, e zipEntry) error {
	var (
		src io.ReadCloser
		err error
	)
	if e.file != nil {
		src, err = s.deps.Engine.OpenFile(ctx, e.file)
	} else {
		src, err = os.Open(e.local)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(dst, src)
	return err
}
