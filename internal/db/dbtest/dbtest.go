// Package dbtest gives tests a migrated database of each dialect: a fresh
// SQLite file per call, and a MariaDB/MySQL database per test binary, made
// on first use and dropped when the binary ends. Tests that share the MySQL
// database use unique data (random emails and names) so they never collide.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/reelforge/reelforge/internal/db"
)

// Dialects lists the dialects every shared suite runs against.
var Dialects = []string{db.SQLite, db.MySQL}

// MySQL connection for tests, overridable with REELFORGE_TEST_MYSQL_HOST,
// _PORT, _USER and _PASSWORD. Defaults to root without a password on
// 127.0.0.1:3306, the MariaDB that CI starts.
func mysqlBase() db.Config {
	port, _ := strconv.Atoi(getenv("REELFORGE_TEST_MYSQL_PORT", "3306"))
	return db.Config{
		Dialect:  db.MySQL,
		Host:     getenv("REELFORGE_TEST_MYSQL_HOST", "127.0.0.1"),
		Port:     port,
		User:     getenv("REELFORGE_TEST_MYSQL_USER", "root"),
		Password: os.Getenv("REELFORGE_TEST_MYSQL_PASSWORD"),
	}
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var (
	mysqlOnce sync.Once
	mysqlCfg  db.Config
	mysqlErr  error
)

// Main runs a package's tests and drops the package's MySQL database
// afterwards. Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if mysqlCfg.Name != "" {
		ctx := context.Background()
		if admin, err := openAdmin(ctx); err == nil {
			_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+mysqlCfg.Name+"`")
			_ = admin.Close()
		}
	}
	return code
}

func openAdmin(ctx context.Context) (*sql.DB, error) {
	base := mysqlBase()
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net = base.User, base.Password, "tcp"
	mc.Addr = fmt.Sprintf("%s:%d", base.Host, base.Port)
	admin, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		return nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		return nil, err
	}
	return admin, nil
}

// Open returns a migrated database of the dialect, closed when the test
// ends. MySQL that cannot be reached skips the test on a developer machine
// and fails it under CI (CI=true), so CI can never pass on SQLite alone.
func Open(t testing.TB, dialect string) *db.DB {
	t.Helper()
	ctx := context.Background()
	var cfg db.Config
	switch dialect {
	case db.SQLite:
		cfg = db.Config{Dialect: db.SQLite, Path: filepath.Join(t.TempDir(), "test.db")}
	case db.MySQL:
		mysqlOnce.Do(func() { mysqlCfg, mysqlErr = createMySQL(ctx) })
		if mysqlErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("dbtest: MySQL is required under CI: %v", mysqlErr)
			}
			t.Skipf("dbtest: MySQL not reachable, skipping (start MariaDB to run): %v", mysqlErr)
		}
		cfg = mysqlCfg
	default:
		t.Fatalf("dbtest: unknown dialect %q", dialect)
	}
	d, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("dbtest: opening %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if dialect == db.SQLite {
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatalf("dbtest: migrating: %v", err)
		}
	}
	return d
}

// createMySQL creates and migrates this test binary's database.
func createMySQL(ctx context.Context) (db.Config, error) {
	admin, err := openAdmin(ctx)
	if err != nil {
		return db.Config{}, err
	}
	defer admin.Close()
	cfg := mysqlBase()
	cfg.Name = "rf_test_" + RandomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+cfg.Name+
		"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return db.Config{}, err
	}
	d, err := db.Open(ctx, cfg)
	if err != nil {
		return db.Config{}, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return db.Config{}, err
	}
	return cfg, nil
}

// RandomHex returns n random bytes in hex, for unique test data.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// OpenEmpty returns an unmigrated database of the dialect of its own (for
// MySQL a new database dropped when the test ends), for tests of the
// migrations themselves.
func OpenEmpty(t testing.TB, dialect string) *db.DB {
	t.Helper()
	ctx := context.Background()
	if dialect == db.SQLite {
		d, err := db.Open(ctx, db.Config{Dialect: db.SQLite,
			Path: filepath.Join(t.TempDir(), "empty.db")})
		if err != nil {
			t.Fatalf("dbtest: opening sqlite: %v", err)
		}
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	cfg := EmptyMySQL(t)
	d, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("dbtest: opening mysql: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// EmptyMySQL creates an empty MySQL database, dropped when the test ends,
// and returns its connection settings, for tests that start the binary's
// own code paths (serve, migrate) against MySQL.
func EmptyMySQL(t testing.TB) db.Config {
	t.Helper()
	ctx := context.Background()
	admin, err := openAdmin(ctx)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbtest: MySQL is required under CI: %v", err)
		}
		t.Skipf("dbtest: MySQL not reachable, skipping: %v", err)
	}
	cfg := mysqlBase()
	cfg.Name = "rf_test_" + RandomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+cfg.Name+
		"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("dbtest: creating database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+cfg.Name+"`")
		_ = admin.Close()
	})
	return cfg
}
