package httpapi

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAssetUploadProbeListReadAndDelete(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{noWorkers: true})
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		clip := testClip(t)

		video := b.upload(t, u.Token, pid, "Opening shot.mp4", clip).
			want(t, http.StatusCreated)
		id := video.str(t, "id")
		if video.header.Get("Location") != "/api/v1/assets/"+id {
			t.Fatalf("location %q", video.header.Get("Location"))
		}
		body := video.body
		if body["kind"] != "video" || body["mime"] != "video/mp4" ||
			body["name"] != "Opening shot.mp4" || body["width"].(float64) != 320 ||
			body["height"].(float64) != 180 || body["video_codec"] != "h264" ||
			body["audio_codec"] != "aac" || body["size_bytes"].(float64) != float64(len(clip)) {
			t.Fatalf("uploaded video: %s", video.raw)
		}
		if d := body["duration_ms"].(float64); d < 900 || d > 1100 {
			t.Fatalf("duration %vms, want about 1000", d)
		}
		still := b.upload(t, u.Token, pid, "poster.PNG", testStill(t)).want(t, http.StatusCreated)
		if still.body["kind"] != "image" || still.body["mime"] != "image/png" ||
			still.body["width"].(float64) != 64 || still.body["duration_ms"].(float64) != 0 {
			t.Fatalf("uploaded still: %s", still.raw)
		}

		page := b.call(t, "GET", "/api/v1/assets?project_id="+pid+"&limit=1", u.Token, nil).
			want(t, http.StatusOK)
		if items := page.items(t); len(items) != 1 || page.body["total"].(float64) != 2 ||
			items[0]["id"] != still.str(t, "id") {
			t.Fatalf("first page: %s", page.raw)
		}
		videos := b.call(t, "GET", "/api/v1/assets?project_id="+pid+"&kind=video", u.Token,
			nil).want(t, http.StatusOK).items(t)
		if len(videos) != 1 || videos[0]["id"] != id {
			t.Fatalf("videos: %v", videos)
		}

		got := b.call(t, "GET", "/api/v1/assets/"+id, u.Token, nil).want(t, http.StatusOK)
		url, dl := got.str(t, "url"), got.str(t, "download_url")
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Range", "bytes=100-199")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || string(part) != string(clip[100:200]) ||
			resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(clip)) {
			t.Fatalf("range: %d %q, %d bytes", resp.StatusCode,
				resp.Header.Get("Content-Range"), len(part))
		}
		resp, err = http.Get(dl)
		if err != nil {
			t.Fatal(err)
		}
		whole, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if resp.StatusCode != 200 || len(whole) != len(clip) ||
			params["filename"] != "Opening shot.mp4" {
			t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}

		b.call(t, "DELETE", "/api/v1/assets/"+id, u.Token, nil).want(t, http.StatusNoContent)
		b.call(t, "GET", "/api/v1/assets/"+id, u.Token, nil).want(t, http.StatusNotFound)
		resp, err = http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the deleted asset's file still answers %d", resp.StatusCode)
		}
	})
}

func TestAssetUploadRefusals(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{noWorkers: true, maxUpload: 64 << 10})
	owner, viewer, stranger := b.user(t), b.user(t), b.user(t)
	org := b.org(t, owner, map[*testUser]string{viewer: "viewer"})
	pid := b.project(t, owner.Token, org)
	png := testStill(t)

	spoof := b.upload(t, owner.Token, pid, "clip.mp4", png).
		want(t, http.StatusUnprocessableEntity)
	if spoof.fieldError("file") != "type_mismatch" {
		t.Fatalf("spoofed mp4: %s", spoof.raw)
	}
	if r := b.upload(t, owner.Token, pid, "setup.exe", png).
		want(t, http.StatusUnprocessableEntity); r.fieldError("file") != "unsupported_type" {
		t.Fatalf("exe: %s", r.raw)
	}
	b.upload(t, viewer.Token, pid, "still.png", png).want(t, http.StatusForbidden)
	b.upload(t, stranger.Token, pid, "still.png", png).want(t, http.StatusNotFound)

	// Too large, announced by Content-Length: refused before it is read.
	big := make([]byte, 300<<10)
	copy(big, png)
	r := b.upload(t, owner.Token, pid, "big.png", big).want(t, http.StatusRequestEntityTooLarge)
	if r.body["code"] != "body_too_large" {
		t.Fatalf("oversize: %s", r.raw)
	}
	// Too large without a length: refused while spooling.
	raw, ct := multipartUpload(t, pid, "big.png", big)
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/assets",
		io.MultiReader(strings.NewReader(string(raw))))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+owner.Token)
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Fatalf("streamed oversize: %d (request length %d)", resp.StatusCode, req.ContentLength)
	}

	// Nothing of the refused uploads is left: no spool, no file, no row.
	if left := filesUnder(t, b.tmp); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	root, _ := b.disk.Path("projects")
	if left := filesUnder(t, root); len(left) != 0 {
		t.Fatalf("stored files left: %v", left)
	}
	list := b.call(t, "GET", "/api/v1/assets?project_id="+pid, owner.Token, nil).
		want(t, http.StatusOK)
	if list.body["total"].(float64) != 0 {
		t.Fatalf("assets recorded: %s", list.raw)
	}
	var files int
	if err := b.store.DB().QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM storage_files").Scan(&files); err != nil || files != 0 {
		t.Fatalf("storage rows: %d %v", files, err)
	}
	// A file under the limit still goes in.
	b.upload(t, owner.Token, pid, "still.png", png).want(t, http.StatusCreated)
}

