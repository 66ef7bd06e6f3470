package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/db/dbtest"
	"github.com/reelforge/reelforge/internal/engine"
)

// sseEvents reads a job's live event stream until the server ends it, and
// returns the event types in order.
func sseEvents(t *testing.T, b *engineBundle, token, jobID string, timeout time.Duration) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/api/v1/jobs/"+jobID+"/events",
		nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	var types []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			types = append(types, typ)
			if typ == "end" {
				return types
			}
		}
	}
	t.Fatalf("stream ended without an end event after %v (%v)", types, sc.Err())
	return nil
}

// download fetches a signed URL with a plain client into a file.
func download(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJobRunsLiveToAnExactOutput(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{simQueue: 100 * time.Millisecond,
			simRender: 300 * time.Millisecond})
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		res := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{
			"project_id": pid, "prompt": "雨夜霓虹街头，女主角回眸 " + dbtest.RandomHex(3),
			"providers": []string{"sim"}, "duration": 1, "aspect_ratio": "9:16",
			"resolution": "720p"}).want(t, http.StatusAccepted)
		id := res.str(t, "id")
		if res.header.Get("Location") != "/api/v1/jobs/"+id ||
			res.body["estimated_cost_cents"].(float64) != 1 {
			t.Fatalf("accepted job: %v %s", res.header, res.raw)
		}
		types := sseEvents(t, b, u.Token, id, 60*time.Second)
		for _, want := range []string{"job.accepted", "task.starting", "task.created",
			"task.downloaded", "task.succeeded", "job.succeeded", "end"} {
			if !slices.Contains(types, want) {
				t.Fatalf("live events %v lack %s", types, want)
			}
		}
		job := b.call(t, "GET", "/api/v1/jobs/"+id, u.Token, nil).want(t, http.StatusOK)
		if job.body["status"] != "succeeded" || job.body["progress"].(float64) != 1 ||
			job.body["actual_cost_cents"].(float64) != 1 {
			t.Fatalf("finished job: %s", job.raw)
		}
		tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
		assets, _ := tasks[0]["assets"].([]any)
		if len(tasks) != 1 || len(assets) != 2 {
			t.Fatalf("tasks: %v", tasks)
		}
		video := assets[0].(map[string]any)
		path := download(t, video["url"].(string))
		info, err := b.media.Probe(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Width != 720 || info.Height != 1280 || info.VideoCodec != "h264" ||
			info.Duration < 900*time.Millisecond || info.Duration > 1200*time.Millisecond {
			t.Fatalf("output %dx%d %s %s, want 720x1280 h264 about 1s", info.Width,
				info.Height, info.VideoCodec, info.Duration)
		}
		if video["width"].(float64) != 720 || video["checksum_sha256"] == "" {
			t.Fatalf("asset record: %v", video)
		}
		resp, err := http.Get(b.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(metrics),
			`reelforge_tasks_total{error_code="",provider="sim",status="succeeded"} 1`) {
			t.Fatalf("metrics lack the finished task:\n%s", grepLines(string(metrics),
				"reelforge_tasks_total"))
		}
		for _, series := range []string{`reelforge_queue_entries{queue="sim",state="ready"} 0`,
			`reelforge_provider_concurrency_in_use{provider="sim"} 0`,
			`reelforge_provider_request_duration_seconds_count{operation="create",provider="sim"} 1`,
			`reelforge_cost_cents_total{provider="sim"} 1`} {
			if !strings.Contains(string(metrics), series) {
				t.Fatalf("metrics lack %s:\n%s", series, grepLines(string(metrics), "reelforge_"))
			}
		}
	})
}

