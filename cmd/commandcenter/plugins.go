package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

// pluginsCmd is `plugins check|run|list`: tools for plugin authors and
// operators. check and run start the plugin exactly as serve does.
type pluginsCmd struct {
	stdout, stderr io.Writer
	path           string
	pluginConfig   string
	timeout        time.Duration
	once           bool
	cursor         string
	config         configFlags
	tokenEnv       string
	serverURL      string
	wait           bool
}

func registerPlugins(app *kingpin.Application, stdout, stderr io.Writer) *pluginsCmd {
	c := &pluginsCmd{stdout: stdout, stderr: stderr}
	plugins := app.Command("plugins", "Check, try and list source plugins.")
	pathHelp := "Plugin executable, or the name of a built-in plugin (" + strings.Join(builtin.Names(), ", ") + ")."
	configHelp := "The plugin's config: a YAML or JSON file holding what goes under config: in commandcenter's config."

	check := plugins.Command("check", "Run the conformance suite on a plugin (handshake, Describe, bad configs, Collect, cursor resume, Check, exit with the host) and print a report. Exit 1 if a check fails.")
	check.Arg("path", pathHelp).Required().StringVar(&c.path)
	check.Flag("config", configHelp).PlaceHolder("FILE").StringVar(&c.pluginConfig)
	check.Flag("timeout", "Bound on each step (start, one Collect, Check).").Default("30s").DurationVar(&c.timeout)

	run := plugins.Command("run", "Run one Collect of a plugin and print its batches as JSON lines, storing nothing.")
	run.Arg("path", pathHelp).Required().StringVar(&c.path)
	run.Flag("once", "Run one Collect and exit (the only mode: collecting on an interval is serve's job).").BoolVar(&c.once)
	run.Flag("config", configHelp).PlaceHolder("FILE").StringVar(&c.pluginConfig)
	run.Flag("cursor", "Resume from this cursor (the cursor field of a batch printed before).").StringVar(&c.cursor)
	run.Flag("timeout", "Bound on the Collect.").Default("2m").DurationVar(&c.timeout)

	list := plugins.Command("list", "List the configured plugins, what the database holds of each, and the running server's view when it answers.")
	c.config.register(list)
	list.Flag("token-env", "Environment variable holding an API token, to ask the running server for each plugin's state.").Default("COMMANDCENTER_TOKEN").StringVar(&c.tokenEnv)

	collect := plugins.Command("collect", "Ask the running server to collect a plugin now (or join the Collect under way). Needs an admin token. With --wait, show its progress until it ends: exit 1 if it failed.")
	collect.Arg("name", "The plugin's name in the config.").Required().StringVar(&c.path)
	c.config.register(collect)
	collect.Flag("url", "The running server's base URL (default: http:// and the config's listen address).").PlaceHolder("URL").StringVar(&c.serverURL)
	collect.Flag("token-env", "Environment variable holding an admin API token.").Default("COMMANDCENTER_TOKEN").StringVar(&c.tokenEnv)
	collect.Flag("wait", "Follow the run until it ends, printing its progress.").BoolVar(&c.wait)
	collect.Flag("timeout", "Bound on waiting with --wait.").Default("10m").DurationVar(&c.timeout)
	return c
}

// command is how to start the plugin at c.path: the file, or this binary's
// `plugin NAME` for a built-in one.
func (c *pluginsCmd) command() ([]string, error) {
	if _, err := os.Stat(c.path); err == nil {
		abs, err := filepath.Abs(c.path)
		return []string{abs}, err
	}
	if _, ok := builtin.Plugins[c.path]; ok && !strings.ContainsRune(c.path, filepath.Separator) {
		return builtinCommand(c.path)
	}
	return nil, fmt.Errorf("%s: no such file, and no built-in plugin of that name (%s)", c.path, strings.Join(builtin.Names(), ", "))
}

// builtinCommand is how a built-in plugin runs, as serve starts it: this
// executable's `plugin NAME`.
func builtinCommand(name string) ([]string, error) {
	self, err := os.Executable()
	return []string{self, "plugin", name}, err
}

// readPluginConfig reads --config as YAML (JSON is YAML too) into JSON.
func (c *pluginsCmd) readPluginConfig() (json.RawMessage, error) {
	if c.pluginConfig == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.pluginConfig)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", c.pluginConfig, err)
	}
	if v == nil {
		v = map[string]any{}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.pluginConfig, err)
	}
	return raw, nil
}

// target is the plugin's command line and the config to give it.
func (c *pluginsCmd) target() ([]string, json.RawMessage, error) {
	command, err := c.command()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := c.readPluginConfig()
	return command, cfg, err
}

var errChecksFailed = errors.New("the plugin failed the conformance checks above")

