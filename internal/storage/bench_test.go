package storage

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func sumReader(t testing.TB, r io.Reader) []byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

const benchSize = 64 << 20

// BenchmarkLocalPutOpen measures Local.Put plus a full read through Open of a
// 64 MiB file; compare with BenchmarkBareWriteRead for the cost of temp file,
// fsync and rename.
func BenchmarkLocalPutOpen(b *testing.B) {
	l := newTestLocal(b)
	data := make([]byte, benchSize)
	_, _ = io.ReadFull(patterned(4, benchSize), data)
	ctx := b.Context()
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := l.Put(ctx, "bench/file.bin", plainReader{newBytesReader(data)},
			benchSize, ""); err != nil {
			b.Fatal(err)
		}
		rc, _, err := l.Open(ctx, "bench/file.bin")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		_ = rc.Close()
	}
}

// BenchmarkBareWriteRead is the baseline: os.WriteFile without fsync, then
// io.Copy of the file.
func BenchmarkBareWriteRead(b *testing.B) {
	p := filepath.Join(b.TempDir(), "file.bin")
	data := make([]byte, benchSize)
	_, _ = io.ReadFull(patterned(4, benchSize), data)
	b.SetBytes(benchSize)
	for b.Loop() {
		if err := os.WriteFile(p, data, 0o640); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, f); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	}
}

type bytesReader struct {
	b []byte
	i int
}

func newBytesReader(b []byte) *bytesReader { return &bytesReader{b: b} }

func (r *bytesReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}
