// Package alertrules ships commandcenter's Prometheus alert and recording
// rules (*.rules.yml), their promtool unit tests (tests/), and an example
// Alertmanager routing (alertmanager.yml). The Go tests here run promtool
// and amtool over them, and start a real Prometheus and Alertmanager against
// a real commandcenter end to end.
package alertrules

import "embed"

// Files holds the rule files and the Alertmanager example.
//
//go:embed *.rules.yml alertmanager.yml
var Files embed.FS
