package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/kling"
	"github.com/reelforge/reelforge/internal/provider/kling/klingtest"
	"github.com/reelforge/reelforge/internal/provider/nanobanana"
	"github.com/reelforge/reelforge/internal/provider/nanobanana/nanobananatest"
	"github.com/reelforge/reelforge/internal/provider/replicate"
	"github.com/reelforge/reelforge/internal/provider/replicate/replicatetest"
	"github.com/reelforge/reelforge/internal/provider/runway"
	"github.com/reelforge/reelforge/internal/provider/runway/runwaytest"
	"github.com/reelforge/reelforge/internal/provider/veo"
	"github.com/reelforge/reelforge/internal/provider/veo/veotest"
	"github.com/reelforge/reelforge/internal/provider/wan"
	"github.com/reelforge/reelforge/internal/provider/wan/wantest"
	"github.com/reelforge/reelforge/internal/store"
)

// vendorFake is what the end-to-end tests use of every fake vendor.
type vendorFake interface {
	URL() string
	ThrottleOnce(retryAfter int)
	SetHang(d time.Duration)
	Creates() int
	Cancels() int
	Polls() int
}

// ticker is implemented by the fakes whose jobs move on a clock.
type ticker interface{ SetTick(time.Duration) }

// vendorCase is one adapter with its fake, and how to make that fake
// refuse or fail the way the real vendor does.
type vendorCase struct {
	name     string // provider name
	model    string // variant model; "" is the adapter's default
	kind     string // variant kind; "" is text_to_video
	duration int
	factory  provider.Factory
	newFake  func(t *testing.T) vendorFake
	// config points the adapter at f with creds, or with the good ones.
	config func(f vendorFake, creds string) provider.Config
	// badCreds are rejected by the vendor as unknown.
	badCreds string
	// failWord in a prompt makes the vendor fail the job with a reason
	// containing failText, which the engine normalizes to failCode.
	failWord, failCode, failText string
	// quota makes the vendor report an exhausted balance: through
	// credentials, a prompt word or the fake's own switch.
	quotaCreds, quotaWord string
	quotaPrep             func(f vendorFake)
	// canCancel: the vendor has a cancel call.
	canCancel bool
	// image: the output is a still of imageW x imageH.
	image          bool
	imageW, imageH int
}

func googleBillingDisabled(w http.ResponseWriter) {
	veotest.GoogleError(w, 403, "PERMISSION_DENIED", "Billing is disabled for project proj-1.",
		map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "BILLING_DISABLED"})
}

func vendorCases() []vendorCase {
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return []vendorCase{{
		name: replicate.Name, model: "wan-video/wan-2.5-t2v", duration: 5,
		factory: replicate.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return replicatetest.NewServer(t, replicatetest.Options{PlainHTTPWebhooks: true})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, replicatetest.Token),
				BaseURL: f.URL()}
		},
		badCreds: "r8_wrongTokenWrongToken000000", failWord: "nsfw",
		failCode: "bad_request", failText: "flagged as sensitive",
		quotaCreds: replicatetest.BrokeToken, canCancel: true,
	}, {
		name: runway.Name, model: "gen4.5", duration: 5, factory: runway.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return runwaytest.NewServer(t, runwaytest.Options{})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, runwaytest.Key), BaseURL: f.URL()}
		},
		badCreds: "key_wrong0123456789abcdef", failWord: "unsafe",
		failCode: "bad_request", failText: "content moderation",
		quotaCreds: runwaytest.BrokeKey, canCancel: true,
	}, {
		name: kling.Name, duration: 5, factory: kling.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return klingtest.NewServer(t, klingtest.Options{})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, klingtest.Access+":"+klingtest.Secret),
				BaseURL: f.URL()}
		},
		badCreds: klingtest.Access + ":not-the-secret", failWord: "fail",
		failCode: "bad_request", failText: "risk control", quotaWord: "quota",
	}, {
		name: veo.Name, duration: 4, factory: veo.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return veotest.NewServer(t, veotest.Options{})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, veotest.APIKey), BaseURL: f.URL()}
		},
		badCreds: "AIzaWrongKeyForTests0001", failWord: "filtered",
		failCode: "bad_request", failText: "violates our policies",
		quotaPrep: func(f vendorFake) { f.(*veotest.Server).FailNext(googleBillingDisabled) },
	}, {
		name: wan.Name, duration: 5, factory: wan.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return wantest.NewServer(t, wantest.Options{})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, wantest.Key),
				BaseURL: f.URL() + "/api/v1"}
		},
		badCreds: "sk-wrong0123456789abcdef", failWord: "moderate",
		failCode: "bad_request", failText: "inappropriate content", quotaWord: "arrears",
		canCancel: true,
	}, {
		name: "nano", kind: "text_to_image", duration: 5, factory: nanobanana.Factory(),
		newFake: func(t *testing.T) vendorFake {
			return nanobananatest.NewServer(t, nanobananatest.Options{})
		},
		config: func(f vendorFake, creds string) provider.Config {
			return provider.Config{Credentials: or(creds, nanobananatest.Key),
				BaseURL: f.URL()}
		},
		badCreds: "AIzaWrongNanoKey0001", failWord: "blocked",
		failCode: "bad_request", failText: "SAFETY",
		quotaPrep: func(f vendorFake) {
			f.(*nanobananatest.Server).FailNext(googleBillingDisabled)
		},
		image: true, imageW: 1344, imageH: 768,
	}}
}

