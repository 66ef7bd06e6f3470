package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reelforge/reelforge/internal/config"
	"github.com/reelforge/reelforge/internal/engine"
	"github.com/reelforge/reelforge/internal/pipeline"
	"github.com/reelforge/reelforge/internal/store"
)

// runRender turns a script file into a finished video on the embedded
// default: parse, write prompts, render every shot, assemble, and copy the
// final video to -o, drawing a progress bar per shot as it goes.
func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "data directory (default: a temporary one)")
	out := fs.String("o", "", "output video file (.mp4 or .mov)")
	prov := fs.String("provider", "sim", "provider of every shot")
	res := fs.String("resolution", "720p", "720p, 1080p, 2k or 4k")
	aspect := fs.String("aspect", "9:16", "9:16, 16:9, 1:1 or 21:9")
	style := fs.String("style", "", "style preset or free text, e.g. cinematic or 电影感")
	subs := fs.String("subtitles", "burn", "burn, soft or none")
	transition := fs.String("transition", "", "transition between shots, e.g. fade")
	// Flags may follow the script's name, as in `render script.md -o out.mp4`.
	var script string
	rest := args
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		script, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if script == "" && fs.NArg() > 0 {
		script = fs.Arg(0)
	}
	if script == "" || *out == "" {
		return usageError{"usage: reelforge render SCRIPT -o OUT.mp4 [--provider sim] " +
			"[--resolution 720p] [--aspect 9:16] [--style S] [--subtitles burn|soft|none]"}
	}
	text, err := os.ReadFile(script)
	if err != nil {
		return fmt.Errorf("reading the script: %w", err)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	if format != "mp4" && format != "mov" {
		return usageError{"the output must end in .mp4 or .mov"}
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "reelforge-render-*"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	e, err := load(flagsFor(dir, ln.Addr().String()), io.Discard)
	if err != nil {
		return err
	}
	e.cfg.LogLevel = "error"
	e.stdout = stdout
	a, err := newApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.close()
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	pool, err := a.startWorkers(ctx, nil, 4)
	if err != nil {
		return err
	}
	defer drain(e, pool)

	sb, err := pipeline.Parse(string(text), pipeline.ParseOptions{})
	if err != nil {
		return err
	}
	if err := pipeline.Synthesize(sb, pipeline.SynthOptions{Style: *style,
		Provider: *prov}); err != nil {
		return err
	}
	for _, w := range sb.Warnings {
		fmt.Fprintf(stderr, "script line %d: %s\n", w.Line, w.Message)
	}
	proj, user, err := renderProject(ctx, a)
	if err != nil {
		return err
	}
	doc := &store.Document{ProjectID: proj.ID, Kind: "storyboard", Title: sb.Title,
		Content: mustMarshal(sb)}
	if err := a.store.PutDocument(ctx, doc); err != nil {
		return err
	}
	job, err := a.engine.RenderStoryboard(ctx, engine.Submission{Project: proj,
		Actor: engine.Actor{UserID: user, OrgID: proj.OrgID}}, doc, sb, engine.RenderOptions{
		Provider: *prov, Resolution: *res, AspectRatio: *aspect, Format: format,
		Subtitles: *subs, Transition: *transition})
	if err != nil {
		var ve *engine.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%s: %s", ve.Field, ve.Message)
		}
		return err
	}
	tasks, job, err := watchRender(ctx, a, job.ID, stderr)
	if err != nil {
		return err
	}
	printRenderTable(stdout, tasks, job)
	if job.Status != store.StatusSucceeded {
		return fmt.Errorf("the render %s", job.Status)
	}
	return copyFinal(ctx, a, tasks, *out, stdout)
}

func flagsFor(dir, addr string) config.Flags { return config.Flags{DataDir: dir, Addr: addr} }

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cli: marshaling %T: %v", v, err))
	}
	return b
}