func TestJobTranscodesToTheRequestedFormat(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	id := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{
		"project_id": pid, "prompt": "a paper boat", "providers": []string{"sim"},
		"duration": 1, "aspect_ratio": "1:1", "format": "mov"}).
		want(t, http.StatusAccepted).str(t, "id")
	b.waitJob(t, u.Token, id, 60*time.Second)
	tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
	video := tasks[0]["assets"].([]any)[0].(map[string]any)
	info, err := b.media.Probe(context.Background(), download(t, video["url"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 720 || info.Height != 720 || info.MajorBrand != "qt  " ||
		video["mime"] != "video/quicktime" {
		t.Fatalf("mov output: %dx%d brand %q mime %v", info.Width, info.Height,
			info.MajorBrand, video["mime"])
	}
	events := b.call(t, "GET", "/api/v1/jobs/"+id+"/events", u.Token, nil).items(t)
	var sawTranscode bool
	for _, e := range events {
		sawTranscode = sawTranscode || e["type"] == "task.transcoded"
	}
	if !sawTranscode {
		t.Fatal("no transcode event for an MP4 delivered as MOV")
	}
}

func TestFailuresAreNormalizedRetriedAndRetryable(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{cfg: engine.Config{MaxAttempts: 2}})
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		tag := dbtest.RandomHex(3)
		variant := func(prompt string, params map[string]any) map[string]any {
			return map[string]any{"provider": "sim", "prompt": prompt + " " + tag,
				"params": params}
		}
		id := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{
			"project_id": pid, "duration": 1, "variants": []any{
				variant("bad request", map[string]any{"sim_fail": "bad_request"}),
				variant("throttled once", map[string]any{"sim_rate_limit_once": true}),
				variant("always broken", map[string]any{"sim_fail": "provider_error"}),
			}}).want(t, http.StatusAccepted).str(t, "id")
		job := b.waitJob(t, u.Token, id, 90*time.Second)
		if job.body["status"] != "failed" {
			t.Fatalf("job: %s", job.raw)
		}
		tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
		got := map[string]string{}
		for _, tk := range tasks {
			got[strings.Fields(tk["prompt"].(string))[0]] = fmt.Sprint(tk["status"], "/",
				tk["error_code"], "/", tk["attempt"])
		}
		want := map[string]string{
			"bad":       "failed/bad_request/0",     // never retried
			"throttled": "succeeded/rate_limited/1", // retried after Retry-After
			"always":    "failed/provider_error/1",  // out of attempts
		}
		for k, w := range want {
			if !strings.HasPrefix(got[k], strings.SplitN(w, "/", 2)[0]) ||
				!strings.Contains(got[k], strings.Split(w, "/")[1]) {
				t.Errorf("%s: got %s, want %s", k, got[k], w)
			}
		}
		creates := map[string]int{}
		for _, tk := range tasks {
			creates[strings.Fields(tk["prompt"].(string))[0]] = simCreates(b, tk["id"].(string))
		}
		if creates["always"] != 2 || creates["throttled"] != 2 || creates["bad"] != 1 {
			t.Fatalf("provider creates per task %v, want always 2, throttled 2, bad 1", creates)
		}
		// Retry puts the failed tasks back with fresh attempts; the forced
		// failures fail them again.
		b.call(t, "POST", "/api/v1/jobs/"+id+"/retry", u.Token, nil).want(t, http.StatusOK)
		b.waitJob(t, u.Token, id, 90*time.Second)
		var retried int
		for _, e := range b.call(t, "GET", "/api/v1/jobs/"+id+"/events?limit=1000", u.Token,
			nil).items(t) {
			if e["type"] == "job.retry" {
				retried++
			}
		}
		for _, tk := range b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t) {
			if n := simCreates(b, tk["id"].(string)); strings.HasPrefix(tk["prompt"].(string),
				"always") && n != 4 {
				t.Fatalf("after retry the broken task was created %d times, want 4", n)
			}
		}
		if retried != 1 {
			t.Fatalf("%d job.retry events", retried)
		}
	})
}

