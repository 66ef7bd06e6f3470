package storage

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Part sizes for multipart uploads. S3 requires at least 5 MiB for every part
// but the last and allows at most 10,000 parts, so the 16 MiB default caps an
// upload of unknown size at about 156 GiB while holding one 16 MiB buffer.
const (
	DefaultPartSize int64 = 16 << 20
	MinPartSize     int64 = 5 << 20
	MaxPartSize     int64 = 5 << 30
)

// S3Config configures an S3 disk. Any S3-compatible service that speaks
// SigV4 works; see OSSPreset for Aliyun OSS.
//
// Qiniu Kodo: use its S3-compatible endpoint for the bucket's region, of the
// form "s3.<region-id>.qiniucs.com" (for example s3.cn-east-1.qiniucs.com
// with Region "cn-east-1"; check the Kodo console for the exact id), UseSSL
// true, and PathStyle false. Kodo keys are created in its console as for its
// native API. Keep UseSSL on for Kodo and OSS: over plain HTTP the client
// signs uploads with aws-chunked streaming signatures, which not every
// S3-compatible service accepts.
type S3Config struct {
	// Endpoint is "host[:port]", e.g. "s3.eu-west-1.amazonaws.com" or
	// "127.0.0.1:9000". A "http://" or "https://" prefix is accepted and
	// then decides TLS instead of UseSSL. Required.
	Endpoint string
	// Region is the SigV4 signing region. Empty asks the server for the
	// bucket's location, costing one extra request per bucket.
	Region string
	// Bucket is the bucket that holds all keys. Required.
	Bucket string
	// AccessKeyID and SecretAccessKey are static credentials; both empty
	// means anonymous access. The secret never appears in errors or in the
	// config's String form.
	AccessKeyID     string
	SecretAccessKey string
	// UseSSL selects HTTPS. Default false, so set it for any remote service.
	UseSSL bool
	// PathStyle addresses the bucket as host/bucket/key, as MinIO and most
	// self-hosted gateways need. False (the default) uses virtual-hosted
	// style, bucket.host/key, which AWS, Aliyun OSS and Qiniu Kodo expect.
	PathStyle bool
	// CDNBaseURL, when set, makes URL return CDNBaseURL + "/" + key instead
	// of a presigned URL. Such URLs are not signed or time-limited by
	// Reelforge and ignore the download name; protect them at the CDN.
	CDNBaseURL string
	// PartSize is the multipart chunk size in bytes; 0 means
	// DefaultPartSize. It must lie in [MinPartSize, MaxPartSize]. Put holds
	// one part in memory while uploading a stream of unknown size.
	PartSize int64
	// CreateBucket makes NewS3 create the bucket when it is missing, which
	// suits development servers. When false (the default) NewS3 performs no
	// network I/O.
	CreateBucket bool
}

// String describes the config with the secret key redacted, so configs can
// be logged.
func (c S3Config) String() string {
	secret := ""
	if c.SecretAccessKey != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("S3Config{Endpoint:%q Region:%q Bucket:%q AccessKeyID:%q "+
		"SecretAccessKey:%s UseSSL:%t PathStyle:%t CDNBaseURL:%q PartSize:%d "+
		"CreateBucket:%t}", c.Endpoint, c.Region, c.Bucket, c.AccessKeyID, secret,
		c.UseSSL, c.PathStyle, c.CDNBaseURL, c.PartSize, c.CreateBucket)
}

// GoString keeps %#v from printing the secret too.
func (c S3Config) GoString() string { return c.String() }

// OSSPreset returns an S3Config for Aliyun OSS in region, such as
// "cn-hangzhou" (an "oss-" prefix is tolerated): endpoint
// "oss-<region>.aliyuncs.com", signing region "<region>", HTTPS, and
// virtual-hosted addressing, which OSS requires. Fill in Bucket, the
// AccessKey pair of a RAM user, and optionally CDNBaseURL. For traffic from
// an ECS instance in the same region, change Endpoint to
// "oss-<region>-internal.aliyuncs.com"; Aliyun also documents a dedicated
// "s3.oss-<region>.aliyuncs.com" endpoint for S3 clients, which works too.
func OSSPreset(region string) S3Config {
	region = strings.TrimPrefix(region, "oss-")
	return S3Config{
		Endpoint:  "oss-" + region + ".aliyuncs.com",
		Region:    region,
		UseSSL:    true,
		PathStyle: false,
		PartSize:  DefaultPartSize,
	}
}

// S3 is a Disk backed by one bucket of an S3-compatible service. It is safe
// for concurrent use.
type S3 struct {
	client   *minio.Client
	bucket   string
	cdn      string
	partSize int64
}

var _ Disk = (*S3)(nil)

