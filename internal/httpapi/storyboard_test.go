package httpapi

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const shortDrama = `# 雨夜重逢

场景一：咖啡馆 内 夜
镜头1 特写 2秒
林晓（白衬衫，短发）推门进来，雨水顺着发梢滴落。
林晓：你还在等我吗？

镜头2 推镜 2s
陈默放下咖啡杯，抬头看她。
陈默：我一直都在。
`

func TestStoryboardToVideoWithSubtitles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{workers: 4})
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		sb := b.call(t, "POST", "/api/v1/storyboards", u.Token, map[string]any{
			"project_id": pid, "script": shortDrama, "style": "电影感"}).
			want(t, http.StatusCreated)
		id := sb.str(t, "id")
		board := sb.body["storyboard"].(map[string]any)
		scenes := board["scenes"].([]any)
		shots := scenes[0].(map[string]any)["shots"].([]any)
		if board["language"] != "zh-CN" || len(shots) != 2 {
			t.Fatalf("storyboard: %s", sb.raw)
		}
		first := shots[0].(map[string]any)
		if !strings.Contains(first["prompt"].(string), "白衬衫") ||
			!slicesContain(first["camera"].([]any), "close-up") {
			t.Fatalf("first shot: %v", first)
		}

		// An edit on a stale version is refused; on the current one it lands.
		first["locked"] = true
		first["prompt"] = first["prompt"].(string) + "，霓虹倒影"
		b.call(t, "PUT", "/api/v1/storyboards/"+id, u.Token, map[string]any{"version": 99,
			"storyboard": board}).want(t, http.StatusConflict)
		edited := b.call(t, "PUT", "/api/v1/storyboards/"+id, u.Token, map[string]any{
			"version": sb.body["version"], "storyboard": board, "resynthesize": true}).
			want(t, http.StatusOK)
		saved := edited.body["storyboard"].(map[string]any)["scenes"].([]any)[0]
		savedShot := saved.(map[string]any)["shots"].([]any)[0].(map[string]any)
		if !strings.HasSuffix(savedShot["prompt"].(string), "霓虹倒影") {
			t.Fatal("resynthesis rewrote a locked shot's prompt")
		}

		job := b.call(t, "POST", "/api/v1/storyboards/"+id+"/render", u.Token, map[string]any{
			"resolution": "720p", "aspect_ratio": "9:16", "subtitles": "soft",
			"transition": "fade", "transition_seconds": 0.3, "watermark": "Reelforge"}).
			want(t, http.StatusAccepted)
		jobID := job.str(t, "id")
		if job.body["tasks"].(map[string]any)["total"].(float64) != 3 {
			t.Fatalf("render job: %s", job.raw)
		}
		done := b.waitJob(t, u.Token, jobID, 120*time.Second)
		if done.body["status"] != "succeeded" {
			t.Fatalf("render: %s", done.raw)
		}
		var ffmpegProgress bool
		for _, e := range b.call(t, "GET", "/api/v1/jobs/"+jobID+"/events?limit=1000", u.Token,
			nil).items(t) {
			ffmpegProgress = ffmpegProgress || e["type"] == "task.ffmpeg"
		}
		if !ffmpegProgress {
			t.Error("the assembly reported no FFmpeg progress to the event log")
		}
		final, assembleID := finalOf(t, b, u.Token, jobID)
		path := download(t, final)
		info, err := b.media.Probe(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Width != 720 || info.Height != 1280 || info.Duration < 3500*time.Millisecond ||
			info.Duration > 4500*time.Millisecond {
			t.Fatalf("final %dx%d %s, want 720x1280 about 3.7s", info.Width, info.Height,
				info.Duration)
		}
		subs := probeSubtitles(t, path)
		if !strings.Contains(subs, "你还在等我吗") || !strings.Contains(subs, "我一直都在") {
			t.Fatalf("the subtitle track lacks the dialogue: %q", subs)
		}

		// Regenerating one shot re-renders only it and assembles again.
		tasks := b.call(t, "GET", "/api/v1/jobs/"+jobID+"/tasks", u.Token, nil).items(t)
		shot2 := tasks[1]
		keep := tasks[0]["provider_job_id"]
		before := simCreates(b, shot2["id"].(string))
		b.call(t, "POST", "/api/v1/jobs/"+jobID+"/tasks/"+shot2["id"].(string)+"/regenerate",
			u.Token, nil).want(t, http.StatusOK)
		b.waitJob(t, u.Token, jobID, 120*time.Second)
		after := b.call(t, "GET", "/api/v1/jobs/"+jobID+"/tasks", u.Token, nil).items(t)
		if after[0]["provider_job_id"] != keep || simCreates(b, shot2["id"].(string)) != before+1 {
			t.Fatalf("regenerate touched other shots or did not render again: %v", after)
		}
		final2, assemble2 := finalOf(t, b, u.Token, jobID)
		if assemble2 != assembleID || final2 == final {
			t.Fatalf("the video was not assembled again")
		}
	})
}

func TestPromptLint(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite")
	u := b.user(t)
	b.call(t, "PATCH", "/api/v1/organizations/"+u.PersonalOrg, u.Token,
		map[string]any{"settings": map[string]any{"blocked_words": []string{"血腥"}}}).want(t, 200)
	res := b.call(t, "POST", "/api/v1/prompts/lint", u.Token, map[string]any{
		"prompt": "动漫风格 写实 血腥 {place}", "provider": "runway", "org_id": u.PersonalOrg}).
		want(t, http.StatusOK)
	var rules []string
	for _, f := range res.body["findings"].([]any) {
		rules = append(rules, f.(map[string]any)["rule"].(string))
	}
	joined := strings.Join(rules, ",")
	for _, want := range []string{"style_conflict", "blocked_word", "unresolved_variable",
		"no_camera"} {
		if !strings.Contains(joined, want) {
			t.Errorf("lint findings %v lack %s", rules, want)
		}
	}
}

// finalOf returns the signed URL of a storyboard job's final video and the
// id of its assembly task.
func finalOf(t *testing.T, b *engineBundle, token, jobID string) (string, string) {
	t.Helper()
	for _, tk := range b.call(t, "GET", "/api/v1/jobs/"+jobID+"/tasks", token, nil).items(t) {
		if tk["kind"] != "assemble" {
			continue
		}
		for _, a := range tk["assets"].([]any) {
			asset := a.(map[string]any)
			if asset["name"] == "final.mp4" {
				return asset["url"].(string), tk["id"].(string)
			}
		}
	}
	t.Fatal("no final video")
	return "", ""
}

// probeSubtitles extracts the soft subtitle track's text with ffmpeg.
func probeSubtitles(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:s:0", "-f", "srt",
		"-").Output()
	if err != nil {
		t.Fatalf("no subtitle track: %v", err)
	}
	return string(out)
}

func slicesContain(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
