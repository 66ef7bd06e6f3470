package db_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/reelforge/reelforge/internal/db"
	"github.com/reelforge/reelforge/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestMigrationsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			d := dbtest.OpenEmpty(t, dialect)
			ctx := context.Background()
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatalf("up: %v", err)
			}
			checkRoundTrip(ctx, t, d)
		})
	}
}

func checkRoundTrip(ctx context.Context, t *testing.T, d *db.DB) {
	t.Helper()
	st, err := d.MigrationStatuses(ctx)
	if err != nil || len(st) == 0 || !st[len(st)-1].Applied {
		t.Fatalf("after up: statuses %+v, err %v", st, err)
	}
	for range st {
		if _, err := d.MigrateDown(ctx); err != nil {
			t.Fatalf("down: %v", err)
		}
	}
	var n int
	err = d.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	if err == nil {
		t.Fatal("users table still exists after migrating all the way down")
	}
	applied, err := d.Migrate(ctx)
	if err != nil || applied != len(st) {
		t.Fatalf("up again: applied %d of %d, err %v", applied, len(st), err)
	}
}

func TestTimeAndUniqueViolation(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			d := dbtest.Open(t, dialect)
			ctx := context.Background()
			now := db.Now()
			id := dbtest.RandomHex(8)
			insert := `INSERT INTO users (id, email, name, password_hash, status, locale,
				created_at, updated_at) VALUES (?, ?, '', '', 'active', '', ?, ?)`
			if _, err := d.ExecContext(ctx, insert, id, id+"@x.test", db.Time(now),
				db.Time(now)); err != nil {
				t.Fatal(err)
			}
			var got, last time.Time
			if err := d.QueryRowContext(ctx, `SELECT created_at, last_login_at FROM users
				WHERE id = ?`, id).Scan(db.ScanTime(&got), db.ScanTime(&last)); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(now) || !last.IsZero() {
				t.Fatalf("time round trip: wrote %v, read %v (null read %v)", now, got, last)
			}
			var n int
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ?
				AND created_at < ?`, id, db.Time(now.Add(time.Millisecond))).Scan(&n); err != nil || n != 1 {
				t.Fatalf("time comparison found %d rows, err %v", n, err)
			}
			_, err := d.ExecContext(ctx, insert, id+"b", id+"@x.test", db.Time(now), db.Time(now))
			if !db.IsUniqueViolation(err) {
				t.Fatalf("duplicate email: got %v, want a unique violation", err)
			}
		})
	}
}