func (c *pluginsCmd) check() error {
	command, cfg, err := c.target()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Checking %s (each step up to %s)…\n", strings.Join(command, " "), c.timeout)
	report := sdktest.Run(context.Background(), sdktest.Plugin{Command: command, Config: cfg, Timeout: c.timeout})
	report.WriteText(c.stdout)
	if !report.Passed() {
		return errChecksFailed
	}
	return nil
}

func (c *pluginsCmd) run() error {
	if !c.once {
		return errors.New("plugins run needs --once: it runs one Collect (collecting on an interval is serve's job)")
	}
	command, cfg, err := c.target()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.Command(command[0], command[1:]...)
	p, err := sdk.Launch(ctx, sdk.LaunchConfig{Cmd: cmd, Config: cfg, Logger: collector.PluginLogger(newLogger("debug"), filepath.Base(command[len(command)-1]))})
	if err != nil {
		return err
	}
	defer p.Kill()
	if !p.Healthy {
		fmt.Fprintf(c.stderr, "Check says the source is unhealthy: %s\n", p.HealthMessage)
	}
	enc := json.NewEncoder(c.stdout)
	batches, items, invalid := 0, 0, 0
	err = p.Collect(ctx, c.cursor, func(b sdk.Batch) error {
		batches++
		items += b.Len()
		if err := sdk.Validate(&b); err != nil {
			invalid++
			fmt.Fprintf(c.stderr, "batch %d would be rejected by serve: %v\n", batches, err)
		}
		return enc.Encode(b)
	})
	fmt.Fprintf(c.stderr, "%s %s: %d batches, %d items, %d invalid; nothing was stored.\n", p.Description.Name, p.Description.Version, batches, items, invalid)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d batches are invalid", invalid, batches)
	}
	return nil
}

func (c *pluginsCmd) list() error {
	cfg, err := c.config.load()
	if err != nil {
		return err
	}
	if len(cfg.Plugins) == 0 {
		fmt.Fprintln(c.stdout, "No plugins configured (serve --demo runs the demo plugin).")
		return nil
	}
	stored := map[string]store.CursorState{}
	if _, err := os.Stat(cfg.DatabasePath()); err == nil {
		err = c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
			stored, err = st.Cursors(ctx)
			return err
		})
		if err != nil {
			return err
		}
	}
	live, liveErr := c.liveState(cfg)
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tRUNS\tINTERVAL\tLAST STORED\tUP\tHEALTH\tLAST ERROR")
	for _, p := range cfg.Plugins {
		runs := "builtin " + p.Builtin
		if p.Path != "" {
			runs = p.Path
			if p.SHA256 != "" {
				runs += " (pinned)"
			}
		}
		last := "never"
		if s, ok := stored[p.Name]; ok {
			last = s.UpdatedAt.Local().Format(time.DateTime)
		}
		up, health, lastErr := "?", "?", ""
		if st, ok := live[p.Name]; ok {
			up, health, lastErr = fmt.Sprint(st.Up), "unknown", st.LastError
			if st.Healthy != nil && *st.Healthy {
				health = "healthy"
			} else if st.Healthy != nil {
				health = "unhealthy: " + st.HealthMessage
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, runs, p.Interval, last, up, oneLine(health), oneLine(lastErr))
	}
	w.Flush()
	if liveErr != nil {
		fmt.Fprintf(c.stderr, "(UP, HEALTH and LAST ERROR come from the running server: %v)\n", liveErr)
	}
	return nil
}

// server is a client of the running server, at --url or the config's
// listen address, with the token in --token-env.
func (c *pluginsCmd) server(cfg *config.Config, agent string) (*apiv1.Client, string, error) {
	token := os.Getenv(c.tokenEnv)
	if token == "" {
		return nil, "", fmt.Errorf("set %s to a token (commandcenter tokens create) to see it", c.tokenEnv)
	}
	base := c.serverURL
	if base == "" {
		host := cfg.Listen
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		base = "http://" + host
	}
	client, err := apiv1.New(apiv1.Config{URL: base, Token: token, Timeout: 5 * time.Second, UserAgent: agent})
	return client, base, err
}

// liveState asks the running server for each plugin's state.
func (c *pluginsCmd) liveState(cfg *config.Config) (map[string]apiv1.PluginStatus, error) {
	client, base, err := c.server(cfg, "commandcenter-plugins-list")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := client.Plugins(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the server at %s: %w", base, err)
	}
	out := map[string]apiv1.PluginStatus{}
	for _, p := range body.Plugins {
		out[p.Name] = p
	}
	return out, nil
}

// oneLine keeps a table row one line: the first line of s, at most 100
// characters.
func oneLine(s string) string {
	s, _, cut := strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 100 {
		s, cut = string(r[:100]), true
	}
	if cut {
		s += " …"
	}
	return s
}
