package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md and .env.example")

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := FromMap(map[string]string{}, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.DataDir != "./data" || cfg.DB.Connection != "sqlite" ||
		cfg.QueueConnection != "database" || cfg.Storage.Disk != "local" ||
		cfg.AccessTokenTTL != 15*time.Minute || cfg.RefreshTokenTTL != 720*time.Hour ||
		len(cfg.Providers.Enabled) != 1 || cfg.Providers.Enabled[0] != "sim" ||
		cfg.AppURL != "http://127.0.0.1:8080" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := FromMap(map[string]string{"REELFORGE_ADDR": "0.0.0.0:1", "REELFORGE_DATA": "/a"},
		Flags{Addr: "127.0.0.1:9999", DataDir: "/b"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.DataDir != "/b" {
		t.Fatalf("flags did not win: %s %s", cfg.Addr, cfg.DataDir)
	}
}

// An invalid value stops the start with one line that names the variable.
func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]string{
		"DB_CONNECTION":     {"DB_CONNECTION": "postgres"},
		"DB_PORT":           {"DB_PORT": "99999"},
		"QUEUE_CONNECTION":  {"QUEUE_CONNECTION": "kafka"},
		"STORAGE_DISK":      {"STORAGE_DISK": "ftp"},
		"PROVIDERS_ENABLED": {"PROVIDERS_ENABLED": "sim,sora"},
		"APP_KEY":           {"APP_KEY": "short"},
		"APP_ENV":           {"APP_ENV": "staging"},
		"ACCESS_TOKEN_TTL":  {"ACCESS_TOKEN_TTL": "forever"},
		"REELFORGE_ADDR":    {"REELFORGE_ADDR": "8080"},
		"S3_USE_SSL":        {"S3_USE_SSL": "maybe"},
		"TRUSTED_PROXIES":   {"TRUSTED_PROXIES": "10.0.0.0/99"},
		"APP_URL":           {"APP_URL": "ftp://x"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := FromMap(env, Flags{})
			if err == nil {
				t.Fatal("accepted an invalid value")
			}
			msg := err.Error()
			if !strings.Contains(msg, name) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q should be one line naming %s", msg, name)
			}
		})
	}
}

func TestProductionNeedsAppKey(t *testing.T) {
	t.Parallel()
	_, err := FromMap(map[string]string{"APP_ENV": "production"}, Flags{})
	if err == nil || !strings.Contains(err.Error(), "APP_KEY") {
		t.Fatalf("got %v, want an error naming APP_KEY", err)
	}
	key := "base64:" + strings.Repeat("A", 43) + "="
	cfg, err := FromMap(map[string]string{"APP_ENV": "production", "APP_KEY": key}, Flags{})
	if err != nil || len(cfg.AppKey) != 32 {
		t.Fatalf("base64 key: %v, %d bytes", err, len(cfg.AppKey))
	}
}

func TestSecretFromFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := FromMap(map[string]string{"DB_PASSWORD_FILE": path}, Flags{})
	if err != nil || cfg.DB.Password != "s3cret" {
		t.Fatalf("got %q, %v", cfg.DB.Password, err)
	}
	_, err = FromMap(map[string]string{"DB_PASSWORD_FILE": path + ".missing"}, Flags{})
	if err == nil || !strings.Contains(err.Error(), "DB_PASSWORD_FILE") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestEnsureAppKeyPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := FromMap(map[string]string{"REELFORGE_DATA": dir}, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.EnsureAppKey(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "app.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, info.Mode())
	}
	again, _ := FromMap(map[string]string{"REELFORGE_DATA": dir}, Flags{})
	if err := again.EnsureAppKey(); err != nil {
		t.Fatal(err)
	}
	if string(again.AppKey) != string(cfg.AppKey) || len(cfg.AppKey) != 32 {
		t.Fatal("the generated key changed between starts")
	}
}

func TestDotEnvDoesNotOverrideEnvironment(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("DB_HOST=from-file\nDB_PORT=3307\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DB_HOST": "from-env"}
	if err := mergeDotEnv(env, path); err != nil {
		t.Fatal(err)
	}
	if env["DB_HOST"] != "from-env" || env["DB_PORT"] != "3307" {
		t.Fatalf("merged: %v", env)
	}
}

// The documentation is generated from the registry; this fails when a
// setting was added without regenerating it (go test ./internal/config -update).
func TestDocsAreUpToDate(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	docPath := filepath.Join(root, "docs", "configuration.md")
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the settings markers", docPath)
	}
	want := string(doc[:i+len(begin)]) + MarkdownTable() + string(doc[j:])
	envPath := filepath.Join(root, ".env.example")
	env, _ := os.ReadFile(envPath)
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(envPath, []byte(EnvExample()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(doc) != want {
		t.Error("docs/configuration.md is out of date: run go test ./internal/config -update")
	}
	if string(env) != EnvExample() {
		t.Error(".env.example is out of date: run go test ./internal/config -update")
	}
}