// quickEngine is an engine that polls often, tries twice and transcodes
// fast, for fakes whose jobs take a fraction of a second.
func quickEngine() engine.Config {
	return engine.Config{MaxAttempts: 2, PollMin: 100 * time.Millisecond,
		PollMax: 300 * time.Millisecond, Preset: "ultrafast"}
}

// vendorBundle starts an engine with vc's adapter on f, the adapter's HTTP
// calls giving up after half a second.
func vendorBundle(t *testing.T, dialect string, vc vendorCase, f vendorFake, creds string,
	cfg engine.Config) *engineBundle {
	t.Helper()
	pc := vc.config(f, creds)
	pc.HTTPClient = &http.Client{Timeout: 500 * time.Millisecond}
	return setupEngine(t, dialect, engineOpts{cfg: cfg, providers: []extraProvider{
		{name: vc.name, factory: vc.factory, config: pc}}})
}

// variant is vc's variant of a job with prompt.
func (vc vendorCase) variant(prompt string) map[string]any {
	v := map[string]any{"provider": vc.name, "prompt": prompt}
	if vc.model != "" {
		v["model"] = vc.model
	}
	if vc.kind != "" {
		v["kind"] = vc.kind
	}
	return v
}

// submitJob posts a job of variants and returns its id.
func submitJob(t *testing.T, b *engineBundle, u *testUser, pid string, duration int,
	variants ...map[string]any) string {
	t.Helper()
	return b.call(t, "POST", "/api/v1/jobs", u.Token, map[string]any{"project_id": pid,
		"duration": duration, "aspect_ratio": "16:9", "resolution": "720p",
		"variants": variants}).want(t, http.StatusAccepted).str(t, "id")
}

// onlyTask returns the job's single task.
func onlyTask(t *testing.T, b *engineBundle, token, jobID string) map[string]any {
	t.Helper()
	tasks := b.call(t, "GET", "/api/v1/jobs/"+jobID+"/tasks", token, nil).want(t, 200).items(t)
	if len(tasks) != 1 {
		t.Fatalf("job %s has %d tasks", jobID, len(tasks))
	}
	return tasks[0]
}

// jobEvents returns the job's event log, oldest first.
func jobEvents(t *testing.T, b *engineBundle, token, jobID string) []map[string]any {
	t.Helper()
	return b.call(t, "GET", "/api/v1/jobs/"+jobID+"/events?limit=1000", token, nil).
		want(t, 200).items(t)
}

