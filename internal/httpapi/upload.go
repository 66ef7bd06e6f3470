package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// uploadOverhead is what a multipart body may hold besides the file: the
// boundaries, part headers and the project_id field.
const uploadOverhead = 64 << 10

// spool is an uploaded file written to a temporary file while it was
// hashed, so that no upload is ever held in memory.
type spool struct {
	path   string
	name   string
	size   int64
	sha256 string
	head   []byte
}

func (sp *spool) remove() {
	if sp != nil {
		_ = os.Remove(sp.path)
	}
}

// headWriter keeps the first SniffLen bytes written through it.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if n := storage.SniffLen - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// errUploadTooLarge is the problem of a file over MaxUploadBytes.
func (s *Server) errUploadTooLarge() *Problem {
	return problem(http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("the file is larger than %d bytes", s.cfg.MaxUploadBytes))
}

// spoolPart streams a file part into dir, hashing it and keeping its head,
// and fails with 413 once it passes the upload limit.
func (s *Server) spoolPart(part *multipart.Part, dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("httpapi: creating upload spool: %w", err)
	}
	sp := &spool{path: f.Name(), name: part.FileName()}
	h, head := sha256.New(), &headWriter{}
	limit := s.cfg.MaxUploadBytes
	n, err := io.Copy(io.MultiWriter(f, h, head), io.LimitReader(part, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		sp.remove()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, s.errUploadTooLarge()
		}
		return nil, errBadRequest("malformed_multipart", "the upload ended early")
	case n > limit:
		sp.remove()
		return nil, s.errUploadTooLarge()
	}
	sp.size, sp.sha256, sp.head = n, hex.EncodeToString(h.Sum(nil)), head.b
	return sp, nil
}

// readUpload reads the multipart form of POST /api/v1/assets: project_id,
// whose access is checked as soon as it arrives, and file, spooled to disk.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (*store.Project, *spool,
	error) {
	if r.ContentLength > s.cfg.MaxUploadBytes+uploadOverhead {
		return nil, nil, s.errUploadTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+uploadOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, problem(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the body must be multipart/form-data with the fields project_id and file")
	}
	var (
		proj *store.Project
		up   *spool
		pid  string
	)
	fail := func(err error) (*store.Project, *spool, error) {
		up.remove()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, s.errUploadTooLarge()
		}
		return nil, nil, err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return fail(err)
			}
			return fail(errBadRequest("malformed_multipart", "the multipart body is malformed"))
		}
		switch part.FormName() {
		case "project_id":
			b, err := io.ReadAll(io.LimitReader(part, 201))
			if err != nil {
				return fail(err)
			}
			pid = strings.TrimSpace(string(b))
			if pid == "" || len(b) > 200 {
				return fail(errValidation(FieldError{Field: "project_id", Code: "invalid",
					Message: "must be a project id"}))
			}
			if proj, err = s.projectAccess(r.Context(), pid, auth.RoleEditor); err != nil {
				return fail(err)
			}
		case "file":
			if up != nil {
				return fail(errValidation(FieldError{Field: "file", Code: "duplicate",
					Message: "send one file per upload"}))
			}
			if up, err = s.spoolPart(part, s.deps.Engine.TempDir); err != nil {
				return fail(err)
			}
		default:
			return fail(errValidation(FieldError{Field: part.FormName(),
				Code: "unknown_field", Message: "is not a known field"}))
		}
	}
	var v validator
	if pid == "" {
		v.add("project_id", "required", "is required")
	}
	if up == nil {
		v.add("file", "required", "is required")
	}
	if err := v.err(); err != nil {
		return fail(err)
	}
	return proj, up, nil
}

