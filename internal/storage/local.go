package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// MinSigningKeyLen is the shortest LocalConfig.SigningKey accepted: 32 bytes
// (256 bits), the output size of HMAC-SHA256, so the key is never the weak
// link of a URL signature.
const MinSigningKeyLen = 32

// File and directory modes for new files: owner read/write, group read, so
// FFmpeg workers in the service's group can read but others cannot.
const (
	localFileMode = 0o640
	localDirMode  = 0o750
)

// tempMarker starts the names of in-flight uploads. It contains '~', a byte
// ValidateKey rejects, so no key can ever address a half-written file.
const tempMarker = ".reelforge-upload~"

// LocalConfig configures a Local disk.
type LocalConfig struct {
	// Root is the directory holding all files. It is created (mode 0750)
	// when missing. Required.
	Root string
	// BaseURL is the externally visible origin of the server that mounts
	// Local.Handler, such as "http://127.0.0.1:8080". URL returns
	// BaseURL + "/files/" + key + query. Empty yields root-relative URLs,
	// which suit a browser on the same origin but not FFmpeg.
	BaseURL string
	// SigningKey is the HMAC-SHA256 secret for signed URLs; at least
	// MinSigningKeyLen bytes. Keep it stable across restarts, or
	// outstanding URLs stop working. Required.
	SigningKey []byte
}

// String describes the config without the signing key, so logging a config
// cannot leak the secret.
func (c LocalConfig) String() string {
	return fmt.Sprintf("LocalConfig{Root:%q BaseURL:%q SigningKey:[%d bytes redacted]}",
		c.Root, c.BaseURL, len(c.SigningKey))
}

// GoString keeps %#v from printing the signing key too.
func (c LocalConfig) GoString() string { return c.String() }

// Local is a Disk on the local file system. All access goes through an
// os.Root opened at LocalConfig.Root, so even a symlink planted inside the
// root cannot lead a key outside it. Writes are atomic: readers see the old
// file or the complete new one, never a partial write. Local is safe for
// concurrent use. Close releases the root directory handle.
type Local struct {
	root    *os.Root
	abs     string
	baseURL string
	key     []byte
	now     func() time.Time
}

var _ Disk = (*Local)(nil)

// NewLocal opens (creating if needed) the root directory and returns a Local
// disk. It fails with ErrInvalidConfig for a missing root or a short key.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Root == "" {
		return nil, fmt.Errorf("%w: local root is empty", ErrInvalidConfig)
	}
	if len(cfg.SigningKey) < MinSigningKeyLen {
		return nil, fmt.Errorf("%w: local signing key shorter than %d bytes",
			ErrInvalidConfig, MinSigningKeyLen)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%w: local base url must be http(s)://host[:port][/path]",
				ErrInvalidConfig)
		}
	}
	abs, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("storage: resolving local root: %w", err)
	}
	if err := os.MkdirAll(abs, localDirMode); err != nil {
		return nil, fmt.Errorf("storage: creating local root: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("storage: opening local root: %w", err)
	}
	return &Local{
		root:    root,
		abs:     abs,
		baseURL: base,
		key:     append([]byte(nil), cfg.SigningKey...),
		now:     time.Now,
	}, nil
}

// Close releases the root directory handle. The Local must not be used
// afterwards.
func (l *Local) Close() error {
	if err := l.root.Close(); err != nil {
		return fmt.Errorf("storage: closing local root: %w", err)
	}
	return nil
}

// Name returns "local".
func (l *Local) Name() string { return "local" }

// Path returns the absolute file-system path of key, for tools such as
// FFmpeg that need a real file. It only validates and joins: it does not
// check that the file exists, so it also names outputs yet to be written.
// Parent directories of a new output are not created; Put creates them.
func (l *Local) Path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.abs, filepath.FromSlash(key)), nil
}

