package httpapi

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// runSimJob submits a one-second sim job and waits for it to succeed; it
// returns the task's assets as the API shows them.
func runSimJob(t *testing.T, b *engineBundle, u *testUser, pid string,
	extra map[string]any) []map[string]any {
	t.Helper()
	req := map[string]any{"project_id": pid, "prompt": "a lantern " + storeID()[:8],
		"providers": []string{"sim"}, "duration": 1, "aspect_ratio": "9:16",
		"resolution": "720p"}
	for k, v := range extra {
		req[k] = v
	}
	id := b.call(t, "POST", "/api/v1/jobs", u.Token, req).want(t, http.StatusAccepted).
		str(t, "id")
	if job := b.waitJob(t, u.Token, id, 60*time.Second); job.body["status"] != "succeeded" {
		t.Fatalf("job: %s", job.raw)
	}
	tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
	var out []map[string]any
	for _, a := range tasks[0]["assets"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func storeID() string { return strings.ReplaceAll(store.NewID(), "-", "") }

// fileOf returns the hot storage row of an asset from the API.
func fileOf(t *testing.T, b *engineBundle, asset map[string]any) *store.StorageFile {
	t.Helper()
	a, err := b.store.AssetByID(context.Background(), asset["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	f, err := b.store.StorageFileByID(context.Background(), a.StorageFileID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ageFiles moves the modification time of every file below dir back.
func ageFiles(t *testing.T, dir string, by time.Duration) {
	t.Helper()
	old := time.Now().Add(-by)
	for _, rel := range filesUnder(t, dir) {
		if err := os.Chtimes(filepath.Join(dir, rel), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(t *testing.T, b *engineBundle, key string) bool {
	t.Helper()
	_, err := b.disk.Stat(context.Background(), key)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestShotCheckAndCleanupOfIntermediates(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	exact := runSimJob(t, b, u, pid, nil)
	moved := runSimJob(t, b, u, pid, map[string]any{"format": "mov"})

	check, _ := exact[0]["check"].(map[string]any)
	if check["ok"] != true || check["expected"].(map[string]any)["width"].(float64) != 720 {
		t.Fatalf("shot check of a clean clip: %v", exact[0]["check"])
	}
	jobID := exact[0]["job_id"].(string)
	var checked bool
	for _, e := range b.call(t, "GET", "/api/v1/jobs/"+jobID+"/events", u.Token, nil).items(t) {
		checked = checked || e["type"] == "task.checked"
	}
	if !checked {
		t.Fatal("no task.checked event")
	}

	only := fileOf(t, b, exact[0]) // the provider's file is the deliverable
	if !strings.Contains(only.Path, "/source-") {
		t.Fatalf("the exact output should be the downloaded source, is %s", only.Path)
	}
	final, poster := fileOf(t, b, moved[0]), fileOf(t, b, moved[1])
	source := strings.Replace(final.Path, "output-0.mov", "source-0.mp4", 1)
	if !exists(t, b, source) {
		t.Fatalf("no intermediate %s", source)
	}
	jobsDir, _ := b.disk.Path("jobs")
	ageFiles(t, jobsDir, 100*time.Hour)
	stale := filepath.Join(b.tmp, "src-stale.mp4")
	fresh := filepath.Join(b.tmp, "src-fresh.mp4")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ageFiles(t, b.tmp, 100*time.Hour)
	if err := os.Chtimes(fresh, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}

	cleaner, err := b.engine.NewCleaner(engine.CleanerConfig{Retention: 72 * time.Hour,
		Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := cleaner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for exists(t, b, source) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cleaner.Stop()
	if exists(t, b, source) {
		t.Fatal("the old intermediate was not removed")
	}
	for _, key := range []string{only.Path, final.Path, poster.Path} {
		if !exists(t, b, key) {
			t.Fatalf("cleanup removed %s, an asset's only copy", key)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temp file: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh temp file: %v", err)
	}
	got := b.call(t, "GET", "/api/v1/assets/"+exact[0]["id"].(string), u.Token, nil).
		want(t, http.StatusOK)
	kept := download(t, got.str(t, "url"))
	if info, err := b.media.Probe(context.Background(), kept); err != nil || info.Width != 720 {
		t.Fatalf("the kept asset: %v %v", info, err)
	}
}

func TestFinalsAreCopiedToObjectStorage(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{cold: true})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	assets := runSimJob(t, b, u, pid, nil)
	video, poster := assets[0], assets[1]
	ctx := context.Background()
	for _, a := range assets {
		url := a["url"].(string)
		if strings.HasPrefix(url, b.srv.URL) || !strings.Contains(url, "X-Amz-Signature=") {
			t.Fatalf("asset %s is not served from the bucket: %s", a["name"], url)
		}
		f := fileOf(t, b, a)
		cold, err := b.store.StorageFileByPath(ctx, b.cold.Name(), f.Path)
		if err != nil || cold.Tier != "cold" || cold.SizeBytes != f.SizeBytes ||
			cold.ChecksumSHA256 != f.ChecksumSHA256 {
			t.Fatalf("cold copy of %s: %+v %v", f.Path, cold, err)
		}
	}
	// A plain client fetches the presigned URL; the file is the deliverable.
	info, err := b.media.Probe(ctx, download(t, video["url"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 720 || info.Height != 1280 || info.VideoCodec != "h264" {
		t.Fatalf("cold video %dx%d %s", info.Width, info.Height, info.VideoCodec)
	}
	if p, err := b.media.Probe(ctx, download(t, poster["url"].(string))); err != nil ||
		p.Width != 640 || p.VideoCodec != "mjpeg" {
		t.Fatalf("cold poster: %+v %v", p, err)
	}

	// With a cold copy, the local source is no longer the only copy:
	// cleanup removes it, and the asset still plays and exports.
	hot := fileOf(t, b, video)
	jobsDir, _ := b.disk.Path("jobs")
	ageFiles(t, jobsDir, 100*time.Hour)
	cleaner, err := b.engine.NewCleaner(engine.CleanerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cleaner.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(t, b, hot.Path) {
		t.Fatalf("%s has a cold copy and should be cleaned", hot.Path)
	}
	res := b.call(t, "POST", "/api/v1/exports", u.Token, map[string]any{"project_id": pid,
		"asset_ids": []string{video["id"].(string)}}).want(t, http.StatusCreated)
	entries := zipEntries(t, download(t, res.str(t, "url")))
	if len(entries) != 1 {
		t.Fatalf("export of a cold-only video: %v", entries)
	}
	for _, p := range entries {
		if fi, _ := os.Stat(p); fi.Size() != hot.SizeBytes {
			t.Fatalf("exported %d bytes, want %d", fi.Size(), hot.SizeBytes)
		}
	}

	up := b.upload(t, u.Token, pid, "still.png", testStill(t)).want(t, http.StatusCreated)
	if strings.HasPrefix(up.str(t, "url"), b.srv.URL) {
		t.Fatalf("upload served locally: %s", up.str(t, "url"))
	}
	upFile := fileOf(t, b, up.body)
	b.call(t, "DELETE", "/api/v1/assets/"+up.str(t, "id"), u.Token, nil).
		want(t, http.StatusNoContent)
	if _, err := b.cold.Stat(ctx, upFile.Path); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted upload still in the bucket: %v", err)
	}
}