func TestCancelStopsTheProviderJob(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{simRender: 20 * time.Second})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	id := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{"project_id": pid,
		"prompt": "a long render", "providers": []string{"sim"}, "duration": 1}).
		want(t, http.StatusAccepted).str(t, "id")
	var providerJob string
	for deadline := time.Now().Add(30 * time.Second); providerJob == ""; {
		tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
		providerJob, _ = tasks[0]["provider_job_id"].(string)
		if time.Now().After(deadline) {
			t.Fatal("the provider job was never created")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := b.call(t, "POST", "/api/v1/jobs/"+id+"/cancel", u.Token, nil).want(t, http.StatusOK)
	if res.body["status"] != "canceled" {
		t.Fatalf("after cancel: %s", res.raw)
	}
	st, err := b.sim.Get(context.Background(), providerJob)
	if err != nil || st.State != "canceled" {
		t.Fatalf("provider job after cancel: %v %v", st.State, err)
	}
	// A cancel is final: the worker's next look does not revive the task.
	time.Sleep(500 * time.Millisecond)
	if s := b.call(t, "GET", "/api/v1/jobs/"+id, u.Token, nil).str(t, "status"); s != "canceled" {
		t.Fatalf("status changed to %s after cancel", s)
	}
}

func TestIdempotencyDedupeAndBudget(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		b := setupEngine(t, dialect, engineOpts{})
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		body := map[string]any{"project_id": pid, "prompt": "同一个镜头 " + dbtest.RandomHex(3),
			"providers": []string{"sim"}, "duration": 2}
		raw := []byte(mustMarshal(t, body))
		key := map[string]string{"Idempotency-Key": "k-" + dbtest.RandomHex(4)}
		first := b.do(t, "POST", "/api/v1/jobs", u.Token, raw, key, false).
			want(t, http.StatusAccepted)
		again := b.do(t, "POST", "/api/v1/jobs", u.Token, raw, key, false).want(t, http.StatusOK)
		if first.str(t, "id") != again.str(t, "id") {
			t.Fatal("the same key and body made a second job")
		}
		body["duration"] = 3
		b.do(t, "POST", "/api/v1/jobs", u.Token, []byte(mustMarshal(t, body)), key, false).
			want(t, http.StatusConflict)
		b.waitJob(t, u.Token, first.str(t, "id"), 60*time.Second)

		// The identical variant again reuses the output instead of paying.
		body["duration"] = 2
		dup := b.call(t, "POST", "/api/v1/jobs", u.Token, body).want(t, http.StatusAccepted)
		if dup.body["status"] != "succeeded" || dup.body["estimated_cost_cents"].(float64) != 0 {
			t.Fatalf("duplicate job: %s", dup.raw)
		}
		tasks := b.call(t, "GET", "/api/v1/jobs/"+dup.str(t, "id")+"/tasks", u.Token, nil).items(t)
		if len(tasks[0]["assets"].([]any)) != 2 || b.sim.Creates(tasks[0]["id"].(string)) != 0 {
			t.Fatalf("the reused task: %v", tasks[0])
		}

		// A budget below this month's spend refuses the next job.
		b.call(t, "PATCH", "/api/v1/organizations/"+u.PersonalOrg, u.Token,
			map[string]any{"monthly_budget_cents": 2}).want(t, http.StatusOK)
		body["prompt"] = "another shot " + dbtest.RandomHex(3)
		res := b.call(t, "POST", "/api/v1/jobs", u.Token, body)
		if res.status != http.StatusPaymentRequired || res.body["code"] != "budget_exceeded" {
			t.Fatalf("over budget: %d %s", res.status, res.raw)
		}
	})
}

func TestJobValidationNamesTheField(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{noWorkers: true})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	other := b.project(t, u.Token, u.PersonalOrg)
	foreign := b.call(t, "POST", "/api/v1/prompts", u.Token, map[string]string{
		"project_id": other, "title": "x", "body": "y"}).want(t, 201).str(t, "id")
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"prompt": "x", "providers": []string{"sora"}}, "variants[0].provider"},
		{map[string]any{"prompt": "x", "providers": []string{"sim"}, "duration": 99}, "duration"},
		{map[string]any{"prompt": "x", "providers": []string{"sim"}, "duration": 30},
			"variants[0].duration_seconds"},
		{map[string]any{"prompt": "x", "providers": []string{"sim"}, "aspect_ratio": "4:3"},
			"aspect_ratio"},
		{map[string]any{"providers": []string{"sim"}}, "prompt"},
		{map[string]any{"variants": []any{map[string]any{"provider": "sim",
			"prompt_id": foreign}}}, "variants[0].prompt_id"},
	}
	for _, c := range cases {
		c.body["project_id"] = pid
		res := b.do(t, "POST", "/api/v1/jobs", u.Token, []byte(mustMarshal(t, c.body)), nil, true)
		if res.status != http.StatusUnprocessableEntity || res.fieldError(c.field) == "" {
			t.Errorf("%v: %d %s, want 422 naming %s", c.body, res.status, res.raw, c.field)
		}
	}
	list := b.call(t, "GET", "/api/v1/jobs?project_id="+pid, u.Token, nil).want(t, 200)
	if list.body["total"].(float64) != 0 {
		t.Fatalf("invalid requests created jobs: %s", list.raw)
	}
}

