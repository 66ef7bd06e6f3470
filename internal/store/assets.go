package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reelforge/reelforge/internal/db"
)

// StorageFile is a file on a disk; assets point at one.
type StorageFile struct {
	ID             string    `json:"id"`
	Disk           string    `json:"disk"`
	Path           string    `json:"path"`
	SizeBytes      int64     `json:"size_bytes"`
	ChecksumSHA256 string    `json:"checksum_sha256"`
	MIME           string    `json:"mime"`
	Tier           string    `json:"tier"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
}

// CreateStorageFile inserts a storage file row.
func (s *Store) CreateStorageFile(ctx context.Context, f *StorageFile) error {
	f.ID, f.CreatedAt = NewID(), db.Now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO storage_files (id, disk, path, size_bytes,
		checksum_sha256, mime, tier, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Disk, f.Path, f.SizeBytes, f.ChecksumSHA256, f.MIME, f.Tier,
		db.Time(f.CreatedAt), db.NullTime(f.ExpiresAt))
	return wrap(err, "recording storage file")
}

// StorageFileByID returns a storage file row.
func (s *Store) StorageFileByID(ctx context.Context, id string) (*StorageFile, error) {
	f := &StorageFile{}
	err := s.queryRow(ctx, `SELECT id, disk, path, size_bytes, checksum_sha256, mime,
		tier, created_at, expires_at FROM storage_files WHERE id = ?`, id).Scan(&f.ID, &f.Disk,
		&f.Path, &f.SizeBytes, &f.ChecksumSHA256, &f.MIME, &f.Tier, db.ScanTime(&f.CreatedAt),
		db.ScanTime(&f.ExpiresAt))
	return f, wrap(err, "reading storage file")
}

// Asset is a media file of a project: a generated clip, a poster, an upload.
type Asset struct {
	ID             string          `json:"id"`
	OrgID          string          `json:"org_id"`
	ProjectID      string          `json:"project_id"`
	JobID          string          `json:"job_id,omitempty"`
	TaskID         string          `json:"task_id,omitempty"`
	StorageFileID  string          `json:"-"`
	Kind           string          `json:"kind"`
	Name           string          `json:"name"`
	MIME           string          `json:"mime"`
	SizeBytes      int64           `json:"size_bytes"`
	ChecksumSHA256 string          `json:"checksum_sha256"`
	DurationMS     int64           `json:"duration_ms"`
	Width          int             `json:"width"`
	Height         int             `json:"height"`
	FPS            float64         `json:"fps"`
	VideoCodec     string          `json:"video_codec"`
	AudioCodec     string          `json:"audio_codec"`
	Meta           json.RawMessage `json:"meta"`
	Check          json.RawMessage `json:"check"`
	CreatedBy      string          `json:"created_by,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

const assetColumns = `id, org_id, project_id, job_id, task_id, storage_file_id, kind, name,
	mime, size_bytes, checksum_sha256, duration_ms, width, height, fps, video_codec,
	audio_codec, meta_json, check_json, created_by, created_at`

func scanAsset(row interface{ Scan(...any) error }) (*Asset, error) {
	a := &Asset{}
	var job, task, by *string
	err := row.Scan(&a.ID, &a.OrgID, &a.ProjectID, &job, &task, &a.StorageFileID, &a.Kind,
		&a.Name, &a.MIME, &a.SizeBytes, &a.ChecksumSHA256, &a.DurationMS, &a.Width, &a.Height,
		&a.FPS, &a.VideoCodec, &a.AudioCodec, rawJSON{&a.Meta}, rawJSON{&a.Check}, &by,
		db.ScanTime(&a.CreatedAt))
	a.JobID, a.TaskID, a.CreatedBy = deref(job), deref(task), deref(by)
	return a, err
}

// CreateAsset inserts an asset.
func (s *Store) CreateAsset(ctx context.Context, a *Asset) error {
	a.ID, a.CreatedAt = NewID(), db.Now()
	_, err := s.q.ExecContext(ctx, `INSERT INTO assets (`+assetColumns+`) VALUES (?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.OrgID, a.ProjectID,
		nullString(a.JobID), nullString(a.TaskID), a.StorageFileID, a.Kind, a.Name, a.MIME,
		a.SizeBytes, a.ChecksumSHA256, a.DurationMS, a.Width, a.Height, a.FPS, a.VideoCodec,
		a.AudioCodec, jsonText(a.Meta), jsonText(a.Check), nullString(a.CreatedBy),
		db.Time(a.CreatedAt))
	return wrap(err, "creating asset")
}

// AssetByID returns an asset.
func (s *Store) AssetByID(ctx context.Context, id string) (*Asset, error) {
	a, err := scanAsset(s.queryRow(ctx,
		`SELECT `+assetColumns+` FROM assets WHERE id = ?`, id))
	return a, wrap(err, "reading asset")
}

// TaskAssets returns the assets a task produced, oldest first.
func (s *Store) TaskAssets(ctx context.Context, taskID string) ([]*Asset, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE task_id = ?
		ORDER BY created_at, id`, taskID)
	if err != nil {
		return nil, wrap(err, "listing assets")
	}
	defer rows.Close()
	out := []*Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, wrap(err, "listing assets")
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "listing assets")
}