// uploadName cleans the client's file name for the asset's name and the
// download file name: the last path element, valid UTF-8, no control
// characters, at most 200 bytes, extension kept.
func uploadName(raw string) string {
	name := path.Base(strings.ReplaceAll(raw, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == '/' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if len(name) > 200 {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		cut := 200 - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + ext
	}
	if name == "" || name == "." {
		return "upload"
	}
	return name
}

// kindOf names an upload's asset kind from its MIME type.
func kindOf(mimeType string) string {
	switch {
	case strings.HasPrefix(mimeType, "video/"):
		return "video"
	case strings.HasPrefix(mimeType, "image/"):
		return "image"
	case strings.HasPrefix(mimeType, "audio/"):
		return "audio"
	}
	return "subtitle"
}

// uploadAsset stores an uploaded file as an asset of a project (editor):
// POST /api/v1/assets, multipart/form-data with project_id and file.
func (s *Server) uploadAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	proj, up, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	defer up.remove()
	ctx := r.Context()
	name := uploadName(up.name)
	mimeType, err := storage.UploadType(name, up.head)
	switch {
	case errors.Is(err, storage.ErrUnsupportedType):
		return errValidation(FieldError{Field: "file", Code: "unsupported_type",
			Message: "the file type is not accepted; use one of " + storage.UploadExtensions})
	case errors.Is(err, storage.ErrTypeMismatch):
		return errValidation(FieldError{Field: "file", Code: "type_mismatch",
			Message: "the content is not what the file extension says"})
	case err != nil:
		return err
	}
	a := &store.Asset{OrgID: proj.OrgID, ProjectID: proj.ID, Kind: kindOf(mimeType),
		Name: name, MIME: mimeType, SizeBytes: up.size, ChecksumSHA256: up.sha256,
		Meta: []byte(`{"source":"upload"}`), Check: []byte("{}")}
	if err := s.probeUpload(ctx, up.path, a); err != nil {
		return err
	}
	key := fmt.Sprintf("projects/%s/uploads/%s%s", proj.ID, store.NewID(),
		strings.ToLower(path.Ext(name)))
	f, err := s.storeFile(ctx, up.path, key, a)
	if err != nil {
		return err
	}
	return s.publishAsset(w, r, a, f)
}

// probeUpload reads an uploaded video, audio file or image with ffprobe and
// records what it finds; a file ffprobe cannot read is refused with 422.
// Subtitles are text and are not probed.
func (s *Server) probeUpload(ctx context.Context, p string, a *store.Asset) error {
	if a.Kind == "subtitle" {
		return nil
	}
	info, err := s.deps.Engine.Media.Probe(ctx, p)
	if err != nil || (a.Kind == "video" && info.VideoCodec == "") {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errValidation(FieldError{Field: "file", Code: "unreadable",
			Message: "the file could not be read as " + a.Kind})
	}
	a.DurationMS = info.Duration.Milliseconds()
	a.Width, a.Height, a.FPS = info.Width, info.Height, info.FPS
	if a.Kind == "image" && a.MIME != "image/gif" {
		a.DurationMS, a.FPS = 0, 0 // a still has neither
	}
	a.VideoCodec, a.AudioCodec = info.VideoCodec, info.AudioCodec
	a.Meta = metaJSON(map[string]any{"source": "upload", "format": info.FormatName,
		"pix_fmt": info.PixFmt, "has_audio": info.HasAudio, "bitrate": info.Bitrate})
	return nil
}

// publishAsset records a stored file as an asset of the caller, copies it to
// cold storage when there is one, and answers 201 with the asset. A failed
// record removes the file, so nothing is left half-written.
func (s *Server) publishAsset(w http.ResponseWriter, r *http.Request, a *store.Asset,
	f *store.StorageFile) error {
	ctx := r.Context()
	a.CreatedBy = principalFrom(ctx).userID()
	a.StorageFileID = f.ID
	if err := s.store.CreateAsset(ctx, a); err != nil {
		s.dropFile(ctx, f)
		return err
	}
	s.archive(ctx, f)
	v, err := s.assetView(r, a)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/assets/"+a.ID)
	return writeJSON(w, http.StatusCreated, v)
}
