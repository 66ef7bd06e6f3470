package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// posterWidth is the width of the poster frame of every video asset.
const posterWidth = 640

// finalize runs on the media queue: it probes each stored output,
// transcodes a video that is not exactly the requested size and format,
// makes a poster, records the assets and ends the task.
func (e *Engine) finalize(ctx context.Context, entry *queue.Entry) error {
	t, err := e.Store.TaskByID(ctx, entry.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if store.Terminal(t.Status) {
		return nil
	}
	job, err := e.Store.JobByID(ctx, t.JobID)
	if err != nil {
		return err
	}
	var tp taskParams
	if err := json.Unmarshal(t.Params, &tp); err != nil {
		return fmt.Errorf("engine: decoding params of task %s: %w", t.ID, err)
	}
	out, err := decodeOutput(t.Output)
	if err != nil || len(out.Raw) == 0 {
		return e.failTask(ctx, job, t, &provider.Error{Code: provider.CodeProviderError,
			Message: "the task has no stored output to finish"})
	}
	dir, err := os.MkdirTemp(e.TempDir, "finalize-*")
	if err != nil {
		return fmt.Errorf("engine: making a work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	out.AssetIDs, out.PosterAssetID = nil, ""
	for i, raw := range out.Raw {
		ids, poster, err := e.finishFile(ctx, job, t, tp, raw, i, dir)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return e.failTask(ctx, job, t, &provider.Error{Code: provider.CodeProviderError,
				Message: "processing output: " + provider.Sanitize(err.Error())})
		}
		out.AssetIDs = append(out.AssetIDs, ids...)
		if out.PosterAssetID == "" {
			out.PosterAssetID = poster
		}
	}
	t.Output = mustJSON(out)
	t.ActualCostCents = t.EstimatedCostCents
	return e.endTask(ctx, job, t, store.StatusSucceeded, nil)
}

// finishFile turns one stored provider file into assets. It returns the
// asset ids and the poster asset id of a video.
func (e *Engine) finishFile(ctx context.Context, job *store.Job, t *store.Task, tp taskParams,
	raw rawFile, i int, dir string) ([]string, string, error) {
	src, cleanup, err := e.LocalFile(ctx, &store.StorageFile{Disk: e.Disk.Name(), Path: raw.Key})
	if err != nil {
		return nil, "", err
	}
	defer cleanup()
	if raw.Kind == string(provider.OutputImage) {
		id, err := e.recordAsset(ctx, job, t, src, raw.Key, "image", raw.MIME,
			fmt.Sprintf("%s-%d%s", t.Provider, i+1, filepath.Ext(raw.Key)))
		return []string{id}, "", err
	}
	w, h, err := media.Size(tp.Resolution, tp.AspectRatio)
	if err != nil {
		return nil, "", err
	}
	info, err := e.Media.Probe(ctx, src)
	if err != nil {
		return nil, "", err
	}
	final, key, mimeType := src, raw.Key, raw.MIME
	if !exactly(info, w, h, tp.Format) {
		final = filepath.Join(dir, fmt.Sprintf("output-%d.%s", i, tp.Format))
		spec := media.Spec{Tier: tp.Resolution, Aspect: tp.AspectRatio,
			Format: media.Format(tp.Format), Preset: e.cfg.Preset, Fit: fitOf(tp.Params)}
		progress := e.ffmpegProgress(ctx, job, t, "transcoding", t.Progress, 0.99)
		if err := e.Media.Transcode(ctx, src, final, spec, progress); err != nil {
			return nil, "", err
		}
		key = fmt.Sprintf("jobs/%s/%s/output-%d.%s", job.ID, t.ID, i, tp.Format)
		mimeType = map[string]string{"mp4": "video/mp4", "mov": "video/quicktime",
			"gif": "image/gif"}[tp.Format]
		if err := e.putFile(ctx, key, final, mimeType); err != nil {
			return nil, "", err
		}
		e.event(ctx, job.ID, t.ID, "info", "task.transcoded",
			fmt.Sprintf("%s: %dx%d %s to %dx%d %s", t.Provider, info.Width, info.Height,
				info.VideoCodec, w, h, tp.Format), nil)
	}
	videoID, err := e.recordAsset(ctx, job, t, final, key, "video", mimeType,
		fmt.Sprintf("%s-%d.%s", t.Provider, i+1, tp.Format))
	if err != nil {
		return nil, "", err
	}
	e.checkShot(ctx, job, t, videoID, final, media.Expect{
		Duration: time.Duration(tp.Duration) * time.Second, Width: w, Height: h,
		Tolerance: checkTolerance})
	posterPath := filepath.Join(dir, fmt.Sprintf("poster-%d.jpg", i))
	if err := e.Media.Poster(ctx, final, posterPath, min(posterWidth, w)); err != nil {
		return nil, "", err
	}
	posterKey := fmt.Sprintf("jobs/%s/%s/poster-%d.jpg", job.ID, t.ID, i)
	if err := e.putFile(ctx, posterKey, posterPath, "image/jpeg"); err != nil {
		return nil, "", err
	}
	posterID, err := e.recordAsset(ctx, job, t, posterPath, posterKey, "image", "image/jpeg",
		fmt.Sprintf("%s-%d-poster.jpg", t.Provider, i+1))
	if err != nil {
		return nil, "", err
	}
	return []string{videoID, posterID}, posterID, nil
}

// exactly reports whether a provider file already is the deliverable: the
// requested size, in an MP4 or MOV of H.264, or a GIF.
func exactly(info media.Info, w, h int, format string) bool {
	if info.Width != w || info.Height != h || info.Rotation != 0 {
		return false
	}
	switch format {
	case "mp4":
		return info.VideoCodec == "h264" && info.MajorBrand != "qt  " &&
			info.PixFmt == "yuv420p"
	case "mov":
		return info.VideoCodec == "h264" && info.MajorBrand == "qt  "
	case "gif":
		return info.VideoCodec == "gif"
	}
	return false
}

func fitOf(params map[string]any) media.Fit {
	if s, ok := params["fit"].(string); ok {
		switch media.Fit(s) {
		case media.FitCrop, media.FitBlur, media.FitPad:
			return media.Fit(s)
		}
	}
	return media.FitPad
}

func (e *Engine) putFile(ctx context.Context, key, path, mimeType string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = e.Disk.Put(ctx, key, f, st.Size(), mimeType)
	return err
}

// recordAsset probes a local file and records it with its storage row.
func (e *Engine) recordAsset(ctx context.Context, job *store.Job, t *store.Task, path, key,
	kind, mimeType, name string) (string, error) {
	sum, size, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	a := &store.Asset{OrgID: job.OrgID, ProjectID: job.ProjectID, JobID: job.ID, TaskID: t.ID,
		Kind: kind, Name: name, MIME: mimeType, SizeBytes: size, ChecksumSHA256: sum,
		CreatedBy: job.CreatedBy, Meta: json.RawMessage("{}"), Check: json.RawMessage("{}")}
	if info, err := e.Media.Probe(ctx, path); err == nil {
		a.DurationMS = info.Duration.Milliseconds()
		a.Width, a.Height, a.FPS = info.Width, info.Height, info.FPS
		a.VideoCodec, a.AudioCodec = info.VideoCodec, info.AudioCodec
		a.Meta = mustJSON(map[string]any{"format": info.FormatName, "pix_fmt": info.PixFmt,
			"has_audio": info.HasAudio, "bitrate": info.Bitrate})
	} else if kind == "video" {
		return "", err
	}
	err = e.Store.InTx(ctx, func(tx *store.Store) error {
		// Work repeated after a crash finds the rows it wrote before.
		f, err := tx.StorageFileByPath(ctx, e.Disk.Name(), key)
		if errors.Is(err, store.ErrNotFound) {
			f = &store.StorageFile{Disk: e.Disk.Name(), Path: key, SizeBytes: size,
				ChecksumSHA256: sum, MIME: mimeType, Tier: "hot"}
			err = tx.CreateStorageFile(ctx, f)
		}
		if err != nil {
			return err
		}
		if prev, err := tx.AssetOfFile(ctx, t.ID, f.ID); err == nil {
			a.ID = prev.ID
			return nil
		}
		a.StorageFileID = f.ID
		return tx.CreateAsset(ctx, a)
	})
	if err != nil {
		return "", err
	}
	e.archiveKey(ctx, job, t, key)
	return a.ID, nil
}

func newGet(ctx context.Context, url string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
}
