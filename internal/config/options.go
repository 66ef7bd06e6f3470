package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// option is one entry of the settings registry: a variable name, its default,
// whether it is a secret (never printed, readable from NAME_FILE), a line of
// documentation and the setter that parses and validates it.
type option struct {
	Name    string
	Default string
	Secret  bool
	Doc     string
	set     func(c *Config, v string) error
}

// Option describes a setting for documentation and config dumps.
type Option struct {
	Name    string
	Default string
	Secret  bool
	Doc     string
}

// Options lists every setting in registry order, for docs and `config` dumps.
func Options() []Option {
	out := make([]Option, len(options))
	for i, o := range options {
		out[i] = Option{Name: o.Name, Default: o.Default, Secret: o.Secret, Doc: o.Doc}
	}
	return out
}

var options = []option{
	{Name: "APP_ENV", Default: EnvDevelopment,
		Doc: "development, production or testing; production requires APP_KEY",
		set: oneOf(func(c *Config) *string { return &c.Env },
			EnvDevelopment, EnvProduction, EnvTesting)},
	{Name: "APP_KEY", Secret: true,
		Doc: "root secret (base64:… of 32 bytes, or 32+ characters); " +
			"generated into the data directory when empty outside production",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			key, err := ParseAppKey(v)
			c.AppKey = key
			return err
		}},
	{Name: "APP_URL", Doc: "public base URL used in signed links; defaults to http://REELFORGE_ADDR",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL")
			}
			c.AppURL = strings.TrimRight(v, "/")
			return nil
		}},
	{Name: "REELFORGE_ADDR", Default: "127.0.0.1:8080",
		Doc: "HTTP listen address (flag --addr)",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.Addr = v
			return nil
		}},
	{Name: "REELFORGE_DATA", Default: "./data",
		Doc: "data directory: SQLite file, local storage, generated APP_KEY (flag --data)",
		set: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{Name: "REELFORGE_ADMIN_EMAIL",
		Doc: "owner created on first start when there are no users",
		set: func(c *Config, v string) error { c.AdminEmail = strings.ToLower(v); return nil }},
	{Name: "REELFORGE_ADMIN_PASSWORD", Secret: true,
		Doc: "password of that owner; when empty one is generated and printed once",
		set: func(c *Config, v string) error { c.AdminPassword = v; return nil }},
	{Name: "DB_CONNECTION", Default: "sqlite", Doc: "sqlite or mysql",
		set: oneOf(func(c *Config) *string { return &c.DB.Connection }, "sqlite", "mysql")},
	{Name: "DB_HOST", Default: "127.0.0.1", Doc: "MySQL host",
		set: func(c *Config, v string) error { c.DB.Host = v; return nil }},
	{Name: "DB_PORT", Default: "3306", Doc: "MySQL port",
		set: intIn(func(c *Config) *int { return &c.DB.Port }, 1, 65535)},
	{Name: "DB_DATABASE", Default: "reelforge", Doc: "MySQL database name",
		set: func(c *Config, v string) error { c.DB.Database = v; return nil }},
	{Name: "DB_USERNAME", Default: "root", Doc: "MySQL user",
		set: func(c *Config, v string) error { c.DB.Username = v; return nil }},
	{Name: "DB_PASSWORD", Secret: true, Doc: "MySQL password",
		set: func(c *Config, v string) error { c.DB.Password = v; return nil }},
	{Name: "DB_MAX_OPEN_CONNS", Default: "20", Doc: "connection pool size",
		set: intIn(func(c *Config) *int { return &c.DB.MaxOpenConns }, 1, 1000)},
	{Name: "REDIS_HOST", Default: "127.0.0.1", Doc: "Redis host",
		set: func(c *Config, v string) error { c.Redis.Host = v; return nil }},
	{Name: "REDIS_PORT", Default: "6379", Doc: "Redis port",
		set: intIn(func(c *Config) *int { return &c.Redis.Port }, 1, 65535)},
	{Name: "REDIS_PASSWORD", Secret: true, Doc: "Redis password",
		set: func(c *Config, v string) error { c.Redis.Password = v; return nil }},
	{Name: "REDIS_DB", Default: "0", Doc: "Redis logical database",
		set: intIn(func(c *Config) *int { return &c.Redis.DB }, 0, 15)},
	{Name: "QUEUE_CONNECTION", Default: "database", Doc: "database or redis",
		set: oneOf(func(c *Config) *string { return &c.QueueConnection }, "database", "redis")},
	{Name: "STORAGE_DISK", Default: "local", Doc: "local, s3 or oss",
		set: oneOf(func(c *Config) *string { return &c.Storage.Disk }, "local", "s3", "oss")},
	{Name: "S3_ENDPOINT", Doc: "S3-compatible endpoint host[:port]",
		set: func(c *Config, v string) error { c.Storage.S3Endpoint = v; return nil }},
	{Name: "S3_REGION", Default: "us-east-1", Doc: "S3 region",
		set: func(c *Config, v string) error { c.Storage.S3Region = v; return nil }},
	{Name: "S3_BUCKET", Doc: "S3 bucket",
		set: func(c *Config, v string) error { c.Storage.S3Bucket = v; return nil }},
	{Name: "S3_ACCESS_KEY_ID", Doc: "S3 access key id",
		set: func(c *Config, v string) error { c.Storage.S3AccessKeyID = v; return nil }},
	{Name: "S3_SECRET_ACCESS_KEY", Secret: true, Doc: "S3 secret key",
		set: func(c *Config, v string) error { c.Storage.S3SecretKey = v; return nil }},
	{Name: "S3_USE_SSL", Default: "true", Doc: "use https to reach the endpoint",
		set: boolVar(func(c *Config) *bool { return &c.Storage.S3UseSSL })},
	{Name: "S3_PATH_STYLE", Default: "false", Doc: "path-style bucket addressing (MinIO)",
		set: boolVar(func(c *Config) *bool { return &c.Storage.S3PathStyle })},
	{Name: "STORAGE_CDN_BASE_URL", Doc: "public CDN base URL in front of the bucket",
		set: func(c *Config, v string) error { c.Storage.CDNBaseURL = v; return nil }},
	{Name: "OSS_ACCESS_KEY_ID", Doc: "Aliyun OSS AccessKey ID",
		set: func(c *Config, v string) error { c.Storage.OSSAccessKeyID = v; return nil }},
	{Name: "OSS_ACCESS_KEY_SECRET", Secret: true, Doc: "Aliyun OSS AccessKey secret",
		set: func(c *Config, v string) error { c.Storage.OSSAccessSecret = v; return nil }},
	{Name: "OSS_BUCKET", Doc: "Aliyun OSS bucket",
		set: func(c *Config, v string) error { c.Storage.OSSBucket = v; return nil }},
	{Name: "OSS_ENDPOINT", Doc: "Aliyun OSS endpoint, e.g. oss-cn-hangzhou.aliyuncs.com",
		set: func(c *Config, v string) error { c.Storage.OSSEndpoint = v; return nil }},
	{Name: "LOCAL_RETENTION", Default: "72h",
		Doc: "how long local intermediates (provider downloads, temp files) are kept; files " +
			"that are an asset's only copy are never removed",
		set: durationIn(func(c *Config) *time.Duration { return &c.Storage.LocalRetention },
			time.Minute, 365*24*time.Hour)},
	{Name: "STORAGE_CLEANUP_INTERVAL", Default: "1h",
		Doc: "time between two sweeps of the local cleanup job (serve only)",
		set: durationIn(func(c *Config) *time.Duration { return &c.Storage.CleanupInterval },
			time.Minute, 24*time.Hour)},
	{Name: "ASSET_MAX_UPLOAD_BYTES", Default: "2147483648",
		Doc: "largest file accepted by POST /api/v1/assets (2 GiB)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return errors.New("must be an integer of at least 1024")
			}
			c.Storage.MaxUploadBytes = n
			return nil
		}},
	{Name: "PROVIDERS_ENABLED", Default: "sim",
		Doc: "comma-separated providers: sim, runway, veo, kling, wan, nano, replicate",
		set: func(c *Config, v string) error {
			known := []string{"sim", "runway", "veo", "kling", "wan", "nano", "replicate"}
			c.Providers.Enabled = nil
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				if !slices.Contains(known, p) {
					return fmt.Errorf("unknown provider %q", p)
				}
				c.Providers.Enabled = append(c.Providers.Enabled, p)
			}
			return nil
		}},
	{Name: "PROVIDER_RUNWAY_TOKEN", Secret: true, Doc: "Runway API key (platform default)",
		set: func(c *Config, v string) error { c.Providers.RunwayToken = v; return nil }},
	{Name: "PROVIDER_VEO_CREDENTIALS", Secret: true,
		Doc: "Veo: service-account JSON or Gemini API key (platform default)",
		set: func(c *Config, v string) error { c.Providers.VeoCredentials = v; return nil }},
	{Name: "PROVIDER_KLING_TOKEN", Secret: true,
		Doc: "Kling access key and secret key as ACCESS:SECRET (platform default)",
		set: func(c *Config, v string) error { c.Providers.KlingToken = v; return nil }},
	{Name: "PROVIDER_WAN_TOKEN", Secret: true, Doc: "DashScope API key (platform default)",
		set: func(c *Config, v string) error { c.Providers.WanToken = v; return nil }},
	{Name: "PROVIDER_NANO_TOKEN", Secret: true, Doc: "Gemini API key for Nano Banana",
		set: func(c *Config, v string) error { c.Providers.NanoToken = v; return nil }},
	{Name: "PROVIDER_REPLICATE_BASE_URL",
		Doc: "base URL of Replicate, for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_RUNWAY_BASE_URL",
		Doc: "base URL of Runway, for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_KLING_BASE_URL",
		Doc: "base URL of Kling, for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_VEO_BASE_URL",
		Doc: "base URL of Veo (Gemini API or Vertex AI), for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_WAN_BASE_URL",
		Doc: "base URL of DashScope (Wan), for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_NANO_BASE_URL",
		Doc: "base URL of Gemini API for Nano Banana, for relays and proxies; defaults to the vendor's",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_REPLICATE_TOKEN", Secret: true, Doc: "Replicate API token (platform default)",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_REPLICATE_WEBHOOK_SECRET", Secret: true,
		Doc: "Replicate webhook signing secret (whsec_...); without it pushes are refused",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_REPLICATE_MODELS",
		Doc: "extra Replicate models (owner/name[:version], comma-separated) to allow",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_REPLICATE_BRIDGES",
		Doc: "Replicate models that stand in for veo, kling or wan without a direct key, e.g. " +
			"veo=google/veo-3|google/veo-3.1; defaults to the official models",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_KLING_ACCESS_KEY", Doc: "Kling access key (with PROVIDER_KLING_SECRET_KEY)",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_KLING_SECRET_KEY", Secret: true, Doc: "Kling secret key",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_VEO_REGION", Default: "us-central1", Doc: "Vertex AI region of Veo",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_VEO_STORAGE_URI",
		Doc: "gs:// prefix where Vertex writes Veo clips; empty returns them inline",
		set: func(*Config, string) error { return nil }},
	{Name: "PROVIDER_WAN_REGION", Default: "intl", Doc: "DashScope endpoint: intl or cn",
		set: oneOf(func(c *Config) *string { return &c.Providers.WanRegion }, "intl", "cn")},
	{Name: "PROVIDER_TIMEOUT", Default: "30s", Doc: "timeout of one call to a provider's API",
		set: durationIn(func(c *Config) *time.Duration { return &c.Providers.Timeout },
			time.Second, 10*time.Minute)},
	{Name: "ACCESS_TOKEN_TTL", Default: "15m", Doc: "access token lifetime",
		set: durationIn(func(c *Config) *time.Duration { return &c.AccessTokenTTL },
			time.Minute, 24*time.Hour)},
	{Name: "REFRESH_TOKEN_TTL", Default: "720h", Doc: "refresh token lifetime",
		set: durationIn(func(c *Config) *time.Duration { return &c.RefreshTokenTTL },
			time.Hour, 365*24*time.Hour)},
	{Name: "PASSWORD_HASH_COST", Default: "12", Doc: "bcrypt cost of password hashes (4–15)",
		set: intIn(func(c *Config) *int { return &c.PasswordCost }, 4, 15)},
	{Name: "LOGIN_ATTEMPTS_PER_MINUTE", Default: "10",
		Doc: "login attempts allowed per minute per client IP and per account",
		set: intIn(func(c *Config) *int { return &c.LoginAttemptsPerMinute }, 1, 100000)},
	{Name: "HTTP_MAX_BODY_BYTES", Default: "1048576", Doc: "largest accepted JSON body",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return errors.New("must be an integer of at least 1024")
			}
			c.MaxBodyBytes = n
			return nil
		}},
	{Name: "TRUSTED_PROXIES", Default: "127.0.0.1/32,::1/128",
		Doc: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed",
		set: func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				p, err := netip.ParsePrefix(s)
				if err != nil {
					return fmt.Errorf("%q is not a CIDR", s)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
	{Name: "REELFORGE_OUTBOUND_ALLOW",
		Doc: "comma-separated hosts (or *.suffix) and CIDRs that downloads may reach although " +
			"private or loopback; for relays and tests",
		set: func(c *Config, v string) error {
			c.OutboundAllow = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					c.OutboundAllow = append(c.OutboundAllow, s)
				}
			}
			return nil
		}},
	{Name: "FFMPEG_PATH", Default: "ffmpeg", Doc: "the ffmpeg binary, a path or a name on PATH",
		set: func(c *Config, v string) error { c.FFmpegPath = v; return nil }},
	{Name: "FFPROBE_PATH", Default: "ffprobe", Doc: "the ffprobe binary",
		set: func(c *Config, v string) error { c.FFprobePath = v; return nil }},
	{Name: "WORKER_CONCURRENCY", Default: "4",
		Doc: "tasks one process runs at once (flag --concurrency of worker)",
		set: intIn(func(c *Config) *int { return &c.Engine.WorkerConcurrency }, 1, 1000)},
	{Name: "QUEUE_LEASE", Default: "30s",
		Doc: "how long a worker holds a claimed task without renewing; a dead worker's tasks " +
			"are picked up after it",
		set: durationIn(func(c *Config) *time.Duration { return &c.Engine.QueueLease },
			time.Second, time.Hour)},
	{Name: "TASK_MAX_ATTEMPTS", Default: "3",
		Doc: "attempts of a task on rate_limited, timeout and provider_error before it fails",
		set: intIn(func(c *Config) *int { return &c.Engine.MaxAttempts }, 1, 20)},
	{Name: "DEDUPE_WINDOW", Default: "24h",
		Doc: "an identical variant within this window reuses the earlier output; 0s disables",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration of zero or more", v)
			}
			c.Engine.DedupeWindow = d
			if d == 0 {
				c.Engine.DedupeWindow = -1
			}
			return nil
		}},
	{Name: "PROVIDER_CONCURRENCY",
		Doc: "per-provider caps on tasks running at once across all workers, e.g. runway=8,sim=4; " +
			"defaults to each vendor's documented tier",
		set: providerInts(func(c *Config) *map[string]int { return &c.Engine.ProviderConcurrency })},
	{Name: "PROVIDER_RATE_PER_MINUTE",
		Doc: "per-provider caps on task starts per minute, e.g. runway=60",
		set: providerInts(func(c *Config) *map[string]int { return &c.Engine.ProviderRatePerMinute })},
	{Name: "ORG_CONCURRENCY", Default: "0",
		Doc: "tasks one organization runs at once; 0 means no cap",
		set: intIn(func(c *Config) *int { return &c.Engine.OrgConcurrency }, 0, 100000)},
	{Name: "ORG_RATE_PER_MINUTE", Default: "0", Doc: "task starts per organization per minute",
		set: intIn(func(c *Config) *int { return &c.Engine.OrgRatePerMinute }, 0, 1000000)},
	{Name: "USER_RATE_PER_MINUTE", Default: "0", Doc: "task starts per user per minute",
		set: intIn(func(c *Config) *int { return &c.Engine.UserRatePerMinute }, 0, 1000000)},
	{Name: "PROVIDER_SIM_BASE_URL",
		Doc: "URL of a simulator served by an API node (http://host:8080/sim), for worker " +
			"processes; empty runs the simulator in this process",
		set: func(c *Config, v string) error { c.Engine.SimBaseURL = strings.TrimRight(v, "/"); return nil }},
	{Name: "SIM_QUEUE_DELAY", Default: "1s", Doc: "simulator: time a job stays queued",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_RENDER_DELAY", Default: "2s", Doc: "simulator: least time a job renders",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_FAIL_RATE", Default: "0", Doc: "simulator: share of jobs that fail (0 to 1)",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_RATE_LIMIT_RATE", Default: "0",
		Doc: "simulator: share of creates refused as rate limited",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_TIMEOUT_RATE", Default: "0", Doc: "simulator: share of jobs that time out",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_MAX_PARALLEL", Default: "2", Doc: "simulator: FFmpeg renders at once",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_OUTPUT_DIR", Doc: "simulator: where renders go; defaults to a temporary folder",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_SEED", Default: "1", Doc: "simulator: seed of its random failures",
		set: func(*Config, string) error { return nil }},
	{Name: "SIM_TOKEN", Secret: true,
		Doc: "simulator: bearer token its HTTP API requires; workers send it",
		set: func(*Config, string) error { return nil }},
	{Name: "LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error",
		set: oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{Name: "LOG_FORMAT", Default: "json", Doc: "json or text",
		set: oneOf(func(c *Config) *string { return &c.LogFormat }, "json", "text")},
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		*field(c) = v
		return nil
	}
}

