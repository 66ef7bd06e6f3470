package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// Storage tiers recorded in storage_files.tier.
const (
	// TierHot is a file on the working disk, next to FFmpeg.
	TierHot = "hot"
	// TierCold is the copy of a final file on object storage.
	TierCold = "cold"
)

// Archive copies a final file from the hot disk to cold storage and
// records the copy as a "cold" storage_files row with the same key, size
// and checksum. Without cold storage it does nothing. It is idempotent: a
// copy recorded before is not made again, so work repeated after a crash
// costs nothing.
func (e *Engine) Archive(ctx context.Context, hot *store.StorageFile) error {
	if e.Cold == nil {
		return nil
	}
	_, err := e.Store.StorageFileByPath(ctx, e.Cold.Name(), hot.Path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	obj, err := storage.Copy(ctx, e.Cold, e.Disk, hot.Path)
	if err != nil {
		return fmt.Errorf("engine: archiving %s: %w", hot.Path, err)
	}
	cold := &store.StorageFile{Disk: e.Cold.Name(), Path: hot.Path, SizeBytes: obj.Size,
		ChecksumSHA256: hot.ChecksumSHA256, MIME: hot.MIME, Tier: TierCold}
	if err := e.Store.CreateStorageFile(ctx, cold); err != nil &&
		!errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// archiveKey archives the hot file recorded under key. A failure is logged
// and reported as a task event, not returned: the file stays hot, where it
// is served from and where cleanup never removes it, since it is the only
// copy.
func (e *Engine) archiveKey(ctx context.Context, job *store.Job, t *store.Task, key string) {
	if e.Cold == nil {
		return
	}
	f, err := e.Store.StorageFileByPath(ctx, e.Disk.Name(), key)
	if err == nil {
		err = e.Archive(ctx, f)
	}
	if err != nil {
		e.Logger.ErrorContext(ctx, "engine: copying a final file to cold storage",
			slog.String("job_id", job.ID), slog.String("task_id", t.ID),
			slog.String("error", err.Error()))
		e.event(ctx, job.ID, t.ID, "warn", "task.archive_failed",
			"a final file could not be copied to object storage; it stays on local disk", nil)
	}
}

// coldCopy returns the cold copy of a file, or nil when there is none.
func (e *Engine) coldCopy(ctx context.Context, f *store.StorageFile) (*store.StorageFile,
	error) {
	if e.Cold == nil || f.Disk == e.Cold.Name() {
		return nil, nil
	}
	c, err := e.Store.StorageFileByPath(ctx, e.Cold.Name(), f.Path)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// FileURL signs a link to a stored file that works for ttl; a non-empty
// download makes it an attachment of that name. The cold copy is preferred
// when there is one, so browsers fetch from object storage (or the CDN in
// front of it) rather than from this server.
func (e *Engine) FileURL(ctx context.Context, f *store.StorageFile, ttl time.Duration,
	download string) (string, error) {
	c, err := e.coldCopy(ctx, f)
	if err != nil {
		return "", err
	}
	if c != nil {
		return e.Cold.URL(ctx, c.Path, ttl, download)
	}
	return e.Disk.URL(ctx, f.Path, ttl, download)
}

// OpenFile opens a stored file for reading: the hot copy, or the cold copy
// when cleanup removed the hot one. The caller closes the reader.
func (e *Engine) OpenFile(ctx context.Context, f *store.StorageFile) (io.ReadCloser, error) {
	rc, _, err := e.Disk.Open(ctx, f.Path)
	if err == nil || !errors.Is(err, storage.ErrNotFound) {
		return rc, err
	}
	c, cerr := e.coldCopy(ctx, f)
	if cerr != nil || c == nil {
		return nil, errors.Join(err, cerr)
	}
	rc, _, err = e.Cold.Open(ctx, c.Path)
	return rc, err
}

// LocalFile returns a path FFmpeg can read with the content of a stored
// file, and a cleanup to call when done: the hot file itself when it is on
// a local disk, else a temporary copy in TempDir.
func (e *Engine) LocalFile(ctx context.Context, f *store.StorageFile) (string, func(), error) {
	if l, ok := e.Disk.(*storage.Local); ok {
		if p, err := l.Path(f.Path); err == nil {
			if _, err := os.Stat(p); err == nil {
				return p, func() {}, nil
			}
		}
	}
	rc, err := e.OpenFile(ctx, f)
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(e.TempDir, "src-*"+filepath.Ext(f.Path))
	if err != nil {
		return "", nil, fmt.Errorf("engine: making a local copy: %w", err)
	}
	done := func() { _ = os.Remove(tmp.Name()) }
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		done()
		return "", nil, fmt.Errorf("engine: making a local copy: %w", err)
	}
	return tmp.Name(), done, nil
}