// eventsOfType filters events by type.
func eventsOfType(events []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// eventTypes lists the types of events, for failure messages.
func eventTypes(events []map[string]any) []any {
	out := make([]any, len(events))
	for i, e := range events {
		out[i] = e["type"]
	}
	return out
}

// waitProviderJob waits until the job's task has a provider job id.
func waitProviderJob(t *testing.T, b *engineBundle, token, jobID string) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		if id, _ := onlyTask(t, b, token, jobID)["provider_job_id"].(string); id != "" {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: no provider job was created", jobID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTaskStatus waits until the job's task reaches status.
func waitTaskStatus(t *testing.T, b *engineBundle, token, jobID, status string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		task := onlyTask(t, b, token, jobID)
		if task["status"] == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: task %v, want %s", jobID, task["status"], status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitEvent waits until the job's log has an event of type typ.
func waitEvent(t *testing.T, b *engineBundle, token, jobID, typ string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		events := jobEvents(t, b, token, jobID)
		if len(eventsOfType(events, typ)) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: no %s event in %v", jobID, typ, eventTypes(events))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// send delivers a vendor's push to the API and checks the exchange against
// the OpenAPI document; it returns the status.
func (b *engineBundle) send(t *testing.T, req *http.Request) int {
	t.Helper()
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respRaw, _ := io.ReadAll(resp.Body)
	req.Body = io.NopCloser(bytes.NewReader(raw))
	b.checker.check(t, req, raw, resp, respRaw, false)
	return resp.StatusCode
}

// wantSucceeded checks what a user checks of a finished job: it
// succeeded, the output downloads from its signed URL at exactly the
// requested 1280x720 (the fakes render 640x360, so the engine transcoded
// it), and the cost was recorded.
func wantSucceeded(t *testing.T, b *engineBundle, vc vendorCase, token, jobID string) {
	t.Helper()
	job := b.waitJob(t, token, jobID, 30*time.Second)
	task := onlyTask(t, b, token, jobID)
	if job.body["status"] != "succeeded" || task["status"] != "succeeded" {
		t.Fatalf("%s job %s; task %v", vc.name, job.raw, task)
	}
	cost, _ := job.body["actual_cost_cents"].(float64)
	if cost <= 0 || cost != job.body["estimated_cost_cents"] ||
		task["actual_cost_cents"] != cost {
		t.Fatalf("%s: cost not recorded: job %s, task %v", vc.name, job.raw,
			task["actual_cost_cents"])
	}
	assets, _ := task["assets"].([]any)
	if len(assets) == 0 {
		t.Fatalf("%s: no assets: %v", vc.name, task)
	}
	out := assets[0].(map[string]any)
	info, err := b.media.Probe(context.Background(), download(t, out["url"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if vc.image {
		if len(assets) != 1 || out["kind"] != "image" || out["mime"] != "image/png" ||
			out["width"] != float64(vc.imageW) || out["height"] != float64(vc.imageH) ||
			info.Width != vc.imageW || info.Height != vc.imageH {
			t.Fatalf("%s: image %dx%d, asset %v", vc.name, info.Width, info.Height, out)
		}
		return
	}
	if len(assets) != 2 || info.Width != 1280 || info.Height != 720 ||
		info.VideoCodec != "h264" || out["width"] != 1280.0 || out["height"] != 720.0 {
		t.Fatalf("%s: output %dx%d %s, assets %v", vc.name, info.Width, info.Height,
			info.VideoCodec, assets)
	}
	transcoded := eventsOfType(jobEvents(t, b, token, jobID), "task.transcoded")
	if len(transcoded) != 1 || !strings.Contains(transcoded[0]["message"].(string), "640x360") {
		t.Fatalf("%s: transcode events %v", vc.name, transcoded)
	}
}

// wantFailed checks a failed job's task: its normalized code, a message
// carrying the vendor's reason, and the attempt it ended on (0-based).
func wantFailed(t *testing.T, b *engineBundle, token, jobID, code, text string,
	attempt int) {
	t.Helper()
	job := b.waitJob(t, token, jobID, 30*time.Second)
	task := onlyTask(t, b, token, jobID)
	msg, _ := task["error_message"].(string)
	if job.body["status"] != "failed" || task["status"] != "failed" ||
		task["error_code"] != code || msg == "" || !strings.Contains(msg, text) ||
		task["attempt"] != float64(attempt) {
		t.Fatalf("job %s; task %v %v %q attempt %v; want %s with %q at attempt %d",
			job.body["status"], task["status"], task["error_code"], msg, task["attempt"],
			code, text, attempt)
	}
	if len(eventsOfType(jobEvents(t, b, token, jobID), "task.failed")) != 1 {
		t.Fatalf("no task.failed event")
	}
}

// TestAdaptersEndToEnd runs every adapter against its fake vendor through
// the engine, as a user sees it through the API: cancel, rate limit with
// Retry-After, success, the vendor's failure, timeouts, bad credentials and
// an exhausted balance.
func TestAdaptersEndToEnd(t *testing.T) {
	t.Parallel()
	for _, vc := range vendorCases() {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			f := vc.newFake(t)
			b := vendorBundle(t, "sqlite", vc, f, "", quickEngine())
			u := b.user(t)
			pid := b.project(t, u.Token, u.PersonalOrg)

			// Cancel while the vendor holds the job (its clock stands
			// still until SetTick below).
			cancelJob(t, b, vc, f, u, pid)

			if tk, ok := f.(ticker); ok {
				tk.SetTick(150 * time.Millisecond)
			}
			// A 429 with Retry-After: 1 on the first create, then success.
			f.ThrottleOnce(1)
			creates := f.Creates()
			throttled := submitJob(t, b, u, pid, vc.duration, vc.variant("a lighthouse at dawn"))
			waitEvent(t, b, u.Token, throttled, "task.retry")
			ok := submitJob(t, b, u, pid, vc.duration, vc.variant("a paper boat on a pond"))
			failed := submitJob(t, b, u, pid, vc.duration, vc.variant("a "+vc.failWord+" scene"))
			wantSucceeded(t, b, vc, u.Token, throttled)
			retries := eventsOfType(jobEvents(t, b, u.Token, throttled), "task.retry")
			if len(retries) != 1 {
				t.Fatalf("retry events %v", retries)
			}
			data := retries[0]["data"].(map[string]any)
			if data["error_code"] != "rate_limited" || data["delay_ms"] != 1000.0 {
				t.Fatalf("retry event %v, want rate_limited after 1000 ms", retries[0])
			}
			wantSucceeded(t, b, vc, u.Token, ok)
			if vc.image {
				// Nano Banana's create carries the result (Created.Result):
				// the engine stores it at once, without asking again.
				var seq []any
				for _, e := range jobEvents(t, b, u.Token, ok) {
					if e["task_id"] != nil {
						seq = append(seq, e["type"])
					}
				}
				if fmt.Sprint(seq[:3]) != "[task.starting task.created task.downloaded]" {
					t.Fatalf("synchronous result: events %v", seq)
				}
			}
			wantFailed(t, b, u.Token, failed, vc.failCode, vc.failText, 0)
			if got := f.Creates() - creates; got != 4 {
				t.Fatalf("%d creates for the throttled, good and failing jobs, want 4", got)
			}

			// The vendor stops answering: the create times out on both
			// attempts (timeouts are retried) and the task fails with
			// timeout.
			f.SetHang(3 * time.Second)
			creates = f.Creates()
			hung := submitJob(t, b, u, pid, vc.duration, vc.variant("a slow river"))
			wantFailed(t, b, u.Token, hung, "timeout", "", 1)
			f.SetHang(0)
			retries = eventsOfType(jobEvents(t, b, u.Token, hung), "task.retry")
			if f.Creates()-creates != 2 || len(retries) != 1 ||
				retries[0]["data"].(map[string]any)["error_code"] != "timeout" {
				t.Fatalf("timeouts: %d creates, retry events %v", f.Creates()-creates, retries)
			}
		})
		t.Run(vc.name+"/accounts", func(t *testing.T) {
			t.Parallel()
			// Bad credentials fail at once: no retry, one create.
			f := vc.newFake(t)
			b := vendorBundle(t, "sqlite", vc, f, vc.badCreds, quickEngine())
			u := b.user(t)
			pid := b.project(t, u.Token, u.PersonalOrg)
			id := submitJob(t, b, u, pid, vc.duration, vc.variant("a lighthouse at dawn"))
			wantFailed(t, b, u.Token, id, "auth_failed", "", 0)
			if f.Creates() != 1 || len(eventsOfType(jobEvents(t, b, u.Token, id),
				"task.retry")) != 0 {
				t.Fatalf("bad credentials: %d creates", f.Creates())
			}

			// An exhausted balance fails as quota_exhausted, not retried.
			f = vc.newFake(t)
			b = vendorBundle(t, "sqlite", vc, f, vc.quotaCreds, quickEngine())
			u = b.user(t)
			pid = b.project(t, u.Token, u.PersonalOrg)
			if vc.quotaPrep != nil {
				vc.quotaPrep(f)
			}
			prompt := "a lighthouse at dawn"
			if vc.quotaWord != "" {
				prompt = "a " + vc.quotaWord + " lighthouse"
			}
			id = submitJob(t, b, u, pid, vc.duration, vc.variant(prompt))
			wantFailed(t, b, u.Token, id, "quota_exhausted", "", 0)
			if f.Creates() != 1 {
				t.Fatalf("exhausted balance: %d creates", f.Creates())
			}
		})
	}
}

// cancelJob cancels a job whose vendor job is still queued. Vendors with a
// cancel call see it; for the others the task ends locally and the engine
// stops asking the vendor about it.
func cancelJob(t *testing.T, b *engineBundle, vc vendorCase, f vendorFake, u *testUser,
	pid string) {
	t.Helper()
	if vc.image {
		// Nano Banana answers the create itself: cancel while it hangs.
		f.SetHang(2 * time.Second)
	}
	id := submitJob(t, b, u, pid, vc.duration, vc.variant("a long take of the sea"))
	if vc.image {
		waitTaskStatus(t, b, u.Token, id, "starting")
	} else {
		waitProviderJob(t, b, u.Token, id)
	}
	res := b.call(t, "POST", "/api/v1/jobs/"+id+"/cancel", u.Token, nil).want(t, http.StatusOK)
	if res.body["status"] != "canceled" {
		t.Fatalf("after cancel: %s", res.raw)
	}
	if vc.canCancel && f.Cancels() != 1 {
		t.Fatalf("%s saw %d cancels, want 1", vc.name, f.Cancels())
	}
	// A step already past its look at the task may still make one call.
	time.Sleep(600 * time.Millisecond)
	polls, creates := f.Polls(), f.Creates()
	time.Sleep(800 * time.Millisecond)
	if f.Polls() != polls || f.Creates() != creates {
		t.Fatalf("%s asked %d more times, created %d more, after the cancel", vc.name,
			f.Polls()-polls, f.Creates()-creates)
	}
	if vc.image {
		f.SetHang(0)
	}
	if s := onlyTask(t, b, u.Token, id)["status"]; s != "canceled" {
		t.Fatalf("task %v after cancel", s)
	}
}

// TestVendorJobOnEveryDialect runs the success path on both databases (and
// the Redis queue on MySQL).
func TestVendorJobOnEveryDialect(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		vc := vendorCases()[2] // kling
		f := vc.newFake(t)
		f.(ticker).SetTick(150 * time.Millisecond)
		b := vendorBundle(t, dialect, vc, f, "", quickEngine())
		u := b.user(t)
		pid := b.project(t, u.Token, u.PersonalOrg)
		wantSucceeded(t, b, vc, u.Token,
			submitJob(t, b, u, pid, vc.duration, vc.variant("a lighthouse at dawn")))
	})
}

// TestWebhooksWakeTasksEarly: a genuine push makes the engine fetch the
// finished job at once, long before its next scheduled poll; a forged push
// is refused with 401 and wakes nothing; a replayed one is refused too.
func TestWebhooksWakeTasksEarly(t *testing.T) {
	t.Parallel()
	slow := engine.Config{MaxAttempts: 1, PollMin: 20 * time.Second,
		PollMax: 30 * time.Second, Preset: "ultrafast"}
	type pushes struct {
		valid, forged, replay func(providerJobID string) *http.Request
	}
	cases := []struct {
		vc     vendorCase
		finish func(f vendorFake)
		pushes func(t *testing.T, f vendorFake) pushes
	}{{
		vc:     vendorCases()[0],
		finish: func(f vendorFake) { f.(*replicatetest.Server).Advance(replicatetest.TicksDone) },
		pushes: func(t *testing.T, f vendorFake) pushes {
			r := f.(*replicatetest.Server)
			must := func(req *http.Request, err error) *http.Request {
				if err != nil {
					t.Fatal(err)
				}
				return req
			}
			return pushes{
				valid:  func(id string) *http.Request { return must(r.PushRequest(id)) },
				forged: func(id string) *http.Request { return must(r.ForgedPushRequest(id)) },
				replay: func(string) *http.Request { return must(r.ReplayRequest()) },
			}
		},
	}, {
		vc: vendorCases()[2],
		finish: func(f vendorFake) {
			f.(*klingtest.Server).Advance(time.Second)
			f.(*klingtest.Server).Advance(time.Second)
		},
		pushes: func(t *testing.T, f vendorFake) pushes {
			cb := func() klingtest.Callback {
				cbs := f.(*klingtest.Server).Callbacks()
				if len(cbs) != 1 {
					t.Fatalf("%d callbacks, want 1", len(cbs))
				}
				return cbs[0]
			}
			req := func(c klingtest.Callback) *http.Request {
				r, err := c.Request()
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			return pushes{
				valid: func(string) *http.Request { return req(cb()) },
				forged: func(string) *http.Request {
					// Kling signs nothing: a forger can only guess the
					// task signature our callback URL carries.
					c := cb()
					u, _ := url.Parse(c.URL)
					q := u.Query()
					q.Set("sig", strings.Repeat("0", len(q.Get("sig"))))
					u.RawQuery = q.Encode()
					c.URL = u.String()
					return req(c)
				},
				replay: func(string) *http.Request { return req(cb()) },
			}
		},
	}}
	for _, c := range cases {
		t.Run(c.vc.name, func(t *testing.T) {
			t.Parallel()
			f := c.vc.newFake(t)
			pc := c.vc.config(f, "")
			pc.HTTPClient = &http.Client{Timeout: 2 * time.Second}
			pc.Getenv = func(k string) string {
				return map[string]string{replicate.EnvWebhookSecret: replicatetest.WebhookSecret}[k]
			}
			b := setupEngine(t, "sqlite", engineOpts{cfg: slow, providers: []extraProvider{
				{name: c.vc.name, factory: c.vc.factory, config: pc}}})
			u := b.user(t)
			pid := b.project(t, u.Token, u.PersonalOrg)
			id := submitJob(t, b, u, pid, c.vc.duration, c.vc.variant("a lighthouse at dawn"))
			providerJob := waitProviderJob(t, b, u.Token, id)
			// The vendor finishes; the engine would only look in 20 s.
			c.finish(f)
			p := c.pushes(t, f)
			if got := b.send(t, p.forged(providerJob)); got != http.StatusUnauthorized {
				t.Fatalf("forged push answered %d, want 401", got)
			}
			time.Sleep(time.Second)
			if s := b.call(t, "GET", "/api/v1/jobs/"+id, u.Token, nil).str(t, "status"); store.
				Terminal(s) || f.Polls() != 0 {
				t.Fatalf("the forged push woke the task: job %s, %d polls", s, f.Polls())
			}
			pushed := time.Now()
			if got := b.send(t, p.valid(providerJob)); got != http.StatusNoContent {
				t.Fatalf("genuine push answered %d, want 204", got)
			}
			wantSucceeded(t, b, c.vc, u.Token, id)
			if took := time.Since(pushed); took > 6*time.Second {
				t.Fatalf("the job finished %s after the push", took)
			}
			// A replay: Replicate's webhook-id was seen; Kling's identical
			// callback (same task, status and updated_at) was seen too.
			// Either way it is refused and changes nothing.
			if got := b.send(t, p.replay(providerJob)); got != http.StatusUnauthorized {
				t.Fatalf("replayed push answered %d, want 401", got)
			}
			events := jobEvents(t, b, u.Token, id)
			if n := len(eventsOfType(events, "task.webhook")); n != 1 {
				t.Fatalf("%d task.webhook events, want 1: %v", n, eventTypes(events))
			}
			if f.Polls() != 1 {
				t.Fatalf("%d polls, want the one the push woke", f.Polls())
			}
		})
	}
}

// TestFallbackToAnotherVendor: Runway refuses the create for lack of
// credits, which no retry fixes, so the task moves to Kling and succeeds
// there; a variant whose duration Kling does not offer is not moved and
// fails with Runway's error.
func TestFallbackToAnotherVendor(t *testing.T) {
	t.Parallel()
	rw, kl := vendorCases()[1], vendorCases()[2]
	rf, kf := rw.newFake(t), kl.newFake(t)
	kf.(ticker).SetTick(150 * time.Millisecond)
	b := setupEngine(t, "sqlite", engineOpts{cfg: quickEngine(), providers: []extraProvider{
		{name: rw.name, factory: rw.factory, config: rw.config(rf, runwaytest.BrokeKey)},
		{name: kl.name, factory: kl.factory, config: kl.config(kf, "")}}})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	withFallback := func(prompt string) map[string]any {
		v := rw.variant(prompt)
		v["fallbacks"] = []string{kl.name}
		return v
	}
	moved := submitJob(t, b, u, pid, 5, withFallback("a lighthouse at dawn"))
	kept := submitJob(t, b, u, pid, 4, withFallback("a paper boat on a pond"))

	wantSucceeded(t, b, kl, u.Token, moved)
	task := onlyTask(t, b, u.Token, moved)
	fb := eventsOfType(jobEvents(t, b, u.Token, moved), "task.fallback")
	if task["provider"] != kl.name || len(fb) != 1 ||
		fb[0]["data"].(map[string]any)["to"] != kl.name ||
		!strings.Contains(fb[0]["message"].(string), "quota_exhausted") {
		t.Fatalf("moved task on %v, fallback events %v", task["provider"], fb)
	}

	wantFailed(t, b, u.Token, kept, "quota_exhausted", "", 0)
	events := jobEvents(t, b, u.Token, kept)
	skipped := eventsOfType(events, "task.fallback_skipped")
	if len(skipped) != 1 || len(eventsOfType(events, "task.fallback")) != 0 ||
		onlyTask(t, b, u.Token, kept)["provider"] != rw.name {
		t.Fatalf("a 4 s variant moved to Kling (5 or 10 s only): %v", eventTypes(events))
	}
	if rf.Creates() != 2 || kf.Creates() != 1 {
		t.Fatalf("runway saw %d creates, kling %d; want 2 and 1", rf.Creates(), kf.Creates())
	}
}

// TestCircuitBreakerOpensPerAccount: two provider errors in a row open the
// circuit of the platform's Wan account; GET /api/v1/providers shows it
// open, the next task with a fallback goes to Kling without calling Wan,
// and one without a fallback waits, unsent.
func TestCircuitBreakerOpensPerAccount(t *testing.T) {
	t.Parallel()
	wn, kl := vendorCases()[4], vendorCases()[2]
	wf, kf := wn.newFake(t), kl.newFake(t)
	wf.(ticker).SetTick(150 * time.Millisecond)
	kf.(ticker).SetTick(150 * time.Millisecond)
	cfg := quickEngine()
	cfg.BreakerThreshold, cfg.BreakerCooldown = 2, time.Minute
	b := setupEngine(t, "sqlite", engineOpts{cfg: cfg, providers: []extraProvider{
		{name: wn.name, factory: wn.factory, config: wn.config(wf, "")},
		{name: kl.name, factory: kl.factory, config: kl.config(kf, "")}}})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	circuit := func() string {
		res := b.call(t, "GET", "/api/v1/providers?org_id="+u.PersonalOrg, u.Token, nil).
			want(t, http.StatusOK)
		for _, p := range res.items(t) {
			if p["name"] == wn.name {
				return fmt.Sprint(p["circuit"], "/", p["last_result"])
			}
		}
		t.Fatalf("wan is not listed: %s", res.raw)
		return ""
	}
	if got := circuit(); !strings.HasPrefix(got, "closed") {
		t.Fatalf("circuit %s before any call", got)
	}
	// "boom" makes DashScope answer 500 InternalError: provider_error, tried
	// twice.
	broken := submitJob(t, b, u, pid, 5, wn.variant("a boom of thunder"))
	wantFailed(t, b, u.Token, broken, "provider_error", "internal error", 1)
	if got := circuit(); got != "open/provider_error" {
		t.Fatalf("circuit %s after two provider errors, want open", got)
	}
	creates := wf.Creates()

	v := wn.variant("a lighthouse at dawn")
	v["fallbacks"] = []string{kl.name}
	moved := submitJob(t, b, u, pid, 5, v)
	wantSucceeded(t, b, kl, u.Token, moved)
	fb := eventsOfType(jobEvents(t, b, u.Token, moved), "task.fallback")
	if len(fb) != 1 || !strings.Contains(fb[0]["message"].(string), "circuit is open") {
		t.Fatalf("fallback events %v", fb)
	}

	waiting := submitJob(t, b, u, pid, 5, wn.variant("a paper boat on a pond"))
	time.Sleep(time.Second)
	if task := onlyTask(t, b, u.Token, waiting); task["status"] != "queued" ||
		wf.Creates() != creates {
		t.Fatalf("with the circuit open: task %v, %d new creates", task["status"],
			wf.Creates()-creates)
	}
	b.call(t, "POST", "/api/v1/jobs/"+waiting+"/cancel", u.Token, nil).want(t, http.StatusOK)
}

// TestReplicateBridgeRunsVeo: the "veo" provider built as a bridge runs
// Google's model as a Replicate prediction and delivers it like any other.
func TestReplicateBridgeRunsVeo(t *testing.T) {
	t.Parallel()
	f := replicatetest.NewServer(t, replicatetest.Options{PlainHTTPWebhooks: true,
		Tick: 150 * time.Millisecond})
	bridge := vendorCase{name: "veo", model: "google/veo-3.1", duration: 4}
	b := setupEngine(t, "sqlite", engineOpts{cfg: quickEngine(), providers: []extraProvider{{
		name: "veo", factory: replicate.DefaultBridges[0].Factory(),
		config: provider.Config{Credentials: replicatetest.Token, BaseURL: f.URL()}}}})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	id := submitJob(t, b, u, pid, 4, bridge.variant("a lighthouse at dawn"))
	wantSucceeded(t, b, bridge, u.Token, id)
	if f.LastPath() != "/v1/models/google/veo-3.1/predictions" || f.Creates() != 1 ||
		onlyTask(t, b, u.Token, id)["model"] != "google/veo-3.1" {
		t.Fatalf("bridge created through %s (%d creates)", f.LastPath(), f.Creates())
	}
}

// TestOrganizationKeyServesTheWholeTask: an organization's own vendor key
// is used for every call of its tasks, not only create and poll: the Veo
// download (Gemini files need the key) and the Replicate cancel. The
// platform's keys here are wrong, so any call made with them fails.
func TestOrganizationKeyServesTheWholeTask(t *testing.T) {
	t.Parallel()
	vo, rp := vendorCases()[3], vendorCases()[0]
	vf, rf := vo.newFake(t), rp.newFake(t)
	vf.(ticker).SetTick(150 * time.Millisecond)
	b := setupEngine(t, "sqlite", engineOpts{cfg: quickEngine(), providers: []extraProvider{
		{name: vo.name, factory: vo.factory, config: vo.config(vf, vo.badCreds)},
		{name: rp.name, factory: rp.factory, config: rp.config(rf, rp.badCreds)}}})
	u := b.user(t)
	pid := b.project(t, u.Token, u.PersonalOrg)
	for name, key := range map[string]string{vo.name: veotest.APIKey,
		rp.name: replicatetest.Token} {
		b.call(t, "POST", "/api/v1/organizations/"+u.PersonalOrg+"/provider-accounts", u.Token,
			map[string]any{"provider": name, "name": "own " + name, "secret": key}).
			want(t, http.StatusCreated)
	}
	wantSucceeded(t, b, vo, u.Token,
		submitJob(t, b, u, pid, vo.duration, vo.variant("a lighthouse at dawn")))

	id := submitJob(t, b, u, pid, rp.duration, rp.variant("a long take of the sea"))
	waitProviderJob(t, b, u.Token, id)
	b.call(t, "POST", "/api/v1/jobs/"+id+"/cancel", u.Token, nil).want(t, http.StatusOK)
	failed := eventsOfType(jobEvents(t, b, u.Token, id), "task.cancel_failed")
	if len(failed) != 0 || rf.Cancels() != 1 {
		t.Fatalf("cancel with the organization's key: %d calls, events %v", rf.Cancels(), failed)
	}
}
