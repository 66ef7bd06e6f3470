package media

import (
	"fmt"
	"math"
)

// Resolution tiers. A tier fixes the SHORT side of the frame, so "1080p" is
// 1920x1080 in 16:9 and 1080x1920 in 9:16.
const (
	Tier720p  = "720p"
	Tier1080p = "1080p"
	Tier2K    = "2k"
	Tier4K    = "4k"
)

// Aspect ratios, written width:height. The long side is the short side times
// the ratio, rounded to the nearest even number (encoders need even sizes).
const (
	Aspect9x16 = "9:16"
	Aspect16x9 = "16:9"
	Aspect1x1  = "1:1"
	Aspect21x9 = "21:9"
)

// Defaults used when a Spec leaves Tier or Aspect empty.
const (
	defaultTier = Tier1080p
	defaultAsp  = Aspect16x9
)

// Tiers lists the tiers from smallest to largest.
var Tiers = []string{Tier720p, Tier1080p, Tier2K, Tier4K}

// Aspects lists the supported aspect ratios.
var Aspects = []string{Aspect9x16, Aspect16x9, Aspect1x1, Aspect21x9}

var tierShort = map[string]int{Tier720p: 720, Tier1080p: 1080, Tier2K: 1440, Tier4K: 2160}

// aspectDims holds width and height parts of each ratio.
var aspectDims = map[string][2]int{
	Aspect9x16: {9, 16}, Aspect16x9: {16, 9}, Aspect1x1: {1, 1}, Aspect21x9: {21, 9},
}

// Size returns the frame size of a tier in an aspect ratio. The complete table
// (width x height), checked against Sizes by a test:
//
//	tier   short  9:16       16:9       1:1        21:9
//	720p   720    720x1280   1280x720   720x720    1680x720
//	1080p  1080   1080x1920  1920x1080  1080x1080  2520x1080
//	2k     1440   1440x2560  2560x1440  1440x1440  3360x1440
//	4k     2160   2160x3840  3840x2160  2160x2160  5040x2160
//
// Unknown names yield errors wrapping ErrUnknownTier or ErrUnknownAspect.
func Size(tier, aspect string) (w, h int, err error) {
	short, ok := tierShort[tier]
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrUnknownTier, tier)
	}
	d, ok := aspectDims[aspect]
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrUnknownAspect, aspect)
	}
	aw, ah := d[0], d[1]
	if aw >= ah {
		return evenRound(float64(short) * float64(aw) / float64(ah)), short, nil
	}
	return short, evenRound(float64(short) * float64(ah) / float64(aw)), nil
}

// evenRound rounds x to the nearest even integer.
func evenRound(x float64) int { return 2 * int(math.Round(x/2)) }

// SizeEntry is one cell of the tier x aspect table.
type SizeEntry struct {
	// Tier and Aspect name the cell, as passed to Size.
	Tier, Aspect string
	// Width and Height are the frame size in pixels.
	Width, Height int
}

// Sizes returns every tier x aspect cell, tiers in Tiers order and aspects in
// Aspects order, as documented on Size.
func Sizes() []SizeEntry {
	out := make([]SizeEntry, 0, len(Tiers)*len(Aspects))
	for _, t := range Tiers {
		for _, a := range Aspects {
			w, h, _ := Size(t, a)
			out = append(out, SizeEntry{Tier: t, Aspect: a, Width: w, Height: h})
		}
	}
	return out
}

// Fit says how a source whose shape differs from the target is made to fit.
type Fit string

// Fit modes. The default is FitPad.
const (
	// FitPad scales the whole source into the frame and fills the rest with
	// black bars (letterbox or pillarbox). Nothing is lost.
	FitPad Fit = "pad"
	// FitCrop scales the source to cover the frame and cuts the centre out.
	FitCrop Fit = "crop"
	// FitBlur is FitPad with a blurred, scaled-up copy of the source behind
	// the picture instead of black bars, as social apps do.
	FitBlur Fit = "blur"
)