// StorageFileByPath returns the row of a file on a disk.
func (s *Store) StorageFileByPath(ctx context.Context, disk, path string) (*StorageFile, error) {
	var id string
	err := s.queryRow(ctx, `SELECT id FROM storage_files WHERE disk = ? AND path = ?`,
		disk, path).Scan(&id)
	if err != nil {
		return nil, wrap(err, "finding storage file")
	}
	return s.StorageFileByID(ctx, id)
}

// AssetOfFile returns the asset a task recorded for a storage file, so that
// work repeated after a crash does not record it twice.
func (s *Store) AssetOfFile(ctx context.Context, taskID, storageFileID string) (*Asset, error) {
	a, err := scanAsset(s.queryRow(ctx, `SELECT `+assetColumns+` FROM assets
		WHERE task_id = ? AND storage_file_id = ?`, taskID, storageFileID))
	return a, wrap(err, "finding asset")
}

// AssetFilter selects the assets of one project for a list.
type AssetFilter struct {
	ProjectID string
	// Kind keeps one kind ("video", "image", "audio", "subtitle", "export");
	// empty keeps all.
	Kind string
	ListParams
}

// ListAssets returns a page of a project's assets, newest first unless
// Sort says otherwise, and the total count.
func (s *Store) ListAssets(ctx context.Context, f AssetFilter) ([]*Asset, int, error) {
	order, err := f.orderBy("", []string{"created_at", "name", "size_bytes"}, "-created_at")
	if err != nil {
		return nil, 0, err
	}
	where := ` FROM assets WHERE project_id = ?`
	args := []any{f.ProjectID}
	if f.Kind != "" {
		where += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Q != "" {
		where += ` AND LOWER(name) LIKE ? ESCAPE '!'`
		args = append(args, likePattern(f.Q))
	}
	total, err := count(ctx, s.q, `SELECT COUNT(*)`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+assetColumns+where+order+f.limitOffset(),
		args...)
	if err != nil {
		return nil, 0, wrap(err, "listing assets")
	}
	defer rows.Close()
	out := []*Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, 0, wrap(err, "listing assets")
		}
		out = append(out, a)
	}
	return out, total, wrap(rows.Err(), "listing assets")
}

// SetAssetCheck stores the report of an automatic check of the asset's file.
func (s *Store) SetAssetCheck(ctx context.Context, id string, check json.RawMessage) error {
	res, err := s.q.ExecContext(ctx, `UPDATE assets SET check_json = ? WHERE id = ?`,
		jsonText(check), id)
	if err != nil {
		return wrap(err, "recording asset check")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAsset removes an asset row. Its storage file rows stay; see
// CountFileAssets and DeleteStorageFiles.
func (s *Store) DeleteAsset(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM assets WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "deleting asset")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// CountFileAssets counts the assets that point at a storage file, so a file
// shared by several assets (a reused output) is kept until the last goes.
func (s *Store) CountFileAssets(ctx context.Context, storageFileID string) (int, error) {
	return count(ctx, s.q, `SELECT COUNT(*) FROM assets WHERE storage_file_id = ?`,
		storageFileID)
}

// StorageFilesAt returns every copy of a file: the rows of path on any disk
// (the hot local copy and any cold copy share the key).
func (s *Store) StorageFilesAt(ctx context.Context, path string) ([]*StorageFile, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM storage_files WHERE path = ?
		ORDER BY created_at, id`, path)
	if err != nil {
		return nil, wrap(err, "listing storage files")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap(err, "listing storage files")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "listing storage files")
	}
	out := make([]*StorageFile, 0, len(ids))
	for _, id := range ids {
		f, err := s.StorageFileByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// DeleteStorageFiles removes the rows of every copy of path. Callers delete
// the files themselves after the transaction commits.
func (s *Store) DeleteStorageFiles(ctx context.Context, path string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM storage_files WHERE path = ?`, path)
	return wrap(err, "deleting storage files")
}
