package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
)

// collectPoll is how often `plugins collect --wait` reads the run.
const collectPoll = 500 * time.Millisecond

// collect is `plugins collect NAME [--wait]`: collect-now through the
// running server's API, and with --wait the run followed to its end.
func (c *pluginsCmd) collect() error {
	cfg, err := c.config.load()
	if err != nil {
		return err
	}
	client, base, err := c.server(cfg, "commandcenter-plugins-collect")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	run, err := client.CollectNow(ctx, c.path)
	var apiErr *apiv1.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == apiv1.CodeRateLimited:
		return fmt.Errorf("%s: %s (Retry-After: %ss)", c.path, apiErr.Message, apiErr.Header.Get("Retry-After"))
	case errors.As(err, &apiErr) && apiErr.Code == apiv1.CodeForbidden:
		return fmt.Errorf("%s: collecting now needs an admin token: %s", c.path, apiErr.Message)
	case err != nil:
		return fmt.Errorf("asking the server at %s: %w", base, err)
	}
	how := "asked for"
	if run.Trigger == apiv1.TriggerSchedule {
		how = "joined the scheduled"
	} else if run.State == apiv1.RunRunning {
		how = "joined the"
	}
	fmt.Fprintf(c.stderr, "%s: %s run %s (%s)\n", c.path, how, run.ID, run.State)
	if !c.wait {
		fmt.Fprintln(c.stdout, run.ID)
		return nil
	}
	last := *run
	for !last.Done() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: run %s not ended after --timeout %s (still %s)", c.path, run.ID, c.timeout, last.State)
		case <-time.After(collectPoll):
		}
		now, err := client.CollectRun(ctx, c.path, run.ID)
		if err != nil {
			return fmt.Errorf("following run %s: %w", run.ID, err)
		}
		if now.State != last.State || now.Items != last.Items {
			fmt.Fprintf(c.stderr, "%s: %s, %d batches, %d items stored of your tenant\n", c.path, now.State, now.Batches, now.Items)
		}
		last = *now
	}
	took := ""
	if last.StartedAt != nil && last.FinishedAt != nil {
		took = " in " + last.FinishedAt.Sub(*last.StartedAt).Round(time.Millisecond).String()
	}
	if last.State == apiv1.RunFailed {
		return fmt.Errorf("%s: run %s failed%s: %s", c.path, last.ID, took, last.Error)
	}
	fmt.Fprintf(c.stdout, "%s: run %s succeeded%s: %d batches, %d items stored of your tenant\n", c.path, last.ID, took, last.Batches, last.Items)
	return nil
}