// fitGraph returns filtergraph text that takes label in, fits it into w x h
// by fit and labels the result out. tag makes its inner labels unique.
func fitGraph(in, out, tag string, fit Fit, w, h int) (string, error) {
	switch fit {
	case FitPad, "":
		return fmt.Sprintf("[%s]scale=%d:%d:force_original_aspect_ratio=decrease:"+
			"force_divisible_by=2,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:black,setsar=1[%s]",
			in, w, h, w, h, out), nil
	case FitCrop:
		return fmt.Sprintf("[%s]scale=%d:%d:force_original_aspect_ratio=increase,"+
			"crop=%d:%d,setsar=1[%s]", in, w, h, w, h, out), nil
	case FitBlur:
		// The background is blurred at 1/8 size: cheap even for 4k, and the
		// upscale softens it further.
		sw, sh := max(evenRound(float64(w)/8), 2), max(evenRound(float64(h)/8), 2)
		return fmt.Sprintf("[%[1]s]split=2[bg%[2]s][fg%[2]s];"+
			"[bg%[2]s]scale=%[3]d:%[4]d:force_original_aspect_ratio=increase,"+
			"crop=%[3]d:%[4]d,gblur=sigma=4,scale=%[5]d:%[6]d,setsar=1[bb%[2]s];"+
			"[fg%[2]s]scale=%[5]d:%[6]d:force_original_aspect_ratio=decrease:"+
			"force_divisible_by=2,setsar=1[ff%[2]s];"+
			"[bb%[2]s][ff%[2]s]overlay=(W-w)/2:(H-h)/2,setsar=1[%[7]s]",
			in, tag, sw, sh, w, h, out), nil
	}
	return "", fmt.Errorf("%w: unknown fit %q", ErrInvalidSpec, fit)
}

// Codec selects the video encoder.
type Codec string

// Video codecs. The default is CodecH264, which plays everywhere.
const (
	// CodecH264 encodes with libx264.
	CodecH264 Codec = "h264"
	// CodecHEVC encodes with libx265 at about 60% of the H.264 bit rate,
	// tagged hvc1 so Apple players accept it.
	CodecHEVC Codec = "hevc"
)

// Quality holds the rate-control settings for one tier and codec. Bit rates
// are in kbit/s.
type Quality struct {
	// VideoKbps is the target average bit rate (-b:v).
	VideoKbps int
	// MaxKbps caps short-term peaks (-maxrate), 1.5x the target.
	MaxKbps int
	// BufKbits is the VBV buffer (-bufsize), 2x the target.
	BufKbits int
	// AudioKbps is the AAC bit rate: 128 up to 1080p, 192 above.
	AudioKbps int
}

// h264Kbps are the standard H.264 targets per tier: 720p 4 Mbps, 1080p 8 Mbps,
// 2k 16 Mbps, 4k 40 Mbps. HEVC uses 60% of these.
var h264Kbps = map[string]int{Tier720p: 4000, Tier1080p: 8000, Tier2K: 16000, Tier4K: 40000}

// QualityFor returns the preset for a tier and codec.
func QualityFor(tier string, codec Codec) (Quality, error) {
	kbps, ok := h264Kbps[tier]
	if !ok {
		return Quality{}, fmt.Errorf("%w: %q", ErrUnknownTier, tier)
	}
	switch codec {
	case CodecH264, "":
	case CodecHEVC:
		kbps = kbps * 6 / 10
	default:
		return Quality{}, fmt.Errorf("%w: unknown codec %q", ErrInvalidSpec, codec)
	}
	audio := 128
	if tier == Tier2K || tier == Tier4K {
		audio = 192
	}
	return Quality{VideoKbps: kbps, MaxKbps: kbps * 3 / 2, BufKbits: kbps * 2,
		AudioKbps: audio}, nil
}
