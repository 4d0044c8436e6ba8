package api

import (
	"encoding/json"
	"net/http"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// writeError answers {"error":{code,message,details}} with status.
func writeError(w http.ResponseWriter, status int, code, message string, details []sdk.Problem) {
	writeJSON(w, status, apiv1.ErrorBody{Error: &apiv1.Error{Code: code, Message: message, Details: details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}
