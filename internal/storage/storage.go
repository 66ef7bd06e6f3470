package storage

import (
	"context"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxKeyLen is the longest key, in bytes, that ValidateKey accepts. It keeps
// keys well inside S3's 1024-byte object-name limit and typical PATH_MAX.
const MaxKeyLen = 512

// MaxSegmentLen is the longest segment of a key, in bytes: 255 is NAME_MAX on
// common Linux file systems, so every valid key is also a valid local path.
const MaxSegmentLen = 255

// MaxURLTTL is the longest lifetime a signed URL may have. S3 SigV4 presigned
// URLs cannot live longer than seven days, and Local uses the same ceiling
// so both disks behave alike.
const MaxURLTTL = 7 * 24 * time.Hour

// maxDownloadName bounds the download file name placed in URLs and
// Content-Disposition headers; common file systems allow 255 bytes.
const maxDownloadName = 255

// Object describes a stored file. It is what Put, Open and Stat report.
type Object struct {
	// Key is the file's key on its disk.
	Key string
	// Size is the length in bytes.
	Size int64
	// ContentType is the MIME type. Local derives it from the key's
	// extension; S3 returns what was stored at Put time.
	ContentType string
	// ETag is an opaque, unquoted version tag that changes when the content
	// is replaced. It is not comparable across disks.
	ETag string
	// ModTime is when the file was last written.
	ModTime time.Time
}

// Disk stores, streams, deletes and signs URLs of files by key. Both Local
// and S3 implement it; code outside this package should depend on Disk only,
// except where it needs a local file path (see Local.Path).
type Disk interface {
	// Name returns "local" or "s3", for logs and configuration checks.
	Name() string
	// Put stores r under key, replacing any previous file. size is the exact
	// length, or -1 when unknown; a reader that yields a different length
	// fails with ErrSizeMismatch and leaves the previous file in place.
	// Put streams: memory use is bounded (one S3 part at most), never the
	// whole file. S3 stores contentType (empty means
	// application/octet-stream); Local ignores it and derives the type from
	// the key's extension.
	Put(ctx context.Context, key string, r io.Reader, size int64,
		contentType string) (Object, error)
	// Open returns a reader of the file's content; the caller closes it.
	// On S3 reads fail once ctx ends, so keep ctx alive while reading.
	Open(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Stat describes the file without reading it.
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes the file. Deleting a missing key is not an error, so
	// retries and cleanup jobs stay idempotent.
	Delete(ctx context.Context, key string) error
	// URL returns a URL that lets a browser or FFmpeg fetch the file without
	// other credentials until ttl (at most MaxURLTTL) elapses. A non-empty
	// download makes the response an attachment with that file name. The
	// one exception is an S3 disk with a CDN base URL, whose URLs are
	// plain; see S3Config.CDNBaseURL.
	URL(ctx context.Context, key string, ttl time.Duration,
		download string) (string, error)
}

// ValidateKey reports whether key is acceptable on every disk. A key is a
// relative slash-separated path of at most MaxKeyLen bytes whose segments are
// non-empty, at most MaxSegmentLen bytes, not "." or "..", and consist only
// of ASCII letters, digits, '.', '_' and '-'. This rules out absolute paths,
// traversal, backslashes, NUL and other control bytes, and anything that
// would need URL escaping.
// The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, MaxKeyLen)
	}
	start := 0
	for i := 0; i <= len(key); i++ {
		if i < len(key) && key[i] != '/' {
			if !keyByte(key[i]) {
				return fmt.Errorf("%w: %s: byte %#x at offset %d not allowed",
					ErrInvalidKey, quoteKey(key), key[i], i)
			}
			continue
		}
		seg := key[start:i]
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %s: empty, \".\" or \"..\" segment",
				ErrInvalidKey, quoteKey(key))
		}
		if len(seg) > MaxSegmentLen {
			return fmt.Errorf("%w: %s: segment longer than %d bytes",
				ErrInvalidKey, quoteKey(key), MaxSegmentLen)
		}
		start = i + 1
	}
	return nil
}

func keyByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '.', c == '_', c == '-':
		return true
	}
	return false
}

// quoteKey quotes a possibly hostile key for an error message, cut short so
// a huge key cannot flood logs.
func quoteKey(key string) string {
	const limit = 64
	if len(key) > limit {
		return fmt.Sprintf("%q...", key[:limit])
	}
	return fmt.Sprintf("%q", key)
}

