package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// SniffLen is how many leading bytes Sniff looks at. It covers every
// signature below, including the EBML doctype of a WebM file and the first
// cue of a subtitle file.
const SniffLen = 512

// uploadType is what one allowed extension accepts.
type uploadType struct {
	// mime is recorded for the file: the canonical type of the extension.
	mime string
	// accept lists the sniffed types that may carry this extension. MP4, MOV
	// and M4A share the ISO-BMFF container, and tools label its brands
	// loosely, so they accept each other's video brands.
	accept []string
}

// uploadTypes is the allow-list of upload extensions.
var uploadTypes = map[string]uploadType{
	".mp4":  {"video/mp4", []string{"video/mp4", "video/quicktime"}},
	".mov":  {"video/quicktime", []string{"video/quicktime", "video/mp4"}},
	".m4a":  {"audio/mp4", []string{"audio/mp4", "video/mp4"}},
	".webm": {"video/webm", []string{"video/webm"}},
	".gif":  {"image/gif", []string{"image/gif"}},
	".png":  {"image/png", []string{"image/png"}},
	".jpg":  {"image/jpeg", []string{"image/jpeg"}},
	".jpeg": {"image/jpeg", []string{"image/jpeg"}},
	".webp": {"image/webp", []string{"image/webp"}},
	".mp3":  {"audio/mpeg", []string{"audio/mpeg"}},
	".wav":  {"audio/wav", []string{"audio/wav"}},
	".srt":  {"application/x-subrip", []string{"application/x-subrip"}},
}

// UploadExtensions lists the accepted upload extensions, for messages.
const UploadExtensions = ".mp4 .mov .webm .gif .png .jpg .jpeg .webp .mp3 .wav .m4a .srt"

// UploadType decides whether a file called name whose content starts with
// head may be uploaded, and returns the MIME type to record. The extension
// must be on the allow-list (else ErrUnsupportedType) and the content must
// be what the extension claims (else ErrTypeMismatch): a PNG renamed to
// .mp4 is refused here, before FFmpeg ever parses it.
func UploadType(name string, head []byte) (string, error) {
	ext := strings.ToLower(path.Ext(name))
	ut, ok := uploadTypes[ext]
	if !ok {
		return "", fmt.Errorf("%w: extension %q is not one of %s", ErrUnsupportedType,
			ext, UploadExtensions)
	}
	got := Sniff(head)
	for _, a := range ut.accept {
		if got == a {
			return ut.mime, nil
		}
	}
	if got == "" {
		got = "unrecognised content"
	}
	return "", fmt.Errorf("%w: a %s file holds %s", ErrTypeMismatch, ext, got)
}

// Sniff names the type of a file from its first bytes (at most SniffLen are
// used), or returns "" when it is none of the types Reelforge accepts.
// http.DetectContentType knows neither QuickTime nor M4A nor subtitles and
// calls any ISO-BMFF file video/mp4, hence this detector.
func Sniff(head []byte) string {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffISOBMFF(head)
	case len(head) >= 12 && string(head[:4]) == "RIFF":
		switch string(head[8:12]) {
		case "WAVE":
			return "audio/wav"
		case "WEBP":
			return "image/webp"
		}
		return ""
	case bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		if bytes.Contains(head, []byte("webm")) {
			return "video/webm"
		}
		return ""
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("ID3")), mpegFrame(head):
		return "audio/mpeg"
	case isSubRip(head):
		return "application/x-subrip"
	}
	return ""
}

// sniffISOBMFF reads the major brand of an ftyp box. The box size must
// cover at least the box header, the brand and the minor version.
func sniffISOBMFF(head []byte) string {
	size := binary.BigEndian.Uint32(head[:4])
	if size != 1 && size < 16 {
		return ""
	}
	switch string(head[8:12]) {
	case "qt  ":
		return "video/quicktime"
	case "M4A ", "M4B ", "M4P ", "F4A ":
		return "audio/mp4"
	}
	return "video/mp4"
}

// mpegFrame reports an MPEG audio frame header without an ID3 tag: eleven
// sync bits, a real version and layer, and a usable bit rate and sample
// rate. ADTS AAC (layer 0) is not MP3 and fails here.
func mpegFrame(h []byte) bool {
	if len(h) < 4 || h[0] != 0xff || h[1]&0xe0 != 0xe0 {
		return false
	}
	version, layer := (h[1]>>3)&3, (h[1]>>1)&3
	bitrate, rate := h[2]>>4, (h[2]>>2)&3
	return version != 1 && layer != 0 && bitrate != 0 && bitrate != 0xf && rate != 3
}

// isSubRip reports text that starts like a SubRip file: an optional BOM and
// blank lines, a cue number, then a line holding "-->". The text must be
// UTF-8 (a rune cut at the end of head is allowed) without control bytes.
func isSubRip(head []byte) bool {
	text := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if !plainText(text) {
		return false
	}
	lines := strings.Split(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) < 2 {
		return false
	}
	num := strings.TrimSpace(lines[0])
	if num == "" || len(num) > 9 || strings.Trim(num, "0123456789") != "" {
		return false
	}
	return strings.Contains(lines[1], "-->")
}

// plainText reports UTF-8 text without control bytes other than tab, CR
// and LF; an incomplete rune at the very end is allowed because head may
// cut one in two.
func plainText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return false
		}
		b = b[n:]
	}
	return true
}
