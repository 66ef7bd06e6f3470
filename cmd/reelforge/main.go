// Command reelforge is the self-hosted AI video studio: one binary that
// serves the API and console, runs workers, migrates the database and
// manages users.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/reelforge/reelforge/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
