package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/reelforge/reelforge/internal/media"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// assemble joins a storyboard job's shots into the final video, with the
// transitions, subtitles, watermark, music, intro and outro its options
// ask for, then makes the poster, the GIF preview and the HLS ladder.
func (e *Engine) assemble(ctx context.Context, entry *queue.Entry) error {
	t, err := e.Store.TaskByID(ctx, entry.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || store.Terminal(t.Status) {
		return err
	}
	job, err := e.Store.JobByID(ctx, t.JobID)
	if err != nil {
		return err
	}
	var ap assembleParams
	if err := json.Unmarshal(t.Params, &ap); err != nil {
		return fmt.Errorf("engine: decoding assembly of task %s: %w", t.ID, err)
	}
	t.Status, t.StartedAt = store.StatusProcessing, e.now().UTC()
	if err := e.saveTask(ctx, t); err != nil {
		return e.abandon(ctx, t, err)
	}
	e.event(ctx, job.ID, t.ID, "info", "task.assembling",
		fmt.Sprintf("joining %d shot(s)", len(ap.Shots)), nil)
	dir, err := os.MkdirTemp(e.TempDir, "assemble-*")
	if err != nil {
		return fmt.Errorf("engine: making a work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	ids, err := e.assembleInto(ctx, job, t, ap, dir)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return e.endTask(ctx, job, t, store.StatusFailed, &provider.Error{
			Code: provider.CodeProviderError, Message: "assembling: " +
				provider.Sanitize(err.Error())})
	}
	t.Output = mustJSON(taskOutput{AssetIDs: ids})
	return e.endTask(ctx, job, t, store.StatusSucceeded, nil)
}

func (e *Engine) assembleInto(ctx context.Context, job *store.Job, t *store.Task,
	ap assembleParams, dir string) ([]string, error) {
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	local := func(assetID string) (string, error) {
		a, err := e.Store.AssetByID(ctx, assetID)
		if err != nil || a.ProjectID != job.ProjectID {
			return "", fmt.Errorf("asset %s is not in the project", assetID)
		}
		f, err := e.Store.StorageFileByID(ctx, a.StorageFileID)
		if err != nil {
			return "", err
		}
		path, done, err := e.LocalFile(ctx, f)
		if err == nil {
			cleanups = append(cleanups, done)
		}
		return path, err
	}
	w, h, err := media.Size(ap.Resolution, ap.AspectRatio)
	if err != nil {
		return nil, err
	}
	spec := media.AssembleSpec{Output: filepath.Join(dir, "final."+ap.Format),
		Format: media.Format(ap.Format), Width: w, Height: h, Loudnorm: true,
		Preset: e.cfg.Preset}
	for _, id := range ap.Shots {
		shot, err := e.Store.TaskByID(ctx, id)
		if err != nil {
			return nil, err
		}
		video, err := e.firstVideo(ctx, shot)
		if err != nil {
			return nil, err
		}
		path, err := local(video)
		if err != nil {
			return nil, err
		}
		spec.Clips = append(spec.Clips, path)
	}
	if ap.IntroAssetID != "" {
		if spec.Intro, err = local(ap.IntroAssetID); err != nil {
			return nil, err
		}
	}
	if ap.OutroAssetID != "" {
		if spec.Outro, err = local(ap.OutroAssetID); err != nil {
			return nil, err
		}
	}
	if ap.MusicAssetID != "" {
		path, err := local(ap.MusicAssetID)
		if err != nil {
			return nil, err
		}
		spec.Music = &media.Music{Path: path, Duck: true}
	}
	if ap.Transition != "" {
		d := time.Duration(ap.TransitionSeconds * float64(time.Second))
		spec.Transition = media.Transition{Type: ap.Transition, Duration: d}
	}
	if ap.Watermark != "" {
		spec.Watermark = &media.Watermark{Text: ap.Watermark}
	}
	if ap.Subtitles != "none" && ap.SRT != "" {
		srt := filepath.Join(dir, "subtitles.srt")
		if err := os.WriteFile(srt, []byte(ap.SRT), 0o600); err != nil {
			return nil, err
		}
		spec.Subtitles = &media.Subtitles{Path: srt, Burn: ap.Subtitles == "burn"}
	}
	progress := e.ffmpegProgress(ctx, job, t, "assembling", 0, 0.9)
	if err := e.Media.Assemble(ctx, spec, progress); err != nil {
		return nil, err
	}
	return e.publishFinal(ctx, job, t, ap, spec.Output, dir)
}

