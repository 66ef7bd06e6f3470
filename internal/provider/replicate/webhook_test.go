package replicate

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/replicate/replicatetest"
)

// The Standard Webhooks vector quoted by replicate-go's tests.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorStamp  = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func hookAdapter(t *testing.T, now time.Time) *Adapter {
	t.Helper()
	env := map[string]string{EnvWebhookSecret: vectorSecret}
	a, err := New(provider.Config{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	a.hooks.now = func() time.Time { return now }
	return a
}

func push(h http.Header, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/webhooks/replicate",
		strings.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

func TestWebhookVector(t *testing.T) {
	t.Parallel()
	v, err := newWebhookVerifier(vectorSecret, func() time.Time {
		return time.Unix(vectorStamp, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm90IHRoaXMgb25l "+vectorSig)
	// The vector's body is no prediction, so verification gets past the
	// signature and stops at the id; a wrong signature stops earlier.
	_, err = v.verify(h, []byte(vectorBody))
	if err == nil || !strings.Contains(err.Error(), "not a prediction") {
		t.Fatalf("vector: %v", err)
	}
	h.Set("webhook-signature", strings.Replace(vectorSig, "g0h", "g0H", 1))
	if _, err = v.verify(h, []byte(vectorBody)); err == nil ||
		!strings.Contains(err.Error(), "signature mismatch") {
		t.Fatalf("altered vector: %v", err)
	}
	// The fake's signer agrees with the vector, so the tests below sign
	// the way Replicate does.
	if got := replicatetest.Sign(vectorSecret, vectorID, vectorStamp, []byte(vectorBody)); got.Get(
		"webhook-signature") != vectorSig {
		t.Fatalf("fake signer gives %s", got.Get("webhook-signature"))
	}
}

func TestWebhookValidForgedReplayed(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_760_000_000, 0)
	a := hookAdapter(t, now)
	body := `{"id":"q7r2m1tz5hrgc0cs2ay9v3kq8w","status":"succeeded",` +
		`"output":"https://replicate.delivery/x/out.mp4"}`
	h := replicatetest.Sign(vectorSecret, "msg_1", now.Unix()-30, []byte(body))
	id, err := a.Webhook(push(h, body), []byte(body))
	if err != nil || id != "q7r2m1tz5hrgc0cs2ay9v3kq8w" {
		t.Fatalf("valid push: %q %v", id, err)
	}
	rejected := map[string]http.Header{
		"replayed": h,
		"forged body": replicatetest.Sign(vectorSecret, "msg_2", now.Unix(),
			[]byte(`{"id":"other"}`)),
		"other secret": replicatetest.Sign("whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==", "msg_3", now.Unix(),
			[]byte(body)),
		"stale": replicatetest.Sign(vectorSecret, "msg_4", now.Add(-6*time.Minute).Unix(),
			[]byte(body)),
		"future": replicatetest.Sign(vectorSecret, "msg_5", now.Add(6*time.Minute).Unix(),
			[]byte(body)),
		"no headers": {},
	}
	for name, hdr := range rejected {
		if _, err := a.Webhook(push(hdr, body), []byte(body)); !errors.Is(err,
			provider.ErrWebhookRejected) {
			t.Errorf("%s: %v, want ErrWebhookRejected", name, err)
		}
	}
	v2 := replicatetest.Sign(vectorSecret, "msg_6", now.Unix(), []byte(body))
	v2.Set("webhook-signature", "v2,abc "+v2.Get("webhook-signature"))
	if _, err := a.Webhook(push(v2, body), []byte(body)); err != nil {
		t.Errorf("second of two signatures not accepted: %v", err)
	}
}

func TestWebhookReplayMemoryBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_760_000_000, 0)
	v, _ := newWebhookVerifier(vectorSecret, func() time.Time { return now })
	for i := range maxSeenWebhooks + 10 {
		if !v.remember("msg_"+string(rune('a'+i%26))+time.Duration(i).String(), now) {
			t.Fatal("fresh id refused")
		}
	}
	if len(v.seen) > maxSeenWebhooks || len(v.order) > maxSeenWebhooks {
		t.Errorf("memory holds %d ids", len(v.seen))
	}
	// Entries past the window are dropped on the next insert.
	now = now.Add(2 * WebhookTolerance)
	v.remember("late", now)
	if len(v.seen) != 1 {
		t.Errorf("expired ids kept: %d", len(v.seen))
	}
}

func TestWebhookWithoutSecret(t *testing.T) {
	t.Parallel()
	a, err := New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"x"}`
	_, err = a.Webhook(push(replicatetest.Sign(vectorSecret, "m", time.Now().Unix(),
		[]byte(body)), body),
		[]byte(body))
	if !errors.Is(err, provider.ErrWebhookRejected) {
		t.Errorf("push accepted without a secret: %v", err)
	}
}