// renderProject finds or makes the local user and project CLI renders
// belong to, so they show in the console of the same data directory.
func renderProject(ctx context.Context, a *app) (*store.Project, string, error) {
	const email = "render@reelforge.local"
	u, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		u, err = createUser(ctx, a.db, a.cfg, email, "CLI", randomPassword())
	}
	if err != nil {
		return nil, "", err
	}
	orgs, err := a.store.OrganizationsOf(ctx, u.ID)
	if err != nil || len(orgs) == 0 {
		return nil, "", fmt.Errorf("the render user has no organization: %w", err)
	}
	projects, _, err := a.store.ListProjects(ctx, store.ProjectFilter{UserID: u.ID,
		ListParams: store.ListParams{Limit: 1, Q: "CLI renders"}})
	if err != nil {
		return nil, "", err
	}
	if len(projects) > 0 {
		return projects[0], u.ID, nil
	}
	p := &store.Project{OrgID: orgs[0].ID, Name: "CLI renders", CreatedBy: u.ID}
	return p, u.ID, a.store.CreateProject(ctx, p)
}

// watchRender redraws one progress bar per task until the job is final.
func watchRender(ctx context.Context, a *app, jobID string, w io.Writer) ([]*store.Task,
	*store.Job, error) {
	tty := isTerminal(w)
	drawn := 0
	last := ""
	for {
		tasks, err := a.store.JobTasks(ctx, jobID)
		if err != nil {
			return nil, nil, err
		}
		job, err := a.store.JobByID(ctx, jobID)
		if err != nil {
			return nil, nil, err
		}
		frame := renderFrame(tasks, job)
		switch {
		case tty:
			if drawn > 0 {
				fmt.Fprintf(w, "\x1b[%dA", drawn)
			}
			fmt.Fprint(w, frame)
			drawn = strings.Count(frame, "\n")
		case frame != last:
			fmt.Fprint(w, frame)
		}
		last = frame
		if store.Terminal(job.Status) {
			return tasks, job, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func renderFrame(tasks []*store.Task, job *store.Job) string {
	var b strings.Builder
	for i, t := range tasks {
		name := fmt.Sprintf("shot %-3d", i+1)
		if t.Kind == engine.KindAssemble {
			name = "assemble"
		}
		fmt.Fprintf(&b, "%s %s %3.0f%% %-10s\n", name, bar(t.Progress, 30), t.Progress*100,
			t.Status)
	}
	fmt.Fprintf(&b, "overall  %s %3.0f%% %-10s\n", bar(job.Progress, 30), job.Progress*100,
		job.Status)
	return b.String()
}

func bar(f float64, width int) string {
	n := int(f*float64(width) + 0.5)
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func printRenderTable(w io.Writer, tasks []*store.Task, job *store.Job) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SHOT\tPROVIDER\tSECONDS\tCOST\tSTATUS")
	for i, t := range tasks {
		if t.Kind == engine.KindAssemble {
			continue
		}
		secs := t.FinishedAt.Sub(t.StartedAt).Seconds()
		if t.StartedAt.IsZero() || t.FinishedAt.IsZero() {
			secs = 0
		}
		status := t.Status
		if t.ErrorCode != "" && t.Status != store.StatusSucceeded {
			status += " (" + t.ErrorCode + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t$%.2f\t%s\n", i+1, t.Provider, secs,
			float64(t.ActualCostCents)/100, status)
	}
	fmt.Fprintf(tw, "total\t\t%.1f\t$%.2f\t%s\n", job.FinishedAt.Sub(job.CreatedAt).Seconds(),
		float64(job.ActualCostCents)/100, job.Status)
	_ = tw.Flush()
}

// copyFinal writes the assembled video to out.
func copyFinal(ctx context.Context, a *app, tasks []*store.Task, out string,
	w io.Writer) error {
	for _, t := range tasks {
		if t.Kind != engine.KindAssemble {
			continue
		}
		for _, id := range engine.OutputAssetIDs(t) {
			asset, err := a.store.AssetByID(ctx, id)
			if err != nil || asset.Kind != "video" {
				continue
			}
			f, err := a.store.StorageFileByID(ctx, asset.StorageFileID)
			if err != nil {
				return err
			}
			rc, err := a.engine.OpenFile(ctx, f)
			if err != nil {
				return err
			}
			defer rc.Close()
			dst, err := os.Create(out)
			if err != nil {
				return err
			}
			if _, err := io.Copy(dst, rc); err != nil {
				dst.Close()
				return err
			}
			if err := dst.Close(); err != nil {
				return err
			}
			fmt.Fprintf(w, "wrote %s (%d×%d, %.1f s)\n", out, asset.Width, asset.Height,
				float64(asset.DurationMS)/1000)
			return nil
		}
	}
	return errors.New("the render produced no video")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
