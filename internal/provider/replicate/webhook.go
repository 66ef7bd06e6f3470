package replicate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
)

// EnvWebhookSecret names the webhook signing secret ("whsec_<base64>", from
// GET /v1/webhooks/default/secret), read through provider.Config.Getenv.
// Without it every push is rejected and the engine relies on polling.
const EnvWebhookSecret = "PROVIDER_REPLICATE_WEBHOOK_SECRET"

// WebhookTolerance is how far a push's webhook-timestamp may be from now,
// either way, before it is refused as stale.
const WebhookTolerance = 5 * time.Minute

// maxSeenWebhooks bounds the replay memory. Entries leave it once their
// timestamp falls out of WebhookTolerance, so it only fills under a flood
// of genuine pushes; the oldest entry is then dropped.
const maxSeenWebhooks = 10000

// webhookVerifier checks Standard Webhooks signatures and remembers the
// message ids accepted within the tolerance window. The memory is per
// process: with several API nodes behind a load balancer a replay sent to
// another node passes, so such deployments need a shared store (the engine
// still re-reads the prediction before trusting a push, which keeps a
// replay harmless).
type webhookVerifier struct {
	key []byte
	now func() time.Time

	mu    sync.Mutex
	seen  map[string]time.Time
	order []seenID
}

type seenID struct {
	id string
	ts time.Time
}

// newWebhookVerifier decodes secret; an empty secret gives a verifier that
// rejects everything.
func newWebhookVerifier(secret string, now func() time.Time) (*webhookVerifier, error) {
	v := &webhookVerifier{now: now, seen: make(map[string]time.Time)}
	if secret == "" {
		return v, nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("replicate: %s is not whsec_ followed by base64", EnvWebhookSecret)
	}
	v.key = key
	return v, nil
}

// Webhook verifies a Replicate push: the webhook-signature header must
// carry a v1 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" under
// the signing secret, the timestamp must be within WebhookTolerance, and
// the webhook-id must not have been accepted before. It returns the
// prediction id from the body. Errors wrap provider.ErrWebhookRejected.
func (a *Adapter) Webhook(r *http.Request, body []byte) (string, error) {
	id, err := a.hooks.verify(r.Header, body)
	if err != nil {
		a.log.Warn("replicate: webhook rejected", "provider", a.name, "error", err)
		return "", err
	}
	return id, nil
}

func reject(format string, args ...any) error {
	return fmt.Errorf("replicate: %w: "+format, append([]any{provider.ErrWebhookRejected},
		args...)...)
}

func (v *webhookVerifier) verify(h http.Header, body []byte) (string, error) {
	if len(v.key) == 0 {
		return "", reject("no signing secret configured (%s)", EnvWebhookSecret)
	}
	msgID, stamp, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"),
		h.Get("webhook-signature")
	if msgID == "" || stamp == "" || sigs == "" {
		return "", reject("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	secs, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return "", reject("malformed webhook-timestamp")
	}
	ts := time.Unix(secs, 0)
	if d := v.now().Sub(ts); d > WebhookTolerance || d < -WebhookTolerance {
		return "", reject("timestamp outside the %s window", WebhookTolerance)
	}
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte(msgID + "." + stamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	if !anySignature(sigs, want) {
		return "", reject("signature mismatch")
	}
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
		return "", reject("body is not a prediction")
	}
	if !v.remember(msgID, ts) {
		return "", reject("webhook-id already seen")
	}
	return p.ID, nil
}

// anySignature reports whether one "v1,<base64>" entry of the
// space-separated header equals want, comparing in constant time.
func anySignature(header string, want []byte) bool {
	ok := false
	for _, entry := range strings.Fields(header) {
		version, sig, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

// remember records msgID and reports false if it was already recorded.
func (v *webhookVerifier) remember(msgID string, ts time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	cutoff := v.now().Add(-WebhookTolerance)
	for len(v.order) > 0 && (v.order[0].ts.Before(cutoff) || len(v.order) >= maxSeenWebhooks) {
		old := v.order[0]
		v.order = v.order[1:]
		if v.seen[old.id].Equal(old.ts) {
			delete(v.seen, old.id)
		}
	}
	if _, dup := v.seen[msgID]; dup {
		return false
	}
	v.seen[msgID] = ts
	v.order = append(v.order, seenID{id: msgID, ts: ts})
	return true
}
