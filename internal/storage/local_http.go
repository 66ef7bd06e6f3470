package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// FilesPrefix is the URL path under which Local.Handler serves files. Mount
// the handler at the server's root mux, e.g. mux.Handle(FilesPrefix, h).
const FilesPrefix = "/files/"

// signContext separates this MAC from any other use of the same key and
// versions the message layout.
const signContext = "reelforge/storage/local-url/v1"

// Query parameter names of a signed local URL.
const (
	paramExp = "exp"
	paramSig = "sig"
	paramDL  = "dl"
)

func (l *Local) signedURL(key string, exp int64, download string) string {
	e := strconv.FormatInt(exp, 10)
	sig := base64.RawURLEncoding.EncodeToString(l.mac(key, e, download))
	u := l.baseURL + FilesPrefix + key + "?" + paramExp + "=" + e + "&" + paramSig + "=" + sig
	if download != "" {
		u += "&" + paramDL + "=" + url.QueryEscape(download)
	}
	return u
}

// mac signs key, exp and download. Fields are NUL-separated: keys cannot
// contain NUL, exp is digits only, and download comes last, so the encoding
// is unambiguous.
func (l *Local) mac(key, exp, download string) []byte {
	m := hmac.New(sha256.New, l.key)
	for _, part := range []string{signContext, key, exp, download} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// Verify checks the query of a signed URL for key: exactly one exp (decimal
// Unix seconds) and sig (unpadded base64url HMAC-SHA256), at most one dl, a
// signature matching all three in constant time, and an expiry not yet
// passed. It returns nil, or an error wrapping ErrInvalidKey,
// ErrBadSignature or ErrExpired. The signature is checked before the
// expiry, so a forged URL never learns whether its time was right.
func (l *Local) Verify(key string, q url.Values) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if len(q[paramExp]) != 1 || len(q[paramSig]) != 1 || len(q[paramDL]) > 1 {
		return fmt.Errorf("%w: exp and sig must appear once, dl at most once",
			ErrBadSignature)
	}
	expStr, sigStr, dl := q.Get(paramExp), q.Get(paramSig), q.Get(paramDL)
	exp, ok := parseExp(expStr)
	if !ok {
		return fmt.Errorf("%w: exp is not a unix time", ErrBadSignature)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigStr)
	if err != nil || len(sig) != sha256.Size {
		return fmt.Errorf("%w: sig is not a base64url sha-256 mac", ErrBadSignature)
	}
	if !hmac.Equal(sig, l.mac(key, expStr, dl)) {
		return ErrBadSignature
	}
	if l.now().After(time.Unix(exp, 0)) {
		return ErrExpired
	}
	return nil
}

// parseExp accepts only plain decimal digits, so "+1", "01e3" or " 1" cannot
// produce a second spelling of a signed value.
func parseExp(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Handler serves GET and HEAD requests for FilesPrefix + key, but only with a
// valid signature from URL. It answers 403 (problem+json) for a bad or
// expired signature, 404 for an invalid or missing key, and otherwise serves
// the file through http.ServeContent, so Range requests (video seeking) and
// conditional requests work. Responses carry a Content-Type derived from the
// extension, "X-Content-Type-Options: nosniff", a sandboxing CSP, and a
// private Cache-Control that does not outlive the URL.
func (l *Local) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+FilesPrefix+"{key...}", l.serveFile)
	return mux
}

func (l *Local) serveFile(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	q := r.URL.Query()
	if err := l.Verify(key, q); err != nil {
		switch {
		case errors.Is(err, ErrInvalidKey):
			writeProblem(w, http.StatusNotFound, "no such file")
		case errors.Is(err, ErrExpired):
			writeProblem(w, http.StatusForbidden, "link expired")
		default:
			writeProblem(w, http.StatusForbidden, "invalid link signature")
		}
		return
	}
	f, fi, err := l.openFile(key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			writeProblem(w, http.StatusNotFound, "no such file")
			return
		}
		writeProblem(w, http.StatusInternalServerError, "cannot read file")
		return
	}
	defer func() { _ = f.Close() }()

	exp, _ := parseExp(q.Get(paramExp)) // verified above
	maxAge := max(exp-l.now().Unix(), 0)
	h := w.Header()
	h.Set("Content-Type", contentTypeFor(key))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(maxAge, 10))
	h.Set("ETag", `"`+localObject(key, fi).ETag+`"`)
	if dl := q.Get(paramDL); dl != "" {
		h.Set("Content-Disposition", contentDisposition(dl))
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