func intIn(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not an integer from %d to %d", v, lo, hi)
		}
		*field(c) = n
		return nil
	}
}

// providerInts parses name=value pairs keyed by provider.
func providerInts(field func(*Config) *map[string]int) func(*Config, string) error {
	return func(c *Config, v string) error {
		m := map[string]int{}
		for _, pair := range strings.Split(v, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			name, num, ok := strings.Cut(pair, "=")
			n, err := strconv.Atoi(strings.TrimSpace(num))
			if !ok || err != nil || n < 0 || strings.TrimSpace(name) == "" {
				return fmt.Errorf("%q is not provider=number", pair)
			}
			m[strings.TrimSpace(name)] = n
		}
		*field(c) = m
		return nil
	}
}

func boolVar(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

func durationIn(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("%q is not a duration from %s to %s", v, lo, hi)
		}
		*field(c) = d
		return nil
	}
}

// mergeDotEnv adds the variables of an optional .env file to env without
// overriding the ones already set.
func mergeDotEnv(env map[string]string, path string) error {
	vars, err := godotenv.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: reading %s: %w", path, err)
	}
	for k, v := range vars {
		if _, set := env[k]; !set {
			env[k] = v
		}
	}
	return nil
}

// GenerateAppKey returns a fresh 32-byte key and its "base64:" encoding.
func GenerateAppKey() (encoded string, key []byte, err error) {
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", nil, fmt.Errorf("config: generating key: %w", err)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(key), key, nil
}
