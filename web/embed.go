// Package web serves the console: a single-page application of plain ES
// modules (Preact and htm, vendored) embedded in the binary, so a server
// needs no Node and no build step to show it.
//
// Every file of static/ is served twice: under /assets/<hash>/, where <hash>
// is a digest of the whole tree, with a one-year immutable cache, and under
// its plain path with revalidation. index.html refers to the hashed paths
// only, and the modules import each other by relative paths, so a browser
// fetches a new release's files at once and never again after that.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed static
var embedded embed.FS

// assetPrefix starts the path of every hashed asset.
const assetPrefix = "/assets/"

// placeholder in index.html is replaced by the hashed asset base, such as
// /assets/3f2a9c1d0b7e/.
const placeholder = "/__ASSET_BASE__/"

// reserved are the path prefixes that belong to the API, the file server,
// the simulator, metrics, health checks and the WebSocket endpoint. The
// console never answers them with index.html, so a mistyped API path fails
// loudly instead of showing the application.
var reserved = []string{"/api", "/files", "/sim", "/metrics", "/healthz", "/readyz", "/ws"}

// contentTypes is fixed here instead of read from the system's MIME table,
// which differs between machines and may not know .mjs.
var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".md":   "text/plain; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// console is the handler built by Handler.
type console struct {
	files   map[string]file // by path below static/, such as "js/main.js"
	index   file
	hash    string
	csp     string
	started time.Time
}

// file is one embedded file, read once at start.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// Handler returns the console. mediaOrigins are URLs (or bare origins) of
// places other than the console's own origin that serve images and videos
// the console shows, such as an object-storage endpoint or a CDN; their
// origins are added to the img-src and media-src directives of the
// Content-Security-Policy. Empty and unparsable entries are ignored.
func Handler(mediaOrigins ...string) http.Handler {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic("web: static directory missing from the embedded files: " + err.Error())
	}
	c := &console{files: map[string]file{}, started: time.Now()}
	sum := sha256.New()
	var names []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		c.files[p] = newFile(p, body)
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic("web: reading the embedded files: " + err.Error())
	}
	sort.Strings(names)
	for _, n := range names {
		sum.Write([]byte(n))
		sum.Write([]byte{0})
		sum.Write(c.files[n].body)
	}
	c.hash = hex.EncodeToString(sum.Sum(nil))[:12]
	idx, ok := c.files["index.html"]
	if !ok {
		panic("web: static/index.html is missing")
	}
	body := bytes.ReplaceAll(idx.body, []byte(placeholder), []byte(assetPrefix+c.hash+"/"))
	c.index = newFile("index.html", body)
	c.csp = policy(mediaOrigins)
	return c
}

func newFile(name string, body []byte) file {
	ctype := contentTypes[path.Ext(name)]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	d := sha256.Sum256(body)
	return file{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(d[:8]) + `"`}
}

// policy builds the Content-Security-Policy: only the console's own
// scripts and styles, no inline code, no framing, and media from the
// console's origin, blob: and data: URLs, and the given origins.
func policy(mediaOrigins []string) string {
	var extra []string
	seen := map[string]bool{}
	for _, raw := range mediaOrigins {
		o := origin(raw)
		if o != "" && !seen[o] {
			seen[o] = true
			extra = append(extra, o)
		}
	}
	more := ""
	if len(extra) > 0 {
		more = " " + strings.Join(extra, " ")
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:" + more,
		"media-src 'self' blob:" + more,
		"connect-src 'self'",
		"object-src 'none'",
		"frame-ancestors 'none'",
		"base-uri 'self'",
		"form-action 'self'",
	}, "; ")
}

// origin reduces a URL to scheme://host[:port], or "" when it has none.
func origin(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", c.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if isReserved(p) {
		http.NotFound(w, r)
		return
	}
	if rest, ok := strings.CutPrefix(p, assetPrefix); ok {
		hash, name, _ := strings.Cut(rest, "/")
		f, found := c.files[name]
		if !found || name == "index.html" {
			http.NotFound(w, r)
			return
		}
		if hash == c.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// A page of an earlier release asks for its files: answer
			// with today's, but do not let them be cached under that name.
			h.Set("Cache-Control", "no-cache")
		}
		c.serve(w, r, f)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if f, found := c.files[name]; found && name != "index.html" {
		h.Set("Cache-Control", "no-cache")
		c.serve(w, r, f)
		return
	}
	if path.Ext(p) != "" && !strings.HasSuffix(p, ".html") {
		// A missing file, such as /favicon.ico, is a 404 rather than the
		// application, which a browser would fail to read as an image.
		http.NotFound(w, r)
		return
	}
	// index.html for / and for every client-side route.
	h.Set("Cache-Control", "no-cache")
	c.serve(w, r, c.index)
}

func (c *console) serve(w http.ResponseWriter, r *http.Request, f file) {
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, "", c.started, bytes.NewReader(f.body))
}

// isReserved reports whether p is one of the reserved prefixes or below it.
func isReserved(p string) bool {
	for _, pre := range reserved {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}
