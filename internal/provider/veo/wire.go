package veo

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/googleapi"
)

// pollAfter is the advice given with every unfinished operation: Veo reports
// no progress and renders take one to six minutes, so a check every ten
// seconds finds a clip promptly without wasting quota.
const pollAfter = 10 * time.Second

// maxSeed is the largest seed Veo accepts (uint32).
const maxSeed = 1<<32 - 1

// createBody is the predictLongRunning request of both routes.
type createBody struct {
	Instances  []instance     `json:"instances"`
	Parameters map[string]any `json:"parameters"`
}

type instance struct {
	Prompt string     `json:"prompt"`
	Image  *wireImage `json:"image,omitempty"`
}

type wireImage struct {
	BytesBase64Encoded string `json:"bytesBase64Encoded,omitempty"`
	GCSURI             string `json:"gcsUri,omitempty"`
	MimeType           string `json:"mimeType,omitempty"`
}

// buildCreate maps req to the wire. Params are copied into "parameters"
// first, so a vendor option such as personGeneration passes through, and the
// fields Reelforge owns are written over them.
func buildCreate(req provider.Request, r route, storageURI string) ([]byte, *provider.Error) {
	in := instance{Prompt: req.Prompt}
	if req.ImageURL != "" {
		img, err := startFrame(req.ImageURL, r)
		if err != nil {
			return nil, err
		}
		in.Image = img
	}
	params := make(map[string]any, len(req.Params)+8)
	maps.Copy(params, req.Params)
	params["sampleCount"] = 1
	if req.AspectRatio != "" {
		params["aspectRatio"] = req.AspectRatio
	}
	if req.DurationSeconds > 0 {
		params["durationSeconds"] = req.DurationSeconds
	}
	if req.Resolution != "" {
		params["resolution"] = req.Resolution
	}
	if req.NegativePrompt != "" {
		params["negativePrompt"] = req.NegativePrompt
	}
	if req.Seed != nil && (*req.Seed < 0 || *req.Seed > maxSeed) {
		return nil, provider.NewError(provider.CodeBadRequest,
			fmt.Sprintf("veo: seed %d is outside 0..%d", *req.Seed, int64(maxSeed)))
	}
	if r == routeVertex {
		// The Gemini API refuses these fields; it always makes sound.
		params["generateAudio"] = req.Audio
		if req.Seed != nil {
			params["seed"] = *req.Seed
		}
		if storageURI != "" {
			if _, set := params["storageUri"]; !set {
				params["storageUri"] = storageURI
			}
		}
	}
	body, err := json.Marshal(createBody{Instances: []instance{in}, Parameters: params})
	if err != nil {
		return nil, provider.NewError(provider.CodeBadRequest,
			"veo: encoding request: "+err.Error())
	}
	return body, nil
}

// startFrame turns Request.ImageURL into Veo's image field. A data: URL is
// sent inline on both routes and a gs:// URL by reference on Vertex. The
// adapter never fetches http(s) URLs itself: that would let any user make
// the server request arbitrary addresses.
func startFrame(u string, r route) (*wireImage, *provider.Error) {
	switch {
	case strings.HasPrefix(u, "data:"):
		mime, data, err := parseDataURL(u)
		if err != nil {
			return nil, provider.NewError(provider.CodeBadRequest, "veo: image_url: "+err.Error())
		}
		return &wireImage{BytesBase64Encoded: base64.StdEncoding.EncodeToString(data),
			MimeType: mime}, nil
	case strings.HasPrefix(u, "gs://") && r == routeVertex:
		return &wireImage{GCSURI: u, MimeType: mimeFromName(u)}, nil
	}
	return nil, provider.NewError(provider.CodeBadRequest,
		"veo: image_url must be a data: URL (or gs:// on Vertex AI); upload the start frame "+
			"inline rather than by link")
}

// parseDataURL decodes a base64 data: URL into its media type and bytes.
func parseDataURL(u string) (string, []byte, error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", nil, errors.New("malformed data: URL")
	}
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return "", nil, errors.New("data: URL must be base64-encoded")
	}
	if !strings.HasPrefix(mime, "image/") {
		return "", nil, fmt.Errorf("data: URL has media type %q; want an image", mime)
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(payload); err != nil {
			return "", nil, errors.New("data: URL is not valid base64")
		}
	}
	if len(data) == 0 {
		return "", nil, errors.New("data: URL is empty")
	}
	return mime, data, nil
}

func mimeFromName(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".jpg"), strings.HasSuffix(lower, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(lower, ".webp"):
		return "image/webp"
	}
	return "image/png"
}

