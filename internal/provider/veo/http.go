package veo

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/reelforge/reelforge/internal/provider"
	"github.com/reelforge/reelforge/internal/provider/googleapi"
)

// maxResponseBytes caps what an API answer may hold. A finished Vertex
// operation without storageUri carries the video inline as base64, several
// megabytes per clip, so the cap is generous; anything near it is broken.
const maxResponseBytes = 256 << 20

// apiKeyHeader carries the Gemini API key; it never goes in a query string,
// where proxies and logs would keep it.
const apiKeyHeader = "x-goog-api-key"

// vertexAuth reads the service-account JSON, checks its key and project, and
// prepares a caching token source that performs the JWT grant at the JSON's
// token_uri with the adapter's HTTP client.
func (a *Adapter) vertexAuth(creds []byte) error {
	var sa struct {
		ProjectID  string `json:"project_id"`
		PrivateKey string `json:"private_key"`
		Email      string `json:"client_email"`
	}
	if err := json.Unmarshal(creds, &sa); err != nil {
		return errors.New("veo: configuring: the service-account JSON does not parse")
	}
	if !validSegment(sa.ProjectID) || sa.Email == "" {
		return errors.New("veo: configuring: the service-account JSON lacks " +
			"project_id or client_email")
	}
	if err := checkPrivateKey(sa.PrivateKey); err != nil {
		return fmt.Errorf("veo: configuring: service-account private_key: %w", err)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, a.client)
	c, err := google.CredentialsFromJSONWithType(ctx, creds, google.ServiceAccount,
		cloudPlatformScope)
	if err != nil {
		// The library's message may quote the document; keep it out.
		return errors.New("veo: configuring: the JSON is not a service-account key")
	}
	a.project, a.tokens = sa.ProjectID, c.TokenSource
	return nil
}

// checkPrivateKey parses the PEM key now, so a broken key fails at start-up
// instead of on the first render.
func checkPrivateKey(p string) error {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return errors.New("not PEM")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("not an RSA private key")
}

// token returns a Vertex access token or a normalized error. A refusal by
// the token endpoint is auth_failed (429 rate_limited, 5xx provider_error).
func (a *Adapter) token() (string, *provider.Error) {
	t, err := a.tokens.Token()
	if err == nil {
		return t.AccessToken, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(re.Body, &body)
		msg := strings.TrimSpace("token endpoint refused the service account: " +
			body.Error + " " + body.Description)
		e := provider.NewError(provider.CodeAuthFailed, msg)
		switch {
		case status == http.StatusTooManyRequests:
			e.Code = provider.CodeRateLimited
		case status >= 500:
			e.Code = provider.CodeProviderError
		}
		e.ProviderCode, e.HTTPStatus = provider.Sanitize(body.Error), status
		return "", e
	}
	msg := err.Error()
	if strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "deadline exceeded") {
		return "", provider.NewError(provider.CodeTimeout, "veo: token request timed out")
	}
	return "", provider.NewError(provider.CodeProviderError, "veo: token request: "+msg)
}

// baseFor returns the API host for a Vertex location or the Gemini API.
func (a *Adapter) baseFor(loc string) string {
	switch {
	case a.base != "":
		return a.base
	case loc == "global":
		return "https://aiplatform.googleapis.com"
	}
	return "https://" + loc + "-aiplatform.googleapis.com"
}

// authorize sets the route's credential on req.
func (a *Adapter) authorize(req *http.Request) *provider.Error {
	if a.route == routeGemini {
		req.Header.Set(apiKeyHeader, a.apiKey)
		return nil
	}
	tok, perr := a.token()
	if perr != nil {
		return perr
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// call sends one API request and returns the body of a 2xx answer. Every
// error is a *provider.Error.
func (a *Adapter) call(ctx context.Context, method, loc, path string, body []byte) (
	[]byte, error) {
	return provider.JSONCall{Name: "veo", Method: method, URL: a.baseFor(loc) + path,
		Body: body, Prepare: a.authorize, MaxBytes: maxResponseBytes,
		MapError: googleapi.MapHTTP, Logger: a.log}.Do(ctx, a.client)
}

// Fetch downloads one output. Gemini API file URIs get the API key header,
// and only when they point at the configured API host; a redirect to another
// host loses the header. Vertex gs:// objects are read through the Cloud
// Storage JSON API with the service account's token, which therefore needs
// read access to the bucket. Other URLs are fetched without credentials.
func (a *Adapter) Fetch(ctx context.Context, out provider.Output) (io.ReadCloser, error) {
	if len(out.Data) > 0 {
		return io.NopCloser(bytes.NewReader(out.Data)), nil
	}
	target, credential, perr := a.fetchTarget(out.URL)
	if perr != nil {
		return nil, perr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, provider.AsError(fmt.Errorf("veo: building download: %w", err))
	}
	if credential {
		if perr := a.authorize(req); perr != nil {
			return nil, perr
		}
	}
	client := *a.client
	if client.Timeout > 0 && client.Timeout < FetchTimeout {
		client.Timeout = FetchTimeout
	}
	origin := req.URL.Host
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("veo: too many redirects")
		}
		if r.URL.Host != origin {
			r.Header.Del(apiKeyHeader)
			r.Header.Del("Authorization")
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, provider.AsError(err)
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		e := googleapi.MapHTTP(resp.StatusCode, resp.Header, raw)
		if e == nil {
			e = provider.NewError(provider.CodeProviderError,
				fmt.Sprintf("veo: download answered HTTP %d", resp.StatusCode))
		}
		return nil, e
	}
	return resp.Body, nil
}

// fetchTarget resolves an output URL to the address to GET and whether the
// route's credential goes with it.
func (a *Adapter) fetchTarget(raw string) (string, bool, *provider.Error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false, provider.NewError(provider.CodeBadRequest,
			"veo: output has no downloadable URL")
	}
	switch u.Scheme {
	case "gs":
		if a.route != routeVertex {
			return "", false, provider.NewError(provider.CodeBadRequest,
				"veo: gs:// outputs need the Vertex AI route")
		}
		object := strings.TrimPrefix(u.Path, "/")
		if object == "" {
			return "", false, provider.NewError(provider.CodeBadRequest,
				"veo: gs:// output names no object")
		}
		return a.gcsBase + "/storage/v1/b/" + url.PathEscape(u.Host) + "/o/" +
			url.PathEscape(object) + "?alt=media", true, nil
	case "http", "https":
		if a.route == routeGemini {
			b, _ := url.Parse(a.base)
			return raw, b != nil && b.Scheme == u.Scheme && b.Host == u.Host, nil
		}
		return raw, false, nil
	}
	return "", false, provider.NewError(provider.CodeBadRequest,
		"veo: output URL scheme "+provider.Sanitize(u.Scheme)+" is not downloadable")
}

func jsonString(key, value string) ([]byte, error) {
	return json.Marshal(map[string]string{key: value})
}
