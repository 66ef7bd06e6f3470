package media

import (
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultProbeCache is the number of Probe results a Runner keeps when
// Config.ProbeCache is zero. Editing sessions probe the same clips again and
// again (check, assemble, re-assemble), and each ffprobe costs a process
// start (~60ms), which dominates a stream-copy join.
const DefaultProbeCache = 1024

// probeCache remembers Probe results per file. An entry is used only while
// the file's size and modification time are unchanged, so a re-rendered
// clip is probed afresh. When full, the cache is simply emptied.
type probeCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedInfo
}

type cachedInfo struct {
	size  int64
	mtime time.Time
	info  Info
}

func newProbeCache(n int) *probeCache {
	return &probeCache{max: n, entries: make(map[string]cachedInfo)}
}

// key returns the cache key and the file's current identity.
func cacheKey(path string) (string, os.FileInfo, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, false
	}
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() {
		return "", nil, false
	}
	return abs, st, true
}

func (c *probeCache) get(path string) (Info, bool) {
	if c == nil {
		return Info{}, false
	}
	key, st, ok := cacheKey(path)
	if !ok {
		return Info{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.size != st.Size() || !e.mtime.Equal(st.ModTime()) {
		return Info{}, false
	}
	return e.info, true
}

func (c *probeCache) put(path string, info Info) {
	if c == nil {
		return
	}
	key, st, ok := cacheKey(path)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = cachedInfo{size: st.Size(), mtime: st.ModTime(), info: info}
}
