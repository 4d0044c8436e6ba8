// Command example is a deliberately small commandcenter source plugin,
// the one plugins/README.md walks through: it tails a JSON-lines file of
// events, one sdk.Event per line, and emits what was appended since the
// last Collect. Its cursor is the byte offset after the last line stored,
// so a restart neither loses nor repeats a line. Copy it to start a
// plugin of your own.
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

//go:embed schema.json
var schema []byte

type config struct {
	// Path is the JSON-lines file to tail.
	Path string `json:"path"`
	// BatchSize is the most lines per batch.
	BatchSize int `json:"batch_size"`
}

type source struct{ cfg config }

func (s *source) Describe() sdk.Description {
	return sdk.Description{Name: "example", Version: "1.0.0", Kinds: sdk.Kinds, ConfigSchema: schema}
}

// Configure checks the config; the host has checked it against schema.json
// already, so this is what a schema cannot say.
func (s *source) Configure(_ context.Context, raw json.RawMessage) error {
	cfg := config{BatchSize: 500}
	if err := sdk.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	if cfg.Path == "" {
		return sdk.ConfigErrors{sdk.Fieldf("path", "required: the JSON-lines file to tail")}
	}
	s.cfg = cfg
	return nil
}

// Check says whether the file can be read.
func (s *source) Check(context.Context) error {
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return err
	}
	return f.Close()
}

// Collect reads whole lines from the cursor's offset on. A line not yet
// ended by a newline is left for the next Collect; a line that is not a
// valid event stops the Collect with its line number, before it.
func (s *source) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	var offset int64
	if cursor != "" {
		var err error
		if offset, err = strconv.ParseInt(cursor, 10, 64); err != nil || offset < 0 {
			return fmt.Errorf("unrecognised cursor %q", cursor)
		}
	}
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() < offset {
		sdk.Logger().Warn("file is shorter than the cursor (truncated or replaced?): reading it from the start", "path", s.cfg.Path)
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(f)
	var b sdk.Batch
	for ctx.Err() == nil {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // no more whole lines (a partial one waits)
		}
		if err != nil {
			return err
		}
		var e sdk.Event
		if problems := sdk.DecodeStrict(line, &e); problems != nil {
			return fmt.Errorf("%s at byte %d: %s: %s", s.cfg.Path, offset, problems[0].Path, problems[0].Message)
		}
		offset += int64(len(line))
		b.Events = append(b.Events, e)
		if len(b.Events) == s.cfg.BatchSize {
			b.Cursor = strconv.FormatInt(offset, 10)
			if err := emit(b); err != nil {
				return err
			}
			b = sdk.Batch{}
		}
	}
	if len(b.Events) > 0 {
		b.Cursor = strconv.FormatInt(offset, 10)
		return emit(b)
	}
	return ctx.Err()
}

func main() { sdk.Serve(&source{}) }