func TestExportPacksAssetsAndRenditions(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{noWorkers: true})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	other := b.project(t, u.Token, u.PersonalOrg)
	clip := b.upload(t, u.Token, pid, "clip.mp4", testClip(t)).want(t, http.StatusCreated)
	still := b.upload(t, u.Token, pid, "still.png", testStill(t)).want(t, http.StatusCreated)
	elsewhere := b.upload(t, u.Token, other, "still.png", testStill(t)).
		want(t, http.StatusCreated)

	b.call(t, "POST", "/api/v1/exports", u.Token, map[string]any{"project_id": pid,
		"asset_ids": []string{clip.str(t, "id"), elsewhere.str(t, "id")}}).
		want(t, http.StatusNotFound)
	badBody, _ := jsonMarshal(map[string]any{"project_id": pid,
		"asset_ids":  []string{clip.str(t, "id")},
		"renditions": []map[string]string{{"tier": "8k", "aspect": "9:16"}}})
	bad := b.do(t, "POST", "/api/v1/exports", u.Token, badBody, nil, true)
	if bad.want(t, http.StatusUnprocessableEntity).fieldError("renditions[0].tier") == "" {
		t.Fatalf("bad tier: %s", bad.raw)
	}

	res := b.call(t, "POST", "/api/v1/exports", u.Token, map[string]any{"project_id": pid,
		"asset_ids": []string{clip.str(t, "id"), still.str(t, "id")},
		"renditions": []map[string]string{{"tier": "720p", "aspect": "9:16", "format": "mp4"},
			{"tier": "720p", "aspect": "1:1", "format": "mov"}}}).want(t, http.StatusCreated)
	if res.body["kind"] != "export" || res.body["mime"] != "application/zip" {
		t.Fatalf("export: %s", res.raw)
	}
	path := download(t, res.str(t, "url"))
	entries := zipEntries(t, path)
	want := []string{"clip.mp4", "renditions/clip-720p-9x16.mp4",
		"renditions/clip-720p-1x1.mov", "still.png"}
	for _, name := range want {
		if entries[name] == "" {
			t.Fatalf("zip lacks %s: %v", name, entries)
		}
	}
	if len(entries) != len(want) {
		t.Fatalf("zip holds %v, want %v", entries, want)
	}
	for name, size := range map[string][2]int{"renditions/clip-720p-9x16.mp4": {720, 1280},
		"renditions/clip-720p-1x1.mov": {720, 720}} {
		info, err := b.media.Probe(context.Background(), entries[name])
		if err != nil {
			t.Fatal(err)
		}
		if info.Width != size[0] || info.Height != size[1] || info.VideoCodec != "h264" ||
			info.Duration < 900*time.Millisecond {
			t.Fatalf("%s: %dx%d %s %v", name, info.Width, info.Height, info.VideoCodec,
				info.Duration)
		}
	}
	if fi, _ := os.Stat(path); res.body["size_bytes"].(float64) != float64(fi.Size()) {
		t.Fatalf("recorded size %v, file %d", res.body["size_bytes"], fi.Size())
	}
	exports := b.call(t, "GET", "/api/v1/assets?project_id="+pid+"&kind=export", u.Token,
		nil).want(t, http.StatusOK).items(t)
	if len(exports) != 1 {
		t.Fatalf("exports listed: %v", exports)
	}
	if left, _ := filepath.Glob(filepath.Join(b.tmp, "*")); len(left) != 0 {
		t.Fatalf("export work files left: %v", left)
	}
}