// operation is a google.longrunning.Operation as both routes send it. Done
// is often absent while the job runs, which decodes as false.
type operation struct {
	Name     string      `json:"name"`
	Done     bool        `json:"done"`
	Error    *opStatus   `json:"error"`
	Response *opResponse `json:"response"`
}

type opStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// opResponse holds both envelopes: Vertex's videos[] at the top and the
// Gemini API's generateVideoResponse.generatedSamples[].
type opResponse struct {
	RAIFilteredCount   int           `json:"raiMediaFilteredCount"`
	RAIFilteredReasons []string      `json:"raiMediaFilteredReasons"`
	Videos             []vertexVideo `json:"videos"`
	Gemini             *geminiVideos `json:"generateVideoResponse"`
}

type vertexVideo struct {
	GCSURI             string `json:"gcsUri"`
	BytesBase64Encoded string `json:"bytesBase64Encoded"`
	MimeType           string `json:"mimeType"`
}

type geminiVideos struct {
	Samples []struct {
		Video struct {
			URI          string `json:"uri"`
			EncodedVideo string `json:"encodedVideo"`
			Encoding     string `json:"encoding"`
			MimeType     string `json:"mimeType"`
		} `json:"video"`
	} `json:"generatedSamples"`
	RAIFilteredCount   int      `json:"raiMediaFilteredCount"`
	RAIFilteredReasons []string `json:"raiMediaFilteredReasons"`
}

// decodeOperation reads an operation of either route into a Status. A
// malformed document is an error; a well-formed failure is a Status.
func decodeOperation(raw []byte) (string, provider.Status, error) {
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		return "", provider.Status{}, fmt.Errorf("veo: decoding operation: %w", err)
	}
	if !op.Done {
		return op.Name, provider.Status{State: provider.StateProcessing,
			PollAfter: pollAfter}, nil
	}
	if op.Error != nil {
		return op.Name, provider.Status{State: provider.StateFailed,
			Err: googleapi.OpError(op.Error.Code, op.Error.Message)}, nil
	}
	if op.Response == nil {
		return op.Name, failed(provider.CodeProviderError,
			"veo: the operation finished without a response"), nil
	}
	outs, count, reasons, err := outputs(op.Response)
	if err != nil {
		return op.Name, provider.Status{}, err
	}
	if len(outs) == 0 {
		if count > 0 || len(reasons) > 0 {
			msg := "content filtered by Google's responsible-AI policy"
			if len(reasons) > 0 {
				msg += ": " + strings.Join(reasons, "; ")
			}
			st := failed(provider.CodeBadRequest, msg)
			st.Err.ProviderCode = "RAI_MEDIA_FILTERED"
			return op.Name, st, nil
		}
		return op.Name, failed(provider.CodeProviderError,
			"veo: the operation finished without videos"), nil
	}
	st := provider.Status{State: provider.StateSucceeded, Progress: 1, Outputs: outs,
		Metadata: map[string]any{"operation": op.Name}}
	if count > 0 {
		st.Metadata["rai_media_filtered_count"] = count
	}
	return op.Name, st, nil
}

// outputs collects the videos of either envelope with the filter summary.
func outputs(r *opResponse) ([]provider.Output, int, []string, error) {
	count, reasons := r.RAIFilteredCount, r.RAIFilteredReasons
	var outs []provider.Output
	add := func(uri, b64, mime string) error {
		o := provider.Output{Kind: provider.OutputVideo, MIME: mime, URL: uri}
		if o.MIME == "" {
			o.MIME = "video/mp4"
		}
		if b64 != "" {
			data, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return fmt.Errorf("veo: decoding inline video: %w", err)
			}
			o.URL, o.Data = "", data
		}
		if o.URL == "" && len(o.Data) == 0 {
			return nil
		}
		outs = append(outs, o)
		return nil
	}
	for _, v := range r.Videos {
		if err := add(v.GCSURI, v.BytesBase64Encoded, v.MimeType); err != nil {
			return nil, 0, nil, err
		}
	}
	if g := r.Gemini; g != nil {
		count = max(count, g.RAIFilteredCount)
		reasons = append(reasons, g.RAIFilteredReasons...)
		for _, s := range g.Samples {
			mime := s.Video.MimeType
			if mime == "" {
				mime = s.Video.Encoding
			}
			if err := add(s.Video.URI, s.Video.EncodedVideo, mime); err != nil {
				return nil, 0, nil, err
			}
		}
	}
	return outs, count, reasons, nil
}

func failed(code provider.Code, msg string) provider.Status {
	return provider.Status{State: provider.StateFailed, Err: provider.NewError(code, msg)}
}