// Copy streams the file under key from src to dst, for example from a local
// hot disk to an S3 cold disk, and returns the stored object on dst. The
// content type and size travel with the stream; the source is left intact.
func Copy(ctx context.Context, dst, src Disk, key string) (Object, error) {
	rc, obj, err := src.Open(ctx, key)
	if err != nil {
		return Object{}, fmt.Errorf("storage: copying %s from %s: %w",
			quoteKey(key), src.Name(), err)
	}
	defer func() { _ = rc.Close() }()
	out, err := dst.Put(ctx, key, rc, obj.Size, obj.ContentType)
	if err != nil {
		return Object{}, fmt.Errorf("storage: copying %s to %s: %w",
			quoteKey(key), dst.Name(), err)
	}
	return out, nil
}

// checkURLArgs validates the shared arguments of Disk.URL.
func checkURLArgs(key string, ttl time.Duration, download string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if ttl <= 0 || ttl > MaxURLTTL {
		return fmt.Errorf("%w: url lifetime %v outside (0, %v]",
			ErrInvalidArgument, ttl, MaxURLTTL)
	}
	return checkDownloadName(download)
}

// checkDownloadName accepts "" (no attachment) or a printable UTF-8 file name
// without path separators.
func checkDownloadName(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > maxDownloadName || !utf8.ValidString(name) {
		return fmt.Errorf("%w: download name too long or not UTF-8",
			ErrInvalidArgument)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return fmt.Errorf("%w: download name contains %q",
				ErrInvalidArgument, r)
		}
	}
	return nil
}

// contentDisposition builds an attachment header value; non-ASCII names are
// encoded per RFC 2231 by mime.FormatMediaType.
func contentDisposition(name string) string {
	v := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if v == "" {
		return "attachment"
	}
	return v
}

// mediaTypes pins the types Reelforge serves most, because Go's built-in
// table lacks video and audio types and /etc/mime.types differs by host.
var mediaTypes = map[string]string{
	".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm",
	".mov": "video/quicktime", ".mkv": "video/x-matroska",
	".ts": "video/mp2t", ".m3u8": "application/vnd.apple.mpegurl",
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac",
	".wav": "audio/wav", ".ogg": "audio/ogg", ".opus": "audio/ogg",
	".flac": "audio/flac", ".vtt": "text/vtt; charset=utf-8",
	".srt": "application/x-subrip", ".png": "image/png",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
	".gif": "image/gif", ".json": "application/json",
	".txt": "text/plain; charset=utf-8",
}

// contentTypeFor maps a key's extension to a MIME type, falling back to
// application/octet-stream so browsers are never left to sniff.
func contentTypeFor(key string) string {
	ext := strings.ToLower(path.Ext(key))
	if t, ok := mediaTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// guardedReader stops a stream when ctx ends and, when want >= 0, insists on
// exactly want bytes. It detects a long reader before handing over the last
// bytes, so an upload fails before it can be committed truncated.
type guardedReader struct {
	ctx  context.Context
	r    io.Reader
	want int64 // -1 when unknown
	got  int64
	done bool // the end of a sized stream was proven
}

func newGuardedReader(ctx context.Context, r io.Reader, want int64) *guardedReader {
	return &guardedReader{ctx: ctx, r: r, want: want}
}

func (g *guardedReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	if g.want < 0 {
		n, err := g.r.Read(p)
		g.got += int64(n)
		return n, err
	}
	if g.done {
		return 0, io.EOF
	}
	left := g.want - g.got
	if left == 0 {
		if err := g.probeEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := g.r.Read(p)
	g.got += int64(n)
	if g.got == g.want {
		if perr := g.probeEnd(); perr != nil {
			return 0, perr
		}
		return n, nil
	}
	if err == io.EOF {
		return n, fmt.Errorf("%w: reader ended after %d of %d bytes",
			ErrSizeMismatch, g.got, g.want)
	}
	return n, err
}

// probeEnd reads one more byte to prove the source is exhausted.
func (g *guardedReader) probeEnd() error {
	var one [1]byte
	n, err := io.ReadFull(g.r, one[:])
	if n > 0 {
		return fmt.Errorf("%w: reader has more than %d bytes",
			ErrSizeMismatch, g.want)
	}
	if err == io.EOF {
		g.done = true
		return nil
	}
	return err
}
