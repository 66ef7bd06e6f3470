// Package config loads Reelforge's settings from the environment, an optional
// .env file and command-line flags, using the variable names that operators of
// PHP-style stacks (BT Panel, Laravel) already know: APP_ENV, APP_KEY, DB_*,
// REDIS_*, QUEUE_CONNECTION, STORAGE_DISK, OSS_*.
//
// Every setting is declared once in the registry in options.go, with its
// default, parser and documentation; docs/configuration.md and .env.example
// are checked against that registry by the tests.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environments accepted by APP_ENV.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
	EnvTesting     = "testing"
)

// Config is the parsed settings of one Reelforge process. Fields are grouped
// by concern; each field's default is stated in options.go and in
// docs/configuration.md.
type Config struct {
	// env is every variable seen, for components that read their own
	// settings (the simulator's SIM_* variables).
	env map[string]string
	// AccessTokenTTL is the lifetime of an access token. Defaults to 15m.
	AccessTokenTTL time.Duration
	// Addr is the address the HTTP server listens on. Defaults to
	// 127.0.0.1:8080.
	Addr string
	// AdminEmail and AdminPassword seed the first owner on an empty database.
	AdminEmail    string
	AdminPassword string
	// AppKey is the root secret from which token, URL-signing and encryption
	// keys are derived. Generated into the data directory when empty outside
	// production.
	AppKey []byte
	// AppURL is the public base URL, used in signed links. Defaults to
	// http://<Addr>.
	AppURL string
	// DataDir holds the SQLite database, local storage and the generated
	// APP_KEY. Defaults to ./data.
	DataDir string
	// DB describes the database connection.
	DB DBConfig
	// Env is APP_ENV. Defaults to development.
	Env string
	// LogFormat is json or text. Defaults to json.
	LogFormat string
	// LogLevel is debug, info, warn or error. Defaults to info.
	LogLevel string
	// LoginAttemptsPerMinute caps login attempts per client IP and per
	// account. Defaults to 10.
	LoginAttemptsPerMinute int
	// MaxBodyBytes caps JSON request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
	// PasswordCost is the bcrypt cost of password hashes. Defaults to 12.
	PasswordCost int
	// Providers lists enabled providers and their credentials.
	Providers ProvidersConfig
	// QueueConnection is database or redis. Defaults to database.
	QueueConnection string
	// Redis describes the Redis connection used by the redis queue, rate
	// limits and pub/sub.
	Redis RedisConfig
	// RefreshTokenTTL is the lifetime of a refresh token. Defaults to 720h.
	RefreshTokenTTL time.Duration
	// Storage describes where media files live.
	Storage StorageConfig
	// Engine holds the generation engine's settings.
	Engine EngineConfig
	// FFmpegPath and FFprobePath locate the media tools. Default ffmpeg and
	// ffprobe on PATH.
	FFmpegPath, FFprobePath string
	// OutboundAllow lists hosts and CIDRs that downloads may reach even
	// though they are private or loopback. Default none.
	OutboundAllow []string
	// TrustedProxies are the peers whose X-Forwarded-For names the client,
	// such as an nginx on the same host. Defaults to loopback.
	TrustedProxies []netip.Prefix
}

// EngineConfig holds the generation engine's settings.
type EngineConfig struct {
	DedupeWindow      time.Duration // defaults to 24h
	MaxAttempts       int           // defaults to 3
	WorkerConcurrency int           // defaults to 4
	// QueueLease is how long a claimed entry stays with its worker without
	// renewal; a dead worker's tasks move on after it. Defaults to 30s.
	QueueLease        time.Duration
	OrgConcurrency    int // defaults to 0, no cap
	OrgRatePerMinute  int // defaults to 0, no cap
	UserRatePerMinute int // defaults to 0, no cap
	// ProviderConcurrency and ProviderRatePerMinute override the vendors'
	// documented defaults per provider.
	ProviderConcurrency   map[string]int
	ProviderRatePerMinute map[string]int
	// SimBaseURL, when set, makes this process use a simulator served by
	// another process (an API node) instead of its own.
	SimBaseURL string
}

// DBConfig holds the DB_* settings.
type DBConfig struct {
	Connection   string // sqlite or mysql; defaults to sqlite
	Host         string // defaults to 127.0.0.1
	Port         int    // defaults to 3306
	Database     string // defaults to reelforge
	Username     string // defaults to root
	Password     string
	MaxOpenConns int // defaults to 20
}

// RedisConfig holds the REDIS_* settings.
type RedisConfig struct {
	Host     string // defaults to 127.0.0.1
	Port     int    // defaults to 6379
	Password string
	DB       int // defaults to 0
}

// Addr returns host:port of the Redis server.
func (r RedisConfig) Addr() string { return fmt.Sprintf("%s:%d", r.Host, r.Port) }

// StorageConfig holds STORAGE_DISK and the object-store settings.
type StorageConfig struct {
	Disk            string // local, s3 or oss; defaults to local
	S3Endpoint      string
	S3Region        string
	S3Bucket        string
	S3AccessKeyID   string
	S3SecretKey     string
	S3UseSSL        bool
	S3PathStyle     bool
	CDNBaseURL      string
	OSSAccessKeyID  string
	OSSAccessSecret string
	OSSBucket       string
	OSSEndpoint     string
	// LocalRetention is how long local intermediates are kept. Defaults to
	// 72h.
	LocalRetention time.Duration
	// CleanupInterval is the time between two cleanup sweeps. Defaults to
	// 1h.
	CleanupInterval time.Duration
	// MaxUploadBytes caps one uploaded asset. Defaults to 2 GiB.
	MaxUploadBytes int64
}

