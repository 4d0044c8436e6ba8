package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/builtin"
)

// configFlags are shared by every command that opens the database.
type configFlags struct {
	file    string
	dataDir string
}

func (f *configFlags) register(cmd *kingpin.CmdClause) {
	cmd.Flag("config", "YAML config file (see README). Without one, defaults apply.").Short('c').PlaceHolder("FILE").StringVar(&f.file)
	cmd.Flag("data-dir", "Directory of the SQLite database (overrides the config's data_dir).").PlaceHolder(config.DefaultDataDir).StringVar(&f.dataDir)
}

func (f *configFlags) load() (*config.Config, error) {
	cfg := config.Default()
	if f.file != "" {
		var err error
		if cfg, err = config.Load(f.file, builtin.Names()); err != nil {
			return nil, err
		}
	}
	if f.dataDir != "" {
		cfg.DataDir = f.dataDir
	}
	return cfg, nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// existingDatabase says, for a command that needs the configured database
// to be there, that it is not: then --data-dir is likely mistyped.
func existingDatabase(cfg *config.Config) error {
	if _, err := os.Stat(cfg.DatabasePath()); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s (is --data-dir or the config's data_dir right?)", cfg.DatabasePath())
	}
	return nil
}

// withStore opens the configured database for one command. Only a
// command that may make a new one (tokens create, before serve first ran)
// passes mayCreate: for the others a database that is not there is a
// mistyped --data-dir.
func (f *configFlags) withStore(mayCreate bool, fn func(context.Context, *store.Store) error) error {
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if err := existingDatabase(cfg); err != nil {
		if !mayCreate {
			return err
		}
		fmt.Fprintf(os.Stderr, "No database at %s yet: creating it.\n", cfg.DatabasePath())
	}
	st, err := store.Open(cfg.DatabasePath(), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(context.Background(), st)
}