func TestProviderConcurrencyCap(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{simRender: 300 * time.Millisecond, workers: 4,
		cfg: engine.Config{Limits: map[string]engine.Limits{"sim": {Concurrency: 1}}}})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	var variants []any
	for i := range 3 {
		variants = append(variants, map[string]any{"provider": "sim",
			"prompt": fmt.Sprintf("shot %d", i)})
	}
	id := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{"project_id": pid,
		"duration": 1, "variants": variants}).want(t, http.StatusAccepted).str(t, "id")
	b.waitJob(t, u.Token, id, 90*time.Second)
	// Between a task's start and its download it holds the only sim slot:
	// no two of those spans may overlap.
	type span struct{ from, to time.Time }
	spans := map[string]*span{}
	for _, e := range b.call(t, "GET", "/api/v1/jobs/"+id+"/events?limit=1000", u.Token,
		nil).items(t) {
		task, _ := e["task_id"].(string)
		at, _ := time.Parse(time.RFC3339Nano, e["created_at"].(string))
		switch e["type"] {
		case "task.starting":
			spans[task] = &span{from: at}
		case "task.downloaded":
			spans[task].to = at
		}
	}
	var all []*span
	for _, s := range spans {
		all = append(all, s)
	}
	if len(all) != 3 {
		t.Fatalf("%d task spans", len(all))
	}
	for i := range all {
		for j := range all {
			if i != j && all[i].from.Before(all[j].to) && all[j].from.Before(all[i].to) {
				t.Fatalf("two tasks held the single sim slot at once: %v %v", all[i], all[j])
			}
		}
	}
}

// simCreates counts the simulator's creates for every attempt of a task:
// each attempt reaches the provider under its own id (see providerTaskID).
func simCreates(b *engineBundle, taskID string) int {
	n := b.sim.Creates(taskID)
	for gen := 1; gen < 10; gen++ {
		n += b.sim.Creates(fmt.Sprintf("%s-g%d", taskID, gen))
	}
	return n
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestFirstFrameFeedsImageToVideo(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, "sqlite", engineOpts{})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	res := b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{"project_id": pid,
		"duration": 1, "aspect_ratio": "16:9", "variants": []any{map[string]any{
			"provider": "sim", "prompt": "the harbour at dawn",
			"first_frame": map[string]any{"provider": "sim", "prompt": "a still of the harbour"},
		}}}).want(t, http.StatusAccepted)
	id := res.str(t, "id")
	if res.body["tasks"].(map[string]any)["total"].(float64) != 2 {
		t.Fatalf("want a key frame task and a video task: %s", res.raw)
	}
	b.waitJob(t, u.Token, id, 60*time.Second).want(t, http.StatusOK)
	tasks := b.call(t, "GET", "/api/v1/jobs/"+id+"/tasks", u.Token, nil).items(t)
	kinds := map[string]string{}
	for _, tk := range tasks {
		params := tk["params"].(map[string]any)
		kinds[tk["kind"].(string)] = params["kind"].(string)
		if tk["status"] != "succeeded" {
			t.Fatalf("task %v", tk)
		}
	}
	if kinds["keyframe"] != "text_to_image" || kinds["generate"] != "image_to_video" {
		t.Fatalf("task kinds %v", kinds)
	}
	var started bool
	for _, e := range b.call(t, "GET", "/api/v1/jobs/"+id+"/events?limit=1000", u.Token,
		nil).items(t) {
		started = started || e["type"] == "task.first_frame"
	}
	if !started {
		t.Fatal("no event says the video started from the first frame")
	}
}
