package storage

import "errors"

// Sentinel errors. Callers test for them with errors.Is; every error returned
// by this package wraps one of these or an underlying I/O or network error.
var (
	// ErrNotFound reports that no file is stored under the key. HTTP layers
	// map it to 404.
	ErrNotFound = errors.New("storage: not found")

	// ErrInvalidKey reports a key that ValidateKey rejects. It is returned
	// before any I/O happens, so a hostile key never reaches the disk.
	ErrInvalidKey = errors.New("storage: invalid key")

	// ErrInvalidArgument reports a bad argument other than the key, such as
	// a non-positive URL lifetime or an unusable download file name.
	ErrInvalidArgument = errors.New("storage: invalid argument")

	// ErrInvalidConfig reports a LocalConfig or S3Config that cannot work.
	ErrInvalidConfig = errors.New("storage: invalid config")

	// ErrSizeMismatch reports that Put was given a size that differs from
	// the number of bytes the reader produced. Nothing is stored then.
	ErrSizeMismatch = errors.New("storage: size mismatch")

	// ErrBadSignature reports a signed local URL whose parameters are
	// missing, malformed or do not match their signature.
	ErrBadSignature = errors.New("storage: bad signature")

	// ErrExpired reports a correctly signed local URL past its expiry.
	ErrExpired = errors.New("storage: url expired")
)

// Upload type errors, returned by UploadType. HTTP layers map both to 422.
var (
	// ErrUnsupportedType reports a file name whose extension is not on the
	// upload allow-list.
	ErrUnsupportedType = errors.New("storage: unsupported file type")

	// ErrTypeMismatch reports content that is not what the file's extension
	// claims, such as a PNG image named clip.mp4.
	ErrTypeMismatch = errors.New("storage: content does not match the extension")
)
