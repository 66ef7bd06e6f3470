// Package providertest holds what the fake vendor servers of the adapter
// test-support packages (replicatetest, runwaytest, klingtest, veotest,
// wantest, nanobananatest) share: a real media file to serve as output, a
// clock that tests step by hand or let run, and the failure knobs every
// fake offers. It is for tests only; production code must not import it.
package providertest

import (
	"bytes"
	_ "embed"
	"image"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// clip is a 1 s 640x360 H.264 MP4 with an AAC sine tone, made once with
//
//	ffmpeg -f lavfi -i testsrc2=size=640x360:rate=24:duration=1 \
//	  -f lavfi -i sine=frequency=440:duration=1 -c:v libx264 -preset veryslow \
//	  -crf 40 -pix_fmt yuv420p -c:a aac -b:a 32k -shortest -movflags +faststart clip.mp4
//
//go:embed clip.mp4
var clip []byte

// Size of the clip every fake serves as its video output.
const (
	ClipWidth  = 640
	ClipHeight = 360
)

// MP4 returns a copy of the real clip the fakes serve as video output, so
// the engine's download, probe and transcode path runs on a real file.
func MP4() []byte { return bytes.Clone(clip) }

// PNG encodes a w x h image with a gradient, a real PNG for image outputs.
func PNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = uint8(x), uint8(y), 128, 255
		}
	}
	var buf bytes.Buffer
	_ = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	return buf.Bytes()
}

// ServeMP4 answers a GET with the clip, as a CDN serves a vendor's output.
func ServeMP4(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	http.ServeContent(w, r, "clip.mp4", time.Time{}, bytes.NewReader(clip))
}

// Clock counts the steps of a fake's state machine. Tests move it with
// Advance; with a positive tick it also moves one step per tick of real
// time, so that jobs advance while the engine polls on its own schedule.
// It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	manual int
	start  time.Time
	tick   time.Duration
}

// NewClock returns a clock at step 0; tick <= 0 means it moves only when
// told.
func NewClock(tick time.Duration) *Clock {
	return &Clock{start: time.Now(), tick: tick}
}

// Advance moves the clock n steps.
func (c *Clock) Advance(n int) {
	c.mu.Lock()
	c.manual += n
	c.mu.Unlock()
}

// SetTick changes the pace of the clock from now on, keeping the steps
// already taken; 0 stops it moving on its own.
func (c *Clock) SetTick(tick time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tick > 0 {
		c.manual += int(time.Since(c.start) / c.tick)
	}
	c.start, c.tick = time.Now(), tick
}

// Step returns the current step.
func (c *Clock) Step() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.manual
	if c.tick > 0 {
		n += int(time.Since(c.start) / c.tick)
	}
	return n
}

// Knobs are the failure switches and counters every fake shares. The zero
// value is ready; it is safe for concurrent use.
type Knobs struct {
	mu       sync.Mutex
	throttle int
	hang     time.Duration
	creates  int
	cancels  int
	polls    int
}

// ThrottleOnce makes the next create answer 429 with Retry-After set to
// retryAfter whole seconds (at least 1).
func (k *Knobs) ThrottleOnce(retryAfter int) {
	k.mu.Lock()
	k.throttle = max(retryAfter, 1)
	k.mu.Unlock()
}

// TakeThrottle reports whether a create is to be throttled, and with what
// Retry-After; it clears the switch.
func (k *Knobs) TakeThrottle() (retryAfter string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.throttle == 0 {
		return "", false
	}
	s := strconv.Itoa(k.throttle)
	k.throttle = 0
	return s, true
}

// SetHang makes every API call (not media downloads) wait d before it is
// dropped without an answer, or until the client gives up; 0 answers again.
func (k *Knobs) SetHang(d time.Duration) {
	k.mu.Lock()
	k.hang = d
	k.mu.Unlock()
}

// Hang holds r for the hang duration when one is set and reports whether it
// did; the caller then writes nothing.
func (k *Knobs) Hang(r *http.Request) bool {
	k.mu.Lock()
	d := k.hang
	k.mu.Unlock()
	if d <= 0 {
		return false
	}
	_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leave
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
	return true
}

// CountCreate records one create call that reached the fake's API.
func (k *Knobs) CountCreate() {
	k.mu.Lock()
	k.creates++
	k.mu.Unlock()
}

// CountCancel records one cancel call.
func (k *Knobs) CountCancel() {
	k.mu.Lock()
	k.cancels++
	k.mu.Unlock()
}

// Creates is the number of create calls the fake received, throttled and
// refused ones included.
func (k *Knobs) Creates() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.creates
}

// Cancels is the number of cancel calls the fake received.
func (k *Knobs) Cancels() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cancels
}

// CountPoll records one status query.
func (k *Knobs) CountPoll() {
	k.mu.Lock()
	k.polls++
	k.mu.Unlock()
}

// Polls is the number of status queries the fake received.
func (k *Knobs) Polls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.polls
}
