package main

import (
	"log/slog"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
)

// logging is --log.level and --log.format, promslog's flags as every
// Prometheus component has them, for every command.
type logging struct {
	config   promslog.Config
	levelSet bool // --log.level was given, so it beats the config file
}

func registerLogging(app *kingpin.Application) *logging {
	l := &logging{}
	promslogflag.AddFlags(app, &l.config)
	app.GetFlag(promslogflag.LevelFlagName).IsSetByUser(&l.levelSet)
	return l
}

// logger logs at --log.level, or at configured (a config file's log_level)
// when the flag was not given and configured is set.
func (l *logging) logger(configured string) *slog.Logger {
	// Config validation has already refused anything but promslog's levels.
	l.setLevel(configured)
	return promslog.New(&l.config)
}

// setLevel follows a reloaded config's log_level, unless --log.level was
// given: the logger made by logger changes with it.
func (l *logging) setLevel(configured string) {
	if !l.levelSet && configured != "" {
		l.config.Level.Set(configured)
	}
}
