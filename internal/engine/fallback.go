package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/queue"
	"github.com/reelforge/reelforge/internal/store"
)

// fallback hands a task to the next provider its variant lists, if one is
// enabled and supports the same duration, aspect ratio and resolution. It
// reports whether the task moved; the event log says why.
func (e *Engine) fallback(ctx context.Context, job *store.Job, t *store.Task, tp taskParams,
	why string) (bool, error) {
	for len(tp.Fallbacks) > 0 {
		next := tp.Fallbacks[0]
		tp.Fallbacks = tp.Fallbacks[1:]
		p, err := e.Providers.Get(next)
		if err != nil {
			continue
		}
		caps := p.Capabilities()
		req := caps.WithDefaults(e.providerRequest(&store.Task{Prompt: t.Prompt}, tp))
		if err := caps.Validate(req); err != nil {
			e.event(ctx, job.ID, t.ID, "info", "task.fallback_skipped",
				fmt.Sprintf("%s cannot take over: %s", next, provider.Sanitize(err.Error())),
				map[string]any{"provider": next})
			continue
		}
		from := t.Provider
		e.releaseSlots(ctx, t)
		err = e.Store.InTx(ctx, func(tx *store.Store) error {
			if err := tx.SwitchTaskProvider(ctx, t.ID, next, req.Model, mustJSON(tp)); err != nil {
				return err
			}
			sqlTx, _ := tx.SQLTx()
			_, err := e.Queue.EnqueueTx(ctx, sqlTx, queue.EnqueueParams{Queue: next,
				TaskID: t.ID, Kind: "run", Priority: t.Priority,
				UniqueKey: "task:" + t.ID + ":" + next})
			if errors.Is(err, queue.ErrDuplicate) {
				err = nil
			}
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return true, nil // canceled meanwhile
		}
		if err != nil {
			return false, err
		}
		if n, ok := e.Queue.(queue.Notifier); ok {
			n.Notify(next)
		}
		e.event(ctx, job.ID, t.ID, "warn", "task.fallback",
			fmt.Sprintf("%s handed the task to %s because %s", from, next, why),
			map[string]any{"from": from, "to": next, "reason": why})
		e.refreshJobLogged(ctx, job.ID)
		return true, nil
	}
	return false, nil
}

// CallbackURL is the webhook URL given to a provider for one task: our
// public URL with the task id and an HMAC of it, so a push can be matched
// to its task and a forged one refused before anything is looked up.
func (e *Engine) CallbackURL(providerName, taskID string) string {
	if e.cfg.PublicURL == "" || len(e.cfg.CallbackKey) == 0 {
		return ""
	}
	q := url.Values{"task": {taskID}, "sig": {e.callbackSig(providerName, taskID)}}
	return e.cfg.PublicURL + "/api/v1/webhooks/" + url.PathEscape(providerName) + "?" +
		q.Encode()
}

func (e *Engine) callbackSig(providerName, taskID string) string {
	m := hmac.New(sha256.New, e.cfg.CallbackKey)
	m.Write([]byte(providerName + "\x00" + taskID))
	return hex.EncodeToString(m.Sum(nil))
}

// ErrWebhookRejected means a push was not proven genuine.
var ErrWebhookRejected = errors.New("engine: webhook rejected")

// Webhook handles a provider's push: the URL's task signature, then the
// adapter's own verification (signature, timestamp, replay), then the job
// id must be the task's. It only wakes the task's next status check; the
// state is always fetched from the provider, never taken from the push.
func (e *Engine) Webhook(ctx context.Context, providerName string, q url.Values,
	verify func(provider.Webhooker) (string, error)) error {
	taskID, sig := q.Get("task"), q.Get("sig")
	if len(e.cfg.CallbackKey) == 0 || taskID == "" ||
		!hmac.Equal([]byte(sig), []byte(e.callbackSig(providerName, taskID))) {
		return ErrWebhookRejected
	}
	p, err := e.Providers.Get(providerName)
	if err != nil {
		return ErrWebhookRejected
	}
	wh, ok := p.(provider.Webhooker)
	if !ok {
		return ErrWebhookRejected
	}
	jobID, err := verify(wh)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWebhookRejected, provider.Sanitize(err.Error()))
	}
	t, err := e.Store.TaskByID(ctx, taskID)
	if err != nil || t.ProviderJobID != jobID {
		return ErrWebhookRejected
	}
	e.event(ctx, t.JobID, t.ID, "info", "task.webhook",
		t.Provider+": the provider pushed a status change", nil)
	return e.Queue.Wake(ctx, t.ID)
}
