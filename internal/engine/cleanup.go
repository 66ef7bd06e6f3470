package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/storage"
	"github.com/reelforge/reelforge/internal/store"
)

// CleanerConfig tunes a Cleaner. Zero fields take the defaults stated on
// each.
type CleanerConfig struct {
	// Interval is the time between two sweeps. Defaults to 1h.
	Interval time.Duration
	// Retention is how long an intermediate file is kept after it was last
	// written, so a task that is still working on it, or that is retried,
	// finds it. Defaults to 72h.
	Retention time.Duration
}

func (c CleanerConfig) withDefaults() CleanerConfig {
	if c.Interval <= 0 {
		c.Interval = time.Hour
	}
	if c.Retention <= 0 {
		c.Retention = 72 * time.Hour
	}
	return c
}

// Cleaner removes local intermediates that outlived their retention: the
// provider downloads (jobs/*/*/source-*) on the hot disk and the work files
// in the engine's TempDir. A download that became an asset's file is kept
// while it is that asset's only copy, that is, until a cold copy exists.
// Start runs Sweep every Interval until Stop.
type Cleaner struct {
	cfg    CleanerConfig
	store  *store.Store
	hot    *storage.Local
	cold   storage.Disk
	tmp    string
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewCleaner returns a Cleaner for the engine's hot disk, which must be a
// *storage.Local (the only disk with intermediates), and its TempDir.
func (e *Engine) NewCleaner(cfg CleanerConfig) (*Cleaner, error) {
	hot, ok := e.Disk.(*storage.Local)
	if !ok {
		return nil, errors.New("engine: the cleaner needs a local hot disk")
	}
	return &Cleaner{cfg: cfg.withDefaults(), store: e.Store, hot: hot, cold: e.Cold,
		tmp: e.TempDir, log: e.Logger, now: time.Now}, nil
}

// Start runs a sweep at once and then every Interval, in the background,
// until ctx ends or Stop is called. Starting a running Cleaner is an error.
func (c *Cleaner) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return errors.New("engine: cleaner already started")
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go c.loop(ctx, c.done)
	return nil
}

// Stop ends the loop and waits for a running sweep to finish.
func (c *Cleaner) Stop() {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.cancel, c.done = nil, nil
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (c *Cleaner) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(c.cfg.Interval)
	defer ticker.Stop()
	for {
		n, err := c.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			c.log.ErrorContext(ctx, "engine: cleaning local files",
				slog.String("error", err.Error()))
		case n > 0:
			c.log.InfoContext(ctx, "engine: cleaned local files", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Sweep removes what has outlived the retention once and returns how many
// files and work directories it removed.
func (c *Cleaner) Sweep(ctx context.Context) (int, error) {
	cutoff := c.now().Add(-c.cfg.Retention)
	n, err := c.sweepSources(ctx, cutoff)
	m, terr := c.sweepTemp(cutoff)
	return n + m, errors.Join(err, terr)
}

// sweepSources walks jobs/ on the hot disk for provider downloads.
func (c *Cleaner) sweepSources(ctx context.Context, cutoff time.Time) (int, error) {
	root, err := c.hot.Path("jobs")
	if err != nil {
		return 0, err
	}
	removed := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(d.Name(), "source-") {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		key := path.Join("jobs", filepath.ToSlash(rel))
		keep, err := c.onlyCopy(ctx, key)
		if err != nil || keep {
			return err
		}
		if err := c.hot.Delete(ctx, key); err != nil {
			return err
		}
		removed++
		return nil
	})
	return removed, err
}

// onlyCopy reports whether the hot file under key is an asset's file with
// no cold copy, which must never be removed.
func (c *Cleaner) onlyCopy(ctx context.Context, key string) (bool, error) {
	f, err := c.store.StorageFileByPath(ctx, c.hot.Name(), key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	n, err := c.store.CountFileAssets(ctx, f.ID)
	if err != nil || n == 0 {
		return err != nil, err
	}
	if c.cold == nil {
		return true, nil
	}
	_, err = c.store.StorageFileByPath(ctx, c.cold.Name(), key)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return err != nil, err
}

// sweepTemp removes old entries of TempDir: downloads copied for FFmpeg,
// finalize work directories and upload spools left by a crash.
func (c *Cleaner) sweepTemp(cutoff time.Time) (int, error) {
	if c.tmp == "" {
		return 0, nil
	}
	entries, err := os.ReadDir(c.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("engine: reading %s: %w", c.tmp, err)
	}
	removed := 0
	var errs []error
	for _, ent := range entries {
		info, err := ent.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.tmp, ent.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
