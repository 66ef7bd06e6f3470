package kling

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/reelforge/reelforge/internal/provider"
)

// kindParam is the query parameter the adapter adds to callback_url so that
// a callback, whose body does not say which endpoint created the task, can
// be turned back into a job id.
const kindParam = "kling_kind"

// reserved are the body fields the adapter sets itself; Request.Params may
// not override them (external_task_id and callback_url carry the engine's
// crash recovery and callback token).
var reserved = []string{"model_name", "prompt", "negative_prompt", "image", "duration",
	"aspect_ratio", "sound", "callback_url", "external_task_id"}

// buildCreate maps a defaulted, validated request onto Kling's body and
// says which endpoint takes it.
func buildCreate(req provider.Request) (string, map[string]any, *provider.Error) {
	spec, ok := specOf(req.Model)
	if !ok {
		return "", nil, provider.NewError(provider.CodeBadRequest, "unknown kling model "+
			strconv.Quote(req.Model))
	}
	bad := func(msg string) (string, map[string]any, *provider.Error) {
		return "", nil, provider.NewError(provider.CodeBadRequest, msg)
	}
	if utf8.RuneCountInString(req.NegativePrompt) > maxPromptChars {
		return bad("kling accepts negative prompts of at most 2500 characters")
	}
	body := map[string]any{
		"model_name": spec.id,
		"duration":   strconv.Itoa(req.DurationSeconds), // a string on the wire
	}
	kind := kindT2V
	if req.Kind == provider.KindImageToVideo {
		kind = kindI2V
		img, err := imageField(req.ImageURL)
		if err != nil {
			return bad(err.Error())
		}
		body["image"] = img
	} else {
		body["aspect_ratio"] = req.AspectRatio
	}
	if req.Prompt != "" {
		body["prompt"] = req.Prompt
	}
	if req.NegativePrompt != "" {
		body["negative_prompt"] = req.NegativePrompt
	}
	mode := ""
	if spec.modes != nil {
		mode = spec.modes[req.Resolution]
		body["mode"] = mode
	}
	if spec.audio {
		body["sound"] = "off"
		if req.Audio {
			if mode != modePro {
				return bad("kling " + spec.id + " generates sound only at 1080p (pro mode)")
			}
			body["sound"] = "on"
		}
	}
	if req.TaskID != "" {
		body["external_task_id"] = req.TaskID
	}
	if req.CallbackURL != "" {
		cb, err := callbackWithKind(req.CallbackURL, kind)
		if err != nil {
			return bad("callback URL is not a valid URL")
		}
		body["callback_url"] = cb
	}
	for k, v := range req.Params {
		if slices.Contains(reserved, k) {
			return bad("param " + strconv.Quote(k) + " is set by reelforge and cannot be " +
				"passed through")
		}
		body[k] = v
	}
	return kind, body, nil
}

// imageField turns Request.ImageURL into Kling's image value: URLs pass
// through; data URIs lose their "data:…;base64," prefix, because Kling
// wants bare base64.
func imageField(s string) (string, error) {
	if !strings.HasPrefix(s, "data:") {
		return s, nil
	}
	meta, data, ok := strings.Cut(s, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") || data == "" {
		return "", errBadImage
	}
	return data, nil
}

var errBadImage = errors.New("kling takes the image as a URL or a base64 data URI")

// callbackWithKind adds kindParam to the engine's callback URL, keeping its
// other parameters.
func callbackWithKind(raw, kind string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errBadCallback
	}
	q := u.Query()
	q.Set(kindParam, kind)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var errBadCallback = errors.New("kling: callback URL is not an http(s) URL")
