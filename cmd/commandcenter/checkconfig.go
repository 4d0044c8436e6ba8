package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/hashicorp/go-plugin"

	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// checkConfigCmd is `check-config FILE`: every problem of a config file at
// once, each with its line and path, each plugin's config block checked
// by the plugin itself, started as serve starts it.
type checkConfigCmd struct {
	stdout, stderr io.Writer
	file           string
	timeout        time.Duration
}

func registerCheckConfig(app *kingpin.Application, stdout, stderr io.Writer) *checkConfigCmd {
	c := &checkConfigCmd{stdout: stdout, stderr: stderr}
	cmd := app.Command("check-config", "Check a config file: print every problem with its line and path, each plugin's config block checked against the schema the plugin describes (the plugin is started as serve starts it). Exit 1 if there is one.")
	cmd.Arg("file", "The YAML config file.").Required().StringVar(&c.file)
	cmd.Flag("timeout", "Bound on starting each plugin (handshake, Describe, Configure, Check).").Default("30s").DurationVar(&c.timeout)
	return c
}

func (c *checkConfigCmd) run() error {
	data, err := os.ReadFile(c.file)
	if err != nil {
		return err
	}
	doc := config.ParseDocument(data, builtin.Names())
	checked := 0
	for i, p := range doc.Config.Plugins {
		if !startable(doc.Problems, i) {
			continue // what starts it is wrong, and reported already
		}
		doc.Report(c.checkPlugin(i, p)...)
		checked++
	}
	for _, p := range doc.Problems {
		at := c.file
		if p.Line > 0 {
			at = fmt.Sprintf("%s:%d", c.file, p.Line)
		}
		if p.Path != "" {
			at += ": " + p.Path
		}
		fmt.Fprintf(c.stdout, "%s: %s\n", at, p.Message)
	}
	if n := len(doc.Problems); n > 0 {
		return fmt.Errorf("%s: %s", c.file, count(n, "problem"))
	}
	fmt.Fprintf(c.stdout, "%s: ok (%s checked)\n", c.file, count(checked, "plugin"))
	return nil
}

// startable reports whether nothing is wrong with how plugin i starts: its
// builtin, path or pin. Such a plugin is not started: that could only add
// a problem that follows from the one reported.
func startable(problems config.Problems, i int) bool {
	at := fmt.Sprintf("plugins[%d]", i)
	for _, p := range problems {
		switch p.Path {
		case at, at + ".builtin", at + ".path", at + ".sha256":
			return false
		}
	}
	return true
}

// checkPlugin starts plugin i as the host does (the SHA-256 pin, the
// handshake, Describe, its config against the schema Describe returned,
// Configure, Check) and says what went wrong, at the config's paths: a
// field of the config block the schema or Configure refused, or the line
// that starts the plugin when it did not start.
func (c *checkConfigCmd) checkPlugin(i int, p config.Plugin) []config.Problem {
	at := fmt.Sprintf("plugins[%d]", i)
	raw, err := p.ConfigJSON()
	if err != nil {
		return []config.Problem{{Path: at + ".config", Message: "cannot be sent to the plugin as JSON: " + err.Error()}}
	}
	startedBy, command := at+".path", []string{p.Path}
	if p.Builtin != "" {
		startedBy = at + ".builtin"
		if command, err = builtinCommand(p.Builtin); err != nil {
			return []config.Problem{{Path: startedBy, Message: err.Error()}}
		}
	}
	var pin []byte
	if p.SHA256 != "" {
		pin, _ = hex.DecodeString(p.SHA256) // validated with the config
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	// No logger: go-plugin's account of a plugin that did not start would
	// only repeat the problem reported.
	plug, err := sdk.Launch(ctx, sdk.LaunchConfig{Cmd: exec.Command(command[0], command[1:]...), SHA256: pin, Config: raw, Timeout: c.timeout})
	if err == nil {
		defer plug.Kill()
		if !plug.Healthy {
			// Not a config problem: the source may be out of reach from here.
			fmt.Fprintf(c.stderr, "%s (%s): started, but Check says the source is unhealthy: %s\n", at, p.Name, plug.HealthMessage)
		}
		return nil
	}
	var fields sdk.ConfigErrors
	if errors.As(err, &fields) {
		problems := make([]config.Problem, len(fields))
		for j, f := range fields {
			problems[j] = config.Problem{Path: at + ".config", Message: f}
			// Each names its field ("targets[2].url: …"), or "config" for
			// the whole block.
			if field, msg, ok := strings.Cut(f, ": "); ok {
				problems[j].Message = msg
				if field != "config" {
					problems[j].Path += "." + field
				}
			}
		}
		return problems
	}
	if pin != nil && errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		startedBy = at + ".sha256"
	}
	return []config.Problem{{Path: startedBy, Message: "the plugin did not start: " + err.Error()}}
}

// count is "1 plugin", "2 plugins".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
