package cli

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/reelforge/reelforge/internal/db/dbtest"
)

// TestMain doubles as a reelforge process for tests that need real
// separate processes: with REELFORGE_TEST_RUN set it runs those arguments
// through Run instead of the tests.
func TestMain(m *testing.M) {
	if args := os.Getenv("REELFORGE_TEST_RUN"); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		code := Run(ctx, strings.Fields(args), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(dbtest.Main(m))
}
