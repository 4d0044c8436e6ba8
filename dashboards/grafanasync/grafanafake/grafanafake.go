// Package grafanafake is a test server that follows Grafana's documented
// HTTP API for what commandcenter's layouts sync calls: folders
// (GET/POST /api/folders), dashboards (GET and DELETE
// /api/dashboards/uid/{uid},
// POST /api/dashboards/db with versions: a stale version is 412
// version-mismatch), the signed-in user (GET /api/user), teams
// (GET /api/teams/search) and preferences (GET and PUT
// /api/user/preferences and /api/teams/{id}/preferences). Requests need "Authorization: Bearer
// <token>" (401 otherwise); errors are {"message": ...}. It is the one
// stand-in for a Grafana server in the tests.
package grafanafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Dashboard is a stored dashboard: its JSON, version and folder.
type Dashboard struct {
	JSON      map[string]any
	Version   int
	FolderUID string
}

// Server is a running fake Grafana.
type Server struct {
	*httptest.Server
	Token string
	// Login is the signed-in user of Token.
	Login string

	mu         sync.Mutex
	Folders    map[string]string // uid → title
	Dashboards map[string]*Dashboard
	Teams      map[string]int // name → id
	// HomeByTeam and HomeByUser are the home dashboards set (team id or
	// login → dashboard uid).
	HomeByTeam map[int]string
	HomeByUser map[string]string
	// Writes counts POST, PUT and DELETE requests.
	Writes int
	// FailDashboard answers 500 for POSTs of this dashboard uid.
	FailDashboard string
	// ForbidTeamPreferences answers 403 to team preference changes, as
	// Grafana does for a token without the Admin role.
	ForbidTeamPreferences bool
	// EditBeforeSave bumps a dashboard's version (someone saved it in
	// Grafana) between a GET of it and the next POST.
	EditBeforeSave string
}

// Start runs a fake Grafana accepting token as the signed-in user login.
func Start(token, login string) *Server {
	s := &Server{Token: token, Login: login, Folders: map[string]string{}, Dashboards: map[string]*Dashboard{},
		Teams: map[string]int{}, HomeByTeam: map[int]string{}, HomeByUser: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func message(w http.ResponseWriter, status int, msg string, extra ...any) {
	body := map[string]any{"message": msg}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		message(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		s.Writes++
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/folders/"):
		uid := strings.TrimPrefix(path, "/api/folders/")
		title, ok := s.Folders[uid]
		if !ok {
			message(w, http.StatusNotFound, "folder not found")
			return
		}
		writeJSON(w, map[string]any{"uid": uid, "title": title})
	case r.Method == http.MethodPost && path == "/api/folders":
		var f struct{ UID, Title string }
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.Title == "" {
			message(w, http.StatusBadRequest, "bad request data")
			return
		}
		if _, ok := s.Folders[f.UID]; ok {
			message(w, http.StatusConflict, "a folder with the same uid already exists")
			return
		}
		s.Folders[f.UID] = f.Title
		writeJSON(w, map[string]any{"uid": f.UID, "title": f.Title})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/dashboards/uid/"):
		uid := strings.TrimPrefix(path, "/api/dashboards/uid/")
		d, ok := s.Dashboards[uid]
		if !ok {
			message(w, http.StatusNotFound, "Dashboard not found")
			return
		}
		body := map[string]any{}
		for k, v := range d.JSON {
			body[k] = v
		}
		body["version"] = d.Version
		writeJSON(w, map[string]any{"dashboard": body, "meta": map[string]any{"folderUid": d.FolderUID, "version": d.Version}})
		if uid == s.EditBeforeSave {
			d.Version++ // someone saves it in Grafana before the caller does
		}
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/api/dashboards/uid/"):
		uid := strings.TrimPrefix(path, "/api/dashboards/uid/")
		d, ok := s.Dashboards[uid]
		if !ok {
			message(w, http.StatusNotFound, "Dashboard not found")
			return
		}
		delete(s.Dashboards, uid)
		s.Writes++
		message(w, http.StatusOK, fmt.Sprintf("Dashboard %v deleted", d.JSON["title"]), "title", d.JSON["title"])
	case r.Method == http.MethodPost && path == "/api/dashboards/db":
		s.saveDashboard(w, r)
	case r.Method == http.MethodGet && path == "/api/user":
		writeJSON(w, map[string]any{"id": 1, "login": s.Login})
	case r.Method == http.MethodGet && path == "/api/teams/search":
		var teams []map[string]any
		name := r.URL.Query().Get("name")
		if id, ok := s.Teams[name]; ok {
			teams = append(teams, map[string]any{"id": id, "name": name})
		}
		writeJSON(w, map[string]any{"totalCount": len(teams), "teams": teams})
	case r.Method == http.MethodGet && path == "/api/user/preferences":
		writeJSON(w, map[string]any{"homeDashboardUID": s.HomeByUser[s.Login]})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/teams/") && strings.HasSuffix(path, "/preferences"):
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path, "/api/teams/"), "/preferences"))
		writeJSON(w, map[string]any{"homeDashboardUID": s.HomeByTeam[id]})
	case r.Method == http.MethodPut && path == "/api/user/preferences":
		var p struct{ HomeDashboardUID string }
		json.NewDecoder(r.Body).Decode(&p)
		s.HomeByUser[s.Login] = p.HomeDashboardUID
		message(w, http.StatusOK, "Preferences updated")
	case r.Method == http.MethodPut && strings.HasPrefix(path, "/api/teams/") && strings.HasSuffix(path, "/preferences") && s.ForbidTeamPreferences:
		message(w, http.StatusForbidden, "You'll need additional permissions to perform this action")
	case r.Method == http.MethodPut && strings.HasPrefix(path, "/api/teams/") && strings.HasSuffix(path, "/preferences"):
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path, "/api/teams/"), "/preferences"))
		if err != nil {
			message(w, http.StatusNotFound, "Team not found")
			return
		}
		var p struct{ HomeDashboardUID string }
		json.NewDecoder(r.Body).Decode(&p)
		s.HomeByTeam[id] = p.HomeDashboardUID
		message(w, http.StatusOK, "Preferences updated")
	default:
		message(w, http.StatusNotFound, "Not found")
	}
}