// Put writes r to a temporary file beside the target, fsyncs it, renames it
// over key and fsyncs the directory, so a crash leaves either the old or the
// new file. contentType is not stored: Local derives types from extensions.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64,
	_ string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if size < -1 {
		return Object{}, fmt.Errorf("%w: size %d", ErrInvalidArgument, size)
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("storage: writing %q: %w", key, err)
	}
	dir := path.Dir(key)
	if dir != "." {
		if err := l.root.MkdirAll(dir, localDirMode); err != nil {
			return Object{}, fmt.Errorf("storage: creating directory for %q: %w", key, err)
		}
	}
	tmp, err := tempName(dir)
	if err != nil {
		return Object{}, fmt.Errorf("storage: naming temp file for %q: %w", key, err)
	}
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, localFileMode)
	if err != nil {
		return Object{}, fmt.Errorf("storage: creating temp file for %q: %w", key, err)
	}
	if err := writeAndSync(f, newGuardedReader(ctx, r, size)); err != nil {
		_ = l.root.Remove(tmp)
		return Object{}, fmt.Errorf("storage: writing %q: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		_ = l.root.Remove(tmp)
		return Object{}, fmt.Errorf("storage: committing %q: %w", key, err)
	}
	if err := l.syncDir(dir); err != nil {
		return Object{}, fmt.Errorf("storage: syncing directory of %q: %w", key, err)
	}
	// Committed: report it even if ctx ended meanwhile.
	fi, err := l.root.Stat(key)
	if err != nil {
		return Object{}, fmt.Errorf("storage: stating %q: %w", key, err)
	}
	return localObject(key, fi), nil
}

// writeAndSync copies r into f, flushes it to stable storage and closes it.
func writeAndSync(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *Local) syncDir(dir string) error {
	d, err := l.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func tempName(dir string) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return path.Join(dir, tempMarker+hex.EncodeToString(b[:])), nil
}

// Open opens the file for reading. The returned reader is an *os.File, so it
// also supports Seek and ReadAt.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, fmt.Errorf("storage: opening %q: %w", key, err)
	}
	f, fi, err := l.openFile(key)
	if err != nil {
		return nil, Object{}, fmt.Errorf("storage: opening %q: %w", key, err)
	}
	return f, localObject(key, fi), nil
}

// openFile opens a regular file, mapping absent files, directories and
// non-directory path components to ErrNotFound.
func (l *Local) openFile(key string) (*os.File, fs.FileInfo, error) {
	f, err := l.root.Open(key)
	if err != nil {
		return nil, nil, mapLocalErr(err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, nil, ErrNotFound
	}
	return f, fi, nil
}

// Stat describes the file.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("storage: stating %q: %w", key, err)
	}
	fi, err := l.root.Stat(key)
	if err != nil {
		return Object{}, fmt.Errorf("storage: stating %q: %w", key, mapLocalErr(err))
	}
	if !fi.Mode().IsRegular() {
		return Object{}, fmt.Errorf("storage: stating %q: %w", key, ErrNotFound)
	}
	return localObject(key, fi), nil
}

// Delete removes the file; a missing file or a directory of that name counts
// as already deleted. Emptied parent directories are left in place.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: deleting %q: %w", key, err)
	}
	fi, err := l.root.Lstat(key)
	if err != nil {
		if errors.Is(mapLocalErr(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("storage: deleting %q: %w", key, err)
	}
	if fi.IsDir() {
		return nil
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: deleting %q: %w", key, err)
	}
	return nil
}

// URL returns BaseURL + "/files/" + key + "?exp=<unix>&sig=<mac>" (plus
// "&dl=<name>" for downloads), valid for at least ttl and less than ttl plus
// one second. Serve it with Handler.
func (l *Local) URL(ctx context.Context, key string, ttl time.Duration,
	download string) (string, error) {
	if err := checkURLArgs(key, ttl, download); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("storage: signing %q: %w", key, err)
	}
	expAt := l.now().Add(ttl)
	exp := expAt.Unix()
	if expAt.After(time.Unix(exp, 0)) {
		exp++ // round up so the URL lives at least ttl
	}
	return l.signedURL(key, exp, download), nil
}

func localObject(key string, fi fs.FileInfo) Object {
	mt := fi.ModTime()
	return Object{
		Key:         key,
		Size:        fi.Size(),
		ContentType: contentTypeFor(key),
		ETag:        fmt.Sprintf("%x-%x", fi.Size(), mt.UnixNano()),
		ModTime:     mt,
	}
}

// mapLocalErr turns "no such file" and "a path component is a file" into
// ErrNotFound and passes everything else through.
func mapLocalErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return ErrNotFound
	}
	return err
}
