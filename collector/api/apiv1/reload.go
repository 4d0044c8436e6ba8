package apiv1

// PathReload re-reads the server's configuration, as Prometheus's
// /-/reload does (and SIGHUP).
const PathReload = "/-/reload"

// CodeReloadFailed is the 500 of a reload whose new configuration was
// refused: the running one is kept.
const CodeReloadFailed = "reload_failed"

// ReloadResponse is what a successful POST /-/reload changed.
type ReloadResponse struct {
	// Started, Stopped and Restarted name the plugins added to, removed
	// from and changed in the configuration.
	Started   []string `json:"started"`
	Stopped   []string `json:"stopped"`
	Restarted []string `json:"restarted"`
	// RestartNeeded names changed settings a reload does not apply (the
	// listen address, the data directory, api.*): they apply when serve
	// restarts.
	RestartNeeded []string `json:"restart_needed"`
}
