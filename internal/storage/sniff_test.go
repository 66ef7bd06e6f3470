package storage

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// realSample renders a short file with ffmpeg's test sources, so the
// sniffer is tested on what encoders really write, not on hand-made bytes.
func realSample(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH")
	}
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command(bin, append(append([]string{"-v", "error", "-y"}, args...), out)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSniffRecognisesRealFiles(t *testing.T) {
	t.Parallel()
	video := []string{"-f", "lavfi", "-i", "testsrc=size=64x36:rate=5:duration=0.4"}
	audio := []string{"-f", "lavfi", "-i", "sine=duration=0.3"}
	still := []string{"-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"clip.mp4", append(video, "-c:v", "libx264", "-pix_fmt", "yuv420p"), "video/mp4"},
		{"clip.mov", append(video, "-c:v", "libx264"), "video/quicktime"},
		{"clip.webm", append(video, "-c:v", "libvpx"), "video/webm"},
		{"clip.gif", video, "image/gif"},
		{"still.png", still, "image/png"},
		{"still.jpg", still, "image/jpeg"},
		{"still.webp", still, "image/webp"},
		{"tone.wav", audio, "audio/wav"},
		{"tone.mp3", append(audio, "-id3v2_version", "0", "-write_xing", "0"), "audio/mpeg"},
		{"tone.m4a", append(audio, "-c:a", "aac"), "audio/mp4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := realSample(t, c.name, c.args...)
			if got := Sniff(b); got != c.want {
				t.Fatalf("Sniff(%s) = %q, want %q (head % x)", c.name, got, c.want, b[:16])
			}
			if _, err := UploadType(c.name, b); err != nil {
				t.Fatalf("UploadType(%s): %v", c.name, err)
			}
		})
	}
}

func TestUploadTypeRefusesSpoofsAndUnknownExtensions(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	srt := []byte("\xef\xbb\xbf1\r\n00:00:01,000 --> 00:00:02,500\r\n你好，世界\r\n")
	if mt, err := UploadType("Subs.SRT", srt); err != nil || mt != "application/x-subrip" {
		t.Fatalf("subtitles: %q %v", mt, err)
	}
	for name, head := range map[string][]byte{
		"clip.mp4":   png,
		"clip.mov":   srt,
		"poster.png": []byte("<html><body>hello</body></html>"),
		"notes.srt":  []byte("just some text\nwithout cues\n"),
		"tone.mp3":   []byte{0xff, 0xf1, 0x50, 0x80}, // ADTS AAC, not MP3
		"empty.mp4":  nil,
	} {
		if _, err := UploadType(name, head); !errors.Is(err, ErrTypeMismatch) {
			t.Errorf("UploadType(%s) = %v, want ErrTypeMismatch", name, err)
		}
	}
	for _, name := range []string{"run.exe", "page.html", "noext", "clip.mp4.php", ".mp4x"} {
		if _, err := UploadType(name, png); !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("UploadType(%s) = %v, want ErrUnsupportedType", name, err)
		}
	}
}

// FuzzSniff feeds arbitrary heads to the sniffer: it must never panic, must
// name only types of the allow-list, must depend on the first SniffLen
// bytes only, and must agree with UploadType.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  "))
	f.Add([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"))
	f.Add([]byte("\x00\x00\x00\x01ftypM4A "))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))
	f.Add([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF"))
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{0xff, 0xfb, 0x90, 0x64})
	f.Add([]byte("1\n00:00:00,000 --> 00:00:01,000\nhi\n"))
	f.Add([]byte("\n\n12\r\n00:00:00,000 --> 00:00:01,000\r\n\xe4\xbd"))
	known := map[string]bool{"": true}
	for _, ut := range uploadTypes {
		for _, a := range ut.accept {
			known[a] = true
		}
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got := Sniff(head)
		if !known[got] {
			t.Fatalf("Sniff named %q, which no extension accepts", got)
		}
		if len(head) > SniffLen {
			if again := Sniff(append(head[:SniffLen:SniffLen], 'x')); again != got {
				t.Fatalf("bytes past SniffLen changed the answer: %q vs %q", got, again)
			}
		}
		if got == "application/x-subrip" && !utf8.Valid(trimPartialRune(head)) {
			t.Fatalf("invalid UTF-8 sniffed as subtitles: %q", head)
		}
		for ext, ut := range uploadTypes {
			mt, err := UploadType("f"+strings.ToUpper(ext), head)
			accepted := false
			for _, a := range ut.accept {
				accepted = accepted || a == got
			}
			if (err == nil) != accepted || (err == nil && mt != ut.mime) {
				t.Fatalf("UploadType(%s) = %q, %v for sniffed %q", ext, mt, err, got)
			}
		}
	})
}

// trimPartialRune drops the SniffLen cut and an incomplete last rune.
func trimPartialRune(b []byte) []byte {
	if len(b) > SniffLen {
		b = b[:SniffLen]
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if !utf8.FullRune(b[len(b)-i:]) {
			return b[:len(b)-i]
		}
	}
	return b
}