// firstVideo returns the video asset a shot task produced.
func (e *Engine) firstVideo(ctx context.Context, shot *store.Task) (string, error) {
	if shot.Status != store.StatusSucceeded {
		return "", fmt.Errorf("shot task %s is %s", shot.ID, shot.Status)
	}
	for _, id := range OutputAssetIDs(shot) {
		a, err := e.Store.AssetByID(ctx, id)
		if err == nil && a.Kind == "video" {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("shot task %s has no video", shot.ID)
}

// publishFinal stores the final video, its poster, and the GIF preview and
// HLS ladder when asked, and returns their asset ids (the video first).
func (e *Engine) publishFinal(ctx context.Context, job *store.Job, t *store.Task,
	ap assembleParams, final, dir string) ([]string, error) {
	base := fmt.Sprintf("jobs/%s/final/%s", job.ID, t.ID)
	mimes := map[string]string{"mp4": "video/mp4", "mov": "video/quicktime"}
	key := base + "/final." + ap.Format
	if err := e.putFile(ctx, key, final, mimes[ap.Format]); err != nil {
		return nil, err
	}
	id, err := e.recordAsset(ctx, job, t, final, key, "video", mimes[ap.Format],
		"final."+ap.Format)
	if err != nil {
		return nil, err
	}
	ids := []string{id}
	w, _, _ := media.Size(ap.Resolution, ap.AspectRatio)
	poster := filepath.Join(dir, "poster.jpg")
	if err := e.Media.Poster(ctx, final, poster, min(posterWidth, w)); err != nil {
		return nil, err
	}
	if err := e.putFile(ctx, base+"/poster.jpg", poster, "image/jpeg"); err != nil {
		return nil, err
	}
	pid, err := e.recordAsset(ctx, job, t, poster, base+"/poster.jpg", "image", "image/jpeg",
		"poster.jpg")
	if err != nil {
		return nil, err
	}
	ids = append(ids, pid)
	if ap.GIFPreview {
		gif := filepath.Join(dir, "preview.gif")
		spec := media.Spec{Tier: media.Tier720p, Aspect: ap.AspectRatio,
			Format: media.FormatGIF}
		if err := e.Media.Transcode(ctx, final, gif, spec, nil); err != nil {
			return nil, err
		}
		if err := e.putFile(ctx, base+"/preview.gif", gif, "image/gif"); err != nil {
			return nil, err
		}
		gid, err := e.recordAsset(ctx, job, t, gif, base+"/preview.gif", "image", "image/gif",
			"preview.gif")
		if err != nil {
			return nil, err
		}
		ids = append(ids, gid)
	}
	if ap.HLS {
		hid, err := e.publishHLS(ctx, job, t, ap, final, dir, base)
		if err != nil {
			return nil, err
		}
		ids = append(ids, hid)
	}
	return ids, nil
}

// publishHLS writes an HLS ladder (a master playlist and its variants) and
// records the master playlist as an asset; the variants sit beside it.
func (e *Engine) publishHLS(ctx context.Context, job *store.Job, t *store.Task,
	ap assembleParams, final, dir, base string) (string, error) {
	hlsDir := filepath.Join(dir, "hls")
	if err := os.MkdirAll(hlsDir, 0o750); err != nil {
		return "", err
	}
	master := filepath.Join(hlsDir, "master.m3u8")
	tiers := []string{media.Tier720p}
	if ap.Resolution != media.Tier720p {
		tiers = append(tiers, ap.Resolution)
	}
	spec := media.Spec{Tier: ap.Resolution, Aspect: ap.AspectRatio, Format: media.FormatHLS,
		HLSTiers: tiers, Preset: e.cfg.Preset}
	if err := e.Media.Transcode(ctx, final, master, spec, nil); err != nil {
		return "", err
	}
	err := filepath.WalkDir(hlsDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(hlsDir, path)
		mt := "video/mp2t"
		if filepath.Ext(path) == ".m3u8" {
			mt = "application/vnd.apple.mpegurl"
		}
		return e.putFile(ctx, base+"/hls/"+filepath.ToSlash(rel), path, mt)
	})
	if err != nil {
		return "", err
	}
	return e.recordAsset(ctx, job, t, master, base+"/hls/master.m3u8", "stream",
		"application/vnd.apple.mpegurl", "master.m3u8")
}