// saveDashboard is POST /api/dashboards/db: a dashboard whose uid exists
// must carry the stored version unless overwrite is set.
func (s *Server) saveDashboard(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Dashboard map[string]any `json:"dashboard"`
		FolderUID string         `json:"folderUid"`
		Overwrite bool           `json:"overwrite"`
		Message   string         `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Dashboard == nil {
		message(w, http.StatusBadRequest, "bad request data")
		return
	}
	uid, _ := req.Dashboard["uid"].(string)
	if uid == "" || len(uid) > 40 {
		message(w, http.StatusBadRequest, "uid too long or missing")
		return
	}
	if uid == s.FailDashboard {
		message(w, http.StatusInternalServerError, "Failed to save dashboard")
		return
	}
	if req.FolderUID != "" {
		if _, ok := s.Folders[req.FolderUID]; !ok {
			message(w, http.StatusBadRequest, "folder not found")
			return
		}
	}
	version := 0
	if v, ok := req.Dashboard["version"].(float64); ok {
		version = int(v)
	}
	d, exists := s.Dashboards[uid]
	if exists && !req.Overwrite && version != d.Version {
		message(w, http.StatusPreconditionFailed, "The dashboard has been changed by someone else", "status", "version-mismatch")
		return
	}
	if !exists {
		d = &Dashboard{}
		s.Dashboards[uid] = d
	}
	body := map[string]any{}
	for k, v := range req.Dashboard {
		if k != "version" && k != "id" {
			body[k] = v
		}
	}
	d.JSON, d.FolderUID = body, req.FolderUID
	d.Version++
	writeJSON(w, map[string]any{"id": len(s.Dashboards), "uid": uid, "url": "/d/" + uid, "status": "success", "version": d.Version})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// String describes the stored state, for test failures.
func (s *Server) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("folders %v, %d dashboards, homes team %v user %v", s.Folders, len(s.Dashboards), s.HomeByTeam, s.HomeByUser)
}

// AddTeam adds a Grafana team.
func (s *Server) AddTeam(name string, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Teams[name] = id
}

// Lock and Unlock guard the exported state while a test reads or changes
// it.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }
