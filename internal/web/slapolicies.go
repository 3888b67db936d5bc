package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
)

// SLA policy versions: list them, show one, disable one (manager or
// admin; disabling is a write, audited). Versions are never edited.

func (s *Server) apiSLAPolicies(w http.ResponseWriter, r *http.Request) {
	vs, err := s.svc.SLAPolicies(r.Context())
	if vs == nil {
		vs = []metrics.PolicyVersion{}
	}
	s.answer(w, "listing SLA policies", vs, err)
}

// policyVersion finds the version a request's path names.
func (s *Server) policyVersion(r *http.Request) (metrics.PolicyVersion, error) {
	name := r.PathValue("name")
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version <= 0 {
		return metrics.PolicyVersion{}, badRequest{fmt.Errorf("version %q: want a positive number", r.PathValue("version"))}
	}
	vs, err := s.svc.SLAPolicies(r.Context())
	if err != nil {
		return metrics.PolicyVersion{}, err
	}
	for _, v := range vs {
		if v.Name == name && v.Version == version {
			return v, nil
		}
	}
	return metrics.PolicyVersion{}, fmt.Errorf("SLA policy %q version %d: %w", name, version, store.ErrNotFound)
}

func (s *Server) apiSLAPolicy(w http.ResponseWriter, r *http.Request) {
	v, err := s.policyVersion(r)
	s.answer(w, "reading the SLA policy", v, err)
}

// DisablePolicyRequest says why a version is disabled.
type DisablePolicyRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) apiDisableSLAPolicy(w http.ResponseWriter, r *http.Request) {
	var req DisablePolicyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	name, ver := r.PathValue("name"), r.PathValue("version")
	info(r).target = "sla_policy:" + name + "/v" + ver
	if req.Reason == "" {
		httpError(w, http.StatusBadRequest, "say why in reason (it goes into the audit log)")
		return
	}
	version, err := strconv.Atoi(ver)
	if err != nil || version <= 0 {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("version %q: want a positive number", ver))
		return
	}
	p, _ := principal(r)
	err = s.st.DisableSLAPolicy(r.Context(), name, version, p.Name, req.Reason)
	switch {
	case errors.Is(err, store.ErrAlreadyDisabled):
		httpError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		s.fail(w, "disabling the SLA policy", err)
		return
	}
	auditDetail(r, "reason="+req.Reason)
	if _, err := s.st.RefreshFacts(r.Context()); err != nil {
		s.fail(w, "judging the SLA clocks again", err)
		return
	}
	s.changed(r.Context())
	v, err := s.policyVersion(r)
	s.answer(w, "reading the SLA policy", v, err)
}