// ProvidersConfig holds PROVIDERS_ENABLED and the platform-wide credentials.
type ProvidersConfig struct {
	Enabled        []string // defaults to sim
	RunwayToken    string
	VeoCredentials string
	KlingToken     string
	WanToken       string
	NanoToken      string
	WanRegion      string        // defaults to intl
	Timeout        time.Duration // one provider call; defaults to 30s
}

// Flags carries command-line overrides; empty fields leave the environment's
// value in place.
type Flags struct {
	Addr    string
	DataDir string
}

// Load reads the process environment, then an optional .env file in the
// working directory (variables already set in the environment win), applies
// flags and validates the result. The first invalid value stops loading with
// an error that names the variable.
func Load(flags Flags) (*Config, error) {
	env := environ()
	if err := mergeDotEnv(env, ".env"); err != nil {
		return nil, err
	}
	return FromMap(env, flags)
}

// FromMap builds a Config from a map of variables; it is what Load uses after
// reading the environment, and what tests use to avoid touching the process
// environment.
func FromMap(env map[string]string, flags Flags) (*Config, error) {
	if flags.Addr != "" {
		env["REELFORGE_ADDR"] = flags.Addr
	}
	if flags.DataDir != "" {
		env["REELFORGE_DATA"] = flags.DataDir
	}
	cfg := &Config{env: env}
	for _, opt := range options {
		raw, err := lookup(env, opt)
		if err != nil {
			return nil, err
		}
		if raw == "" {
			raw = opt.Default
		}
		if err := opt.set(cfg, strings.TrimSpace(raw)); err != nil {
			return nil, fmt.Errorf("config: invalid %s: %w", opt.Name, err)
		}
	}
	if cfg.AppURL == "" {
		cfg.AppURL = "http://" + cfg.Addr
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// lookup returns the variable's value, reading NAME_FILE for secrets when
// NAME itself is unset, so that keys can come from Docker or systemd secret
// files instead of the environment.
func lookup(env map[string]string, opt option) (string, error) {
	if v, ok := env[opt.Name]; ok && v != "" {
		return v, nil
	}
	if !opt.Secret {
		return "", nil
	}
	path := env[opt.Name+"_FILE"]
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: invalid %s_FILE: reading the file: %w", opt.Name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Getenv returns a variable from the environment or the .env file, the way
// Load saw it.
func (c *Config) Getenv(name string) string { return c.env[name] }

func (c *Config) validate() error {
	if c.Env == EnvProduction && len(c.AppKey) == 0 {
		return errors.New("config: invalid APP_KEY: required when APP_ENV=production " +
			"(generate one with: reelforge key generate)")
	}
	if c.Storage.Disk == "s3" && (c.Storage.S3Endpoint == "" || c.Storage.S3Bucket == "") {
		return errors.New("config: invalid STORAGE_DISK: s3 needs S3_ENDPOINT and S3_BUCKET")
	}
	if c.Storage.Disk == "oss" && (c.Storage.OSSEndpoint == "" || c.Storage.OSSBucket == "") {
		return errors.New("config: invalid STORAGE_DISK: oss needs OSS_ENDPOINT and OSS_BUCKET")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") && c.AdminPassword != "" {
		return errors.New("config: invalid REELFORGE_ADMIN_EMAIL: " +
			"required when REELFORGE_ADMIN_PASSWORD is set")
	}
	return nil
}

// EnsureAppKey makes sure the config has an APP_KEY. Outside production an
// empty key is read from, or generated into, DataDir/app.key (mode 0600), so
// the embedded default keeps its sessions and signed links across restarts.
func (c *Config) EnsureAppKey() error {
	if len(c.AppKey) > 0 {
		return nil
	}
	if c.Env == EnvProduction {
		return errors.New("config: invalid APP_KEY: required when APP_ENV=production")
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("config: creating data directory: %w", err)
	}
	path := filepath.Join(c.DataDir, "app.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, perr := ParseAppKey(strings.TrimSpace(string(b)))
		if perr != nil {
			return fmt.Errorf("config: invalid key file %s: %w", path, perr)
		}
		c.AppKey = key
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("config: reading key file: %w", err)
	}
	encoded, key, err := GenerateAppKey()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(encoded+"\n"), 0o600); err != nil {
		return fmt.Errorf("config: writing key file: %w", err)
	}
	c.AppKey = key
	return nil
}

// ParseAppKey accepts "base64:<32 bytes in base64>" (the Laravel form that
// operators already generate) or any plain string of at least 32 bytes.
func ParseAppKey(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "base64:"); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 key: %w", err)
		}
		if len(key) < 32 {
			return nil, fmt.Errorf("key is %d bytes, need at least 32", len(key))
		}
		return key, nil
	}
	if len(s) < 32 {
		return nil, fmt.Errorf("key is %d bytes, need at least 32", len(s))
	}
	return []byte(s), nil
}

func environ() map[string]string {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
