package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// KindKeyframe is a text-to-image task whose image starts another task's
// image-to-video render.
const KindKeyframe = "keyframe"

// maxKeyframeBytes bounds a key frame sent inline to a video provider.
const maxKeyframeBytes = 8 << 20

// waitsForKeyframe reports whether a task is waiting for its key frame.
func waitsForKeyframe(t *store.Task) bool {
	var tp taskParams
	return json.Unmarshal(t.Params, &tp) == nil && tp.After != "" && tp.ImageURL == ""
}

// releaseDependents starts the tasks that waited for a key frame task that
// just ended: with its image when it succeeded, failed when it did not.
func (e *Engine) releaseDependents(ctx context.Context, job *store.Job, kf *store.Task) error {
	tasks, err := e.Store.JobTasks(ctx, job.ID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		var tp taskParams
		if json.Unmarshal(t.Params, &tp) != nil || tp.After != kf.ID || store.Terminal(t.Status) {
			continue
		}
		if kf.Status != store.StatusSucceeded {
			if err := e.endTask(ctx, job, t, store.StatusFailed, &provider.Error{
				Code: provider.CodeBadRequest, Message: "its first frame " + kf.Status}); err != nil {
				return err
			}
			continue
		}
		image, err := e.keyframeImage(ctx, kf)
		if err != nil {
			return e.endTask(ctx, job, t, store.StatusFailed, &provider.Error{
				Code: provider.CodeProviderError, Message: "reading its first frame: " +
					provider.Sanitize(err.Error())})
		}
		tp.ImageURL = image
		t.Params = mustJSON(tp)
		if err := e.saveTask(ctx, t); err != nil {
			return err
		}
		_, err = e.Queue.Enqueue(ctx, queue.EnqueueParams{Queue: t.Provider, TaskID: t.ID,
			Kind: "run", Priority: t.Priority, UniqueKey: "task:" + t.ID})
		if err != nil && !errors.Is(err, queue.ErrDuplicate) {
			return fmt.Errorf("engine: enqueueing task %s after its first frame: %w", t.ID, err)
		}
		e.event(ctx, job.ID, t.ID, "info", "task.first_frame",
			t.Provider+": starting from the first frame drawn by "+kf.Provider, nil)
	}
	return nil
}

// keyframeImage returns a key frame task's image as a data URL, which every
// image-to-video provider accepts without reaching our storage.
func (e *Engine) keyframeImage(ctx context.Context, kf *store.Task) (string, error) {
	for _, id := range OutputAssetIDs(kf) {
		a, err := e.Store.AssetByID(ctx, id)
		if err != nil || a.Kind != "image" {
			continue
		}
		f, err := e.Store.StorageFileByID(ctx, a.StorageFileID)
		if err != nil {
			return "", err
		}
		rc, err := e.OpenFile(ctx, f)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxKeyframeBytes+1))
		if err != nil {
			return "", err
		}
		if len(data) > maxKeyframeBytes {
			return "", errors.New("the first frame is larger than 8 MiB")
		}
		return "data:" + a.MIME + ";base64," + base64.StdEncoding.EncodeToString(data), nil
	}
	return "", errors.New("the key frame task has no image")
}