// NewS3 validates cfg and builds the client. Only with CreateBucket does it
// contact the server, to create the bucket if it does not exist yet.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	host, secure, err := parseEndpoint(cfg.Endpoint, cfg.UseSSL)
	if err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("%w: s3 bucket is empty", ErrInvalidConfig)
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, fmt.Errorf("%w: s3 access key id and secret must be set together",
			ErrInvalidConfig)
	}
	part := cfg.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	if part < MinPartSize || part > MaxPartSize {
		return nil, fmt.Errorf("%w: s3 part size %d outside [%d, %d]",
			ErrInvalidConfig, part, MinPartSize, MaxPartSize)
	}
	cdn := strings.TrimRight(cfg.CDNBaseURL, "/")
	if cdn != "" {
		u, perr := url.Parse(cdn)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: s3 cdn base url must be http(s)://host[/path]",
				ErrInvalidConfig)
		}
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	opts := &minio.Options{
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
	}
	if cfg.AccessKeyID != "" {
		opts.Creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	}
	client, err := minio.New(host, opts)
	if err != nil {
		return nil, fmt.Errorf("storage: creating s3 client for %q: %w", host, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, cdn: cdn, partSize: part}
	if cfg.CreateBucket {
		if err := s.ensureBucket(ctx, cfg.Region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parseEndpoint splits an optional scheme off the endpoint.
func parseEndpoint(ep string, useSSL bool) (string, bool, error) {
	if ep == "" {
		return "", false, fmt.Errorf("%w: s3 endpoint is empty", ErrInvalidConfig)
	}
	if !strings.Contains(ep, "://") {
		if strings.ContainsAny(ep, "/?#@") {
			return "", false, fmt.Errorf("%w: s3 endpoint must be host[:port]",
				ErrInvalidConfig)
		}
		return ep, useSSL, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || u.User != nil || strings.Trim(u.Path, "/") != "" ||
		u.RawQuery != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("%w: s3 endpoint must be [http(s)://]host[:port]",
			ErrInvalidConfig)
	}
	return u.Host, u.Scheme == "https", nil
}

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("storage: checking bucket %q: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if err != nil {
		code := minio.ToErrorResponse(err).Code
		if code == minio.BucketAlreadyOwnedByYou {
			return nil
		}
		return fmt.Errorf("storage: creating bucket %q: %w", s.bucket, err)
	}
	return nil
}

// Name returns "s3".
func (s *S3) Name() string { return "s3" }

// Put uploads r. Known sizes up to the part size go up in one PUT; larger or
// unknown sizes use a multipart upload with one part buffered at a time,
// which is aborted on failure so no partial object becomes visible.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64,
	contentType string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if size < -1 {
		return Object{}, fmt.Errorf("%w: size %d", ErrInvalidArgument, size)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, newGuardedReader(ctx, r, size), size,
		minio.PutObjectOptions{ContentType: contentType, PartSize: uint64(s.partSize)})
	if err != nil {
		return Object{}, s.wrap("uploading", key, err)
	}
	return s.Stat(ctx, key)
}

// Open starts a GET of the object. Reading stops with an error when ctx
// ends, so keep ctx alive until the reader is closed.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Object{}, s.wrap("opening", key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, Object{}, s.wrap("opening", key, err)
	}
	return obj, s3Object(key, info), nil
}

// Stat issues a HEAD request for the object.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Object{}, s.wrap("stating", key, err)
	}
	return s3Object(key, info), nil
}

// Delete removes the object; S3 itself treats a missing key as success.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.wrap("deleting", key, err)
	}
	return nil
}

// URL returns a SigV4 presigned GET URL valid for ttl (rounded down to whole
// seconds, at least one), with response-content-disposition set when
// download is given. With CDNBaseURL configured it returns the plain CDN URL
// instead; see S3Config.CDNBaseURL.
func (s *S3) URL(ctx context.Context, key string, ttl time.Duration,
	download string) (string, error) {
	if err := checkURLArgs(key, ttl, download); err != nil {
		return "", err
	}
	if s.cdn != "" {
		return s.cdn + "/" + key, nil
	}
	ttl = max(ttl.Truncate(time.Second), time.Second)
	params := url.Values{}
	if download != "" {
		params.Set("response-content-disposition", contentDisposition(download))
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, params)
	if err != nil {
		return "", s.wrap("signing", key, err)
	}
	return u.String(), nil
}

// wrap adds context and maps S3's NoSuchKey to ErrNotFound. minio-go errors
// carry the server's message and request ids, never the credentials.
func (s *S3) wrap(doing, key string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		err = ErrNotFound
	}
	return fmt.Errorf("storage: %s %q: %w", doing, key, err)
}

func s3Object(key string, info minio.ObjectInfo) Object {
	return Object{
		Key:         key,
		Size:        info.Size,
		ContentType: info.ContentType,
		ETag:        strings.Trim(info.ETag, `"`),
		ModTime:     info.LastModified,
	}
}
