package httpsource

import (
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// API is the part of a source's config that says where its API is: the
// base URL, the environment variable holding its key (sent as a bearer
// token; never the key itself, which stays out of config files) and the
// HTTP Options. Embed it in a plugin's Config: its JSON fields are the
// config's own.
type API struct {
	APIURL    string `json:"api_url"`
	APIKeyEnv string `json:"api_key_env"`
	Options
}

// Connect checks a, naming each bad field, reads the key from the
// environment and returns the base URL and a client that sends the key;
// it makes no request. what describes the URL for the error when it is
// missing ("the platform API's base URL, like https://…"). An optional
// API (a source that can also read files) may leave api_url empty: then
// both results are nil.
func (a API) Connect(what string, optional bool, userAgent string, logger *slog.Logger) (*url.URL, *Client, sdk.ConfigErrors) {
	var errs sdk.ConfigErrors
	base, err := url.Parse(a.APIURL)
	switch {
	case a.APIURL == "" && optional:
		base = nil
	case a.APIURL == "":
		errs = append(errs, sdk.Fieldf("api_url", "required: %s", what))
	case err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "":
		errs = append(errs, sdk.Fieldf("api_url", "must be an http or https URL, got %q", a.APIURL))
	}
	key := os.Getenv(a.APIKeyEnv)
	switch {
	case a.APIKeyEnv == "":
		errs = append(errs, sdk.Fieldf("api_key_env", "required: the environment variable holding the API key"))
	case a.APIURL != "" && key == "":
		errs = append(errs, sdk.Fieldf("api_key_env", "environment variable %s is empty or not set", a.APIKeyEnv))
	}
	errs = append(errs, a.Options.Validate()...)
	if len(errs) > 0 || base == nil {
		return nil, nil, errs
	}
	client, err := New(a.Options, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }, userAgent, logger)
	if err != nil {
		return nil, nil, sdk.ConfigErrors{err.Error()}
	}
	return base, client, nil
}
