package nanobanana

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig reads JPEG sizes
	_ "image/png"  // and PNG sizes
	"maps"
	"net/http"
	"strings"

	"github.com/reelforge/reelforge/internal/provider"
)

// Params keys the adapter consumes; every other key is copied into
// generationConfig untouched.
const (
	// ParamImageBase64 is a reference image as plain base64.
	ParamImageBase64 = "image_base64"
	// ParamImageMIME is its media type; empty means sniffed from the bytes.
	ParamImageMIME = "image_mime_type"
)

type genRequest struct {
	Contents         []content      `json:"contents"`
	GenerationConfig map[string]any `json:"generationConfig"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

type part struct {
	Text       string `json:"text,omitempty"`
	InlineData *blob  `json:"inlineData,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

// buildRequest maps req to a generateContent body. Gemini has no negative
// prompt, so one is appended to the text as an instruction.
func buildRequest(req provider.Request) ([]byte, *provider.Error) {
	text := req.Prompt
	if req.NegativePrompt != "" {
		text += "\n\nAvoid: " + req.NegativePrompt
	}
	parts := []part{{Text: text}}
	img, err := inputImage(req)
	if err != nil {
		return nil, provider.NewError(provider.CodeBadRequest, "nano: input image: "+err.Error())
	}
	if img != nil {
		parts = append(parts, part{InlineData: img})
	}
	cfg := make(map[string]any, len(req.Params)+3)
	for k, v := range maps.All(req.Params) {
		if k != ParamImageBase64 && k != ParamImageMIME {
			cfg[k] = v
		}
	}
	cfg["responseModalities"] = []string{"IMAGE"}
	if req.AspectRatio != "" {
		cfg["imageConfig"] = map[string]string{"aspectRatio": req.AspectRatio}
	}
	if req.Seed != nil {
		cfg["seed"] = *req.Seed
	}
	body, jerr := json.Marshal(genRequest{
		Contents: []content{{Role: "user", Parts: parts}}, GenerationConfig: cfg})
	if jerr != nil {
		return nil, provider.NewError(provider.CodeBadRequest, "nano: encoding request: "+
			jerr.Error())
	}
	return body, nil
}

// inputImage returns the reference image from a data: URL in ImageURL or
// from Params; a remote URL is refused rather than fetched, so that users
// cannot make the server request arbitrary addresses.
func inputImage(req provider.Request) (*blob, error) {
	var data []byte
	var mime string
	if s, ok := req.Params[ParamImageBase64].(string); ok && s != "" {
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%s is not valid base64", ParamImageBase64)
		}
		data = d
		mime, _ = req.Params[ParamImageMIME].(string)
	} else if req.ImageURL != "" {
		meta, payload, ok := strings.Cut(strings.TrimPrefix(req.ImageURL, "data:"), ",")
		if !strings.HasPrefix(req.ImageURL, "data:") || !ok ||
			!strings.HasSuffix(meta, ";base64") {
			return nil, errors.New("image_url must be a base64 data: URL")
		}
		d, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return nil, errors.New("the data: URL is not valid base64")
		}
		data, mime = d, strings.TrimSuffix(meta, ";base64")
	} else {
		return nil, nil
	}
	if len(data) == 0 {
		return nil, errors.New("the image is empty")
	}
	if mime == "" {
		mime = http.DetectContentType(data)
	}
	if !strings.HasPrefix(mime, "image/") {
		return nil, fmt.Errorf("media type %q is not an image", mime)
	}
	return &blob{MimeType: mime, Data: base64.StdEncoding.EncodeToString(data)}, nil
}

