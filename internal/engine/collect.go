package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// taskOutput is what a task keeps in output_json: the provider's files as
// stored by us, then the finished assets.
type taskOutput struct {
	Raw      []rawFile `json:"raw"`
	AssetIDs []string  `json:"asset_ids,omitempty"`
	// PosterAssetID is the poster of the first video.
	PosterAssetID string `json:"poster_asset_id,omitempty"`
}

type rawFile struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	MIME   string `json:"mime"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// collect copies a finished provider job's outputs into our storage at once
// (some vendors delete them within the hour) and hands the task to the
// media queue for probing and transcoding.
func (e *Engine) collect(ctx context.Context, job *store.Job, t *store.Task, tp taskParams,
	st provider.Status) error {
	if len(st.Outputs) == 0 {
		e.releaseSlots(ctx, t)
		return e.retryOrFail(ctx, job, t, &provider.Error{Code: provider.CodeProviderError,
			Message: "the provider reported success without an output"}, true)
	}
	// The adapter of the task's account: a Fetcher downloads with the
	// organization's own key when the job was made with it.
	p, _, _ := e.account(ctx, job.OrgID, t.Provider)
	var out taskOutput
	for i, o := range st.Outputs {
		begin := time.Now()
		f, err := e.download(ctx, p, o, fmt.Sprintf("jobs/%s/%s/source-%d", job.ID, t.ID, i))
		e.Metrics.ProviderLatency.WithLabelValues(t.Provider, "download").
			Observe(time.Since(begin).Seconds())
		if err != nil {
			return e.retryOrFail(ctx, job, t, &provider.Error{Code: provider.CodeProviderError,
				Message: "downloading output: " + provider.Sanitize(err.Error())}, false)
		}
		out.Raw = append(out.Raw, f)
	}
	e.releaseSlots(ctx, t)
	t.Output = mustJSON(out)
	t.Progress = max(t.Progress, 0.92)
	if err := e.saveTask(ctx, t); err != nil {
		return e.abandon(ctx, t, err)
	}
	e.event(ctx, job.ID, t.ID, "info", "task.downloaded",
		fmt.Sprintf("%s: %d output(s) stored", t.Provider, len(out.Raw)),
		map[string]any{"outputs": len(out.Raw)})
	_, err := e.Queue.Enqueue(ctx, queue.EnqueueParams{Queue: MediaQueue, TaskID: t.ID,
		Kind: "finalize", Priority: t.Priority, UniqueKey: "media:" + t.ID})
	if err != nil && !errors.Is(err, queue.ErrDuplicate) {
		return fmt.Errorf("engine: enqueueing media work of task %s: %w", t.ID, err)
	}
	return nil
}

// download streams one output into storage under base plus an extension,
// hashing it on the way, with the size cap applied.
func (e *Engine) download(ctx context.Context, p provider.Provider, o provider.Output,
	base string) (rawFile, error) {
	var body io.ReadCloser
	switch {
	case len(o.Data) > 0:
		body = io.NopCloser(strings.NewReader(string(o.Data)))
	case p != nil && isFetcher(p):
		rc, err := p.(provider.Fetcher).Fetch(ctx, o)
		if err != nil {
			return rawFile{}, err
		}
		body = rc
	default:
		req, err := newGet(ctx, o.URL)
		if err != nil {
			return rawFile{}, err
		}
		resp, err := e.Outbound.Do(req)
		if err != nil {
			return rawFile{}, err
		}
		if resp.StatusCode != 200 {
			resp.Body.Close()
			return rawFile{}, fmt.Errorf("the output answered HTTP %d", resp.StatusCode)
		}
		if o.MIME == "" {
			o.MIME = resp.Header.Get("Content-Type")
		}
		body = resp.Body
	}
	defer body.Close()
	mt := o.MIME
	if mt == "" {
		if o.Kind == provider.OutputImage {
			mt = "image/png"
		} else {
			mt = "video/mp4"
		}
	}
	mt, _, _ = mime.ParseMediaType(mt)
	key := base + extension(mt)
	h := sha256.New()
	limited := &capReader{r: io.TeeReader(body, h), left: e.cfg.MaxOutputBytes}
	obj, err := e.Disk.Put(ctx, key, limited, -1, mt)
	if err != nil {
		return rawFile{}, err
	}
	kind := string(o.Kind)
	if kind == "" {
		kind = string(provider.OutputVideo)
	}
	return rawFile{Key: key, Kind: kind, MIME: mt, Size: obj.Size,
		SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func isFetcher(p provider.Provider) bool {
	_, ok := p.(provider.Fetcher)
	return ok
}

func extension(mimeType string) string {
	switch mimeType {
	case "video/mp4":
		return ".mp4"
	case "video/quicktime":
		return ".mov"
	case "video/webm":
		return ".webm"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/webp":
		return ".webp"
	case "image/gif":
		return ".gif"
	}
	return ".bin"
}

// capReader fails once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errors.New("the output is larger than the download limit")
	}
	return n, err
}

func decodeOutput(raw json.RawMessage) (taskOutput, error) {
	var out taskOutput
	if len(raw) == 0 {
		return out, nil
	}
	err := json.Unmarshal(raw, &out)
	return out, err
}

// OutputAssetIDs lists the assets a finished task produced (or reused).
func OutputAssetIDs(t *store.Task) []string {
	out, err := decodeOutput(t.Output)
	if err != nil {
		return nil
	}
	return out.AssetIDs
}
