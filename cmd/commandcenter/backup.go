package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/store"
)

type backupCmd struct {
	config configFlags
	logs   *logging
	file   string
	force  bool
	out    io.Writer
}

func registerBackup(app *kingpin.Application, logs *logging, out io.Writer) *backupCmd {
	c := &backupCmd{logs: logs, out: out}
	cmd := app.Command("backup", "Copy the database into FILE as one consistent snapshot (SQLite's online backup), "+
		"safe while serve runs on the same data directory. FILE holds every tenant's data and the tokens' hashes: protect it like the database.")
	c.config.register(cmd)
	cmd.Flag("force", "Replace FILE if it exists (only once the new copy is complete and checked).").BoolVar(&c.force)
	cmd.Arg("file", "The backup file to write, a single SQLite database.").Required().StringVar(&c.file)
	return c
}

// run copies the database without opening a Store and without serve's
// lock: it only reads, so serve keeps running and writing meanwhile.
func (c *backupCmd) run() error {
	cfg, err := c.config.load()
	if err != nil {
		return err
	}
	if err := existingDatabase(cfg); err != nil {
		return err
	}
	src := cfg.DatabasePath()
	logger := c.logs.logger(cfg.LogLevel)
	// Ctrl-C stops the copy and removes its temporary file.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := store.Backup(ctx, src, c.file, store.BackupOptions{
		Force: c.force,
		Progress: func(copied, total int) {
			logger.Info("backing up", "pages", copied, "total", total)
		},
	})
	if errors.Is(err, store.ErrBackupExists) {
		return fmt.Errorf("%s already exists: give --force to replace it", c.file)
	}
	if err != nil {
		return fmt.Errorf("backing up %s: %w", src, err)
	}
	fmt.Fprintf(c.out, "Wrote %s: %d bytes (%.1f MiB), %d pages, in %s.\n",
		res.Path, res.Bytes, float64(res.Bytes)/(1<<20), res.Pages, res.Took.Round(time.Millisecond))
	return nil
}