// genResponse is the part of a GenerateContentResponse the adapter reads.
// The API answers camelCase; snake_case is accepted as well.
type genResponse struct {
	Candidates []struct {
		Content struct {
			Parts []respPart `json:"parts"`
		} `json:"content"`
		FinishReason  string `json:"finishReason"`
		FinishMessage string `json:"finishMessage"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason        string `json:"blockReason"`
		BlockReasonMessage string `json:"blockReasonMessage"`
	} `json:"promptFeedback"`
	ModelVersion string `json:"modelVersion"`
	Usage        *struct {
		Total int64 `json:"totalTokenCount"`
	} `json:"usageMetadata"`
}

type respPart struct {
	Text       string    `json:"text"`
	InlineData *respBlob `json:"inlineData"`
	Snake      *respBlob `json:"inline_data"`
}

type respBlob struct {
	MimeType      string `json:"mimeType"`
	MimeTypeSnake string `json:"mime_type"`
	Data          string `json:"data"`
}

// contentReasons are finish and block reasons that mean the request itself
// was refused (safety, policy, recitation) rather than a vendor failure.
var contentReasons = map[string]bool{"SAFETY": true, "RECITATION": true, "BLOCKLIST": true,
	"PROHIBITED_CONTENT": true, "SPII": true, "IMAGE_SAFETY": true, "LANGUAGE": true,
	"IMAGE_PROHIBITED_CONTENT": true, "IMAGE_RECITATION": true, "IMAGE_OTHER": true,
	"NO_IMAGE": true}

// decodeResponse turns a 200 answer into a succeeded Status with the first
// image, or into a *provider.Error explaining why there is none. A malformed
// document is a plain error.
func decodeResponse(raw []byte) (provider.Status, *provider.Error, error) {
	var r genResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return provider.Status{}, nil, fmt.Errorf("nano: decoding response: %w", err)
	}
	var said []string
	for _, c := range r.Candidates {
		for _, p := range c.Content.Parts {
			b := p.InlineData
			if b == nil {
				b = p.Snake
			}
			if b == nil || b.Data == "" {
				if strings.TrimSpace(p.Text) != "" {
					said = append(said, strings.TrimSpace(p.Text))
				}
				continue
			}
			return imageStatus(b, r.ModelVersion, r.Usage)
		}
	}
	if fb := r.PromptFeedback; fb != nil && fb.BlockReason != "" {
		e := provider.NewError(provider.CodeBadRequest, strings.TrimSpace(
			"content blocked ("+fb.BlockReason+") "+fb.BlockReasonMessage))
		e.ProviderCode = provider.Sanitize(fb.BlockReason)
		return provider.Status{}, e, nil
	}
	for _, c := range r.Candidates {
		if contentReasons[c.FinishReason] {
			e := provider.NewError(provider.CodeBadRequest, strings.TrimSpace(
				"content refused ("+c.FinishReason+") "+c.FinishMessage))
			e.ProviderCode = provider.Sanitize(c.FinishReason)
			return provider.Status{}, e, nil
		}
	}
	msg := "nano: the response has no image"
	if len(said) > 0 {
		msg += "; the model answered: " + strings.Join(said, " ")
	}
	return provider.Status{}, provider.NewError(provider.CodeProviderError, msg), nil
}

func imageStatus(b *respBlob, model string, usage *struct {
	Total int64 `json:"totalTokenCount"`
}) (provider.Status, *provider.Error, error) {
	data, err := base64.StdEncoding.DecodeString(b.Data)
	if err != nil {
		return provider.Status{}, nil, fmt.Errorf("nano: decoding image: %w", err)
	}
	mime := b.MimeType
	if mime == "" {
		mime = b.MimeTypeSnake
	}
	if mime == "" {
		mime = http.DetectContentType(data)
	}
	out := provider.Output{Data: data, Kind: provider.OutputImage, MIME: mime}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		out.Width, out.Height = cfg.Width, cfg.Height
	}
	st := provider.Status{State: provider.StateSucceeded, Progress: 1,
		Outputs: []provider.Output{out}, Metadata: map[string]any{}}
	if model != "" {
		st.Metadata["model_version"] = provider.Sanitize(model)
	}
	if usage != nil {
		st.Metadata["total_tokens"] = usage.Total
	}
	return st, nil, nil
}
