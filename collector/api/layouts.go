package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// maxLayoutBytes bounds a layout's body: 40 widgets and 20 shortcuts fit
// many times over.
const maxLayoutBytes = 256 << 10

// getLayouts lists the token's tenant's layouts.
func (s *Server) getLayouts(w http.ResponseWriter, r *http.Request, tok store.Token) {
	stored, err := s.Store.Layouts(r.Context(), tok.Tenant)
	if err != nil {
		s.internal(w, r, fmt.Errorf("listing layouts: %w", err))
		return
	}
	out := apiv1.LayoutsResponse{Layouts: []apiv1.Layout{}}
	for _, st := range stored {
		l, err := business.LayoutFromStore(st)
		if err != nil {
			s.internal(w, r, fmt.Errorf("reading layout %s: %w", st.ID, err))
			return
		}
		out.Layouts = append(out.Layouts, l)
	}
	writeJSON(w, http.StatusOK, out)
}

// getLayout reads one layout of the token's tenant.
func (s *Server) getLayout(w http.ResponseWriter, r *http.Request, tok store.Token) {
	if l, ok := s.tenantLayout(w, r, tok); ok {
		writeJSON(w, http.StatusOK, l)
	}
}

// getLayoutDashboard renders one layout of the token's tenant as the
// Grafana dashboard JSON that layouts sync pushes.
func (s *Server) getLayoutDashboard(w http.ResponseWriter, r *http.Request, tok store.Token) {
	if s.RenderLayout == nil {
		writeError(w, http.StatusNotImplemented, apiv1.CodeInternal, "this server does not render layouts", nil)
		return
	}
	l, ok := s.tenantLayout(w, r, tok)
	if !ok {
		return
	}
	body, err := s.RenderLayout(tok.Tenant, l)
	if err != nil {
		s.internal(w, r, fmt.Errorf("rendering layout %s: %w", l.ID, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// tenantLayout reads the layout of the path's id for the token's tenant,
// or answers why not; another tenant's id is as unknown as one never
// stored.
func (s *Server) tenantLayout(w http.ResponseWriter, r *http.Request, tok store.Token) (apiv1.Layout, bool) {
	id := r.PathValue("id")
	st, err := s.Store.Layout(r.Context(), tok.Tenant, id)
	if errors.Is(err, store.ErrLayoutNotFound) {
		writeError(w, http.StatusNotFound, apiv1.CodeLayoutNotFound, fmt.Sprintf("no layout %q", id), nil)
		return apiv1.Layout{}, false
	}
	if err != nil {
		s.internal(w, r, fmt.Errorf("reading layout: %w", err))
		return apiv1.Layout{}, false
	}
	l, err := business.LayoutFromStore(st)
	if err != nil {
		s.internal(w, r, fmt.Errorf("reading layout %s: %w", id, err))
		return apiv1.Layout{}, false
	}
	return l, true
}

// putLayout creates or replaces a layout: the whole body is checked
// first, every problem named, and nothing is stored unless all is well
// and the version read is still the layout's.
func (s *Server) putLayout(w http.ResponseWriter, r *http.Request, tok store.Token) {
	id := r.PathValue("id")
	var l apiv1.Layout
	if !decodeBody(w, r, maxLayoutBytes, "a layout", apiv1.CodeInvalidLayout, &l) {
		return
	}
	switch {
	case l.ID == "":
		l.ID = id
	case l.ID != id:
		p := sdk.Problem{Path: "id", Message: fmt.Sprintf("the body's id %q is not the path's %q", l.ID, id)}
		writeError(w, http.StatusBadRequest, apiv1.CodeInvalidLayout, p.Path+": "+p.Message, []sdk.Problem{p})
		return
	}
	if verr := business.ValidateLayout(l); verr != nil {
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidLayout, problemsMessage(verr.Problems), verr.Problems)
		return
	}
	toStore, err := business.LayoutToStore(tok.Tenant, l)
	if err != nil {
		s.internal(w, r, fmt.Errorf("encoding layout: %w", err))
		return
	}
	st, err := s.Store.PutLayout(r.Context(), toStore, l.Version, business.MaxLayoutsPerTenant)
	if err != nil {
		s.writeLayoutStoreError(w, r, err)
		return
	}
	out, err := business.LayoutFromStore(st)
	if err != nil {
		s.internal(w, r, fmt.Errorf("reading layout back: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteLayout deletes a layout at ?version=, the version read.
func (s *Server) deleteLayout(w http.ResponseWriter, r *http.Request, tok store.Token) {
	id := r.PathValue("id")
	read, err := strconv.ParseInt(r.URL.Query().Get("version"), 10, 64)
	if err != nil || read < 1 {
		writeError(w, http.StatusBadRequest, apiv1.CodeInvalidParameter, "version: the version read (at least 1) is required, got "+strconv.Quote(r.URL.Query().Get("version")), nil)
		return
	}
	if err := s.Store.DeleteLayout(r.Context(), tok.Tenant, id, read); err != nil {
		s.writeLayoutStoreError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeLayoutStoreError(w http.ResponseWriter, r *http.Request, err error) {
	var conflict *store.LayoutConflictError
	switch {
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, apiv1.CodeVersionConflict, conflict.Error(), nil)
	case errors.Is(err, store.ErrLayoutNotFound):
		writeError(w, http.StatusNotFound, apiv1.CodeLayoutNotFound, "no such layout (to create it, send version 0)", nil)
	case errors.Is(err, store.ErrTooManyLayouts):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidLayout, fmt.Sprintf("a tenant keeps at most %d layouts: delete one first", business.MaxLayoutsPerTenant), nil)
	case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrDiskFull):
		writeStoreError(w, err)
	default:
		s.internal(w, r, fmt.Errorf("storing layout: %w", err))
	}
}

func problemsMessage(problems []sdk.Problem) string {
	return fmt.Sprintf("%d problem(s), first: %s: %s", len(problems), problems[0].Path, problems[0].Message)
}
