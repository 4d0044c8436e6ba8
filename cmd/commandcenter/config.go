package main

import (
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/config"
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
