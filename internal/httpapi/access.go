package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/store"
)

// orgAccess loads an organization and checks that the caller holds at least
// min in it. Callers outside the organization get 404, so that ids of other
// organizations reveal nothing; members with too small a role get 403.
func (s *Server) orgAccess(ctx context.Context, orgID string, min auth.Role) (*store.Organization, error) {
	p := principalFrom(ctx)
	var (
		org *store.Organization
		err error
	)
	if p.Key != nil {
		if p.Key.OrgID != orgID {
			return nil, errNotFound("organization")
		}
		org, err = s.store.OrganizationByID(ctx, orgID)
		if org != nil {
			org.Role = p.Key.Role
		}
	} else {
		org, err = s.store.OrganizationFor(ctx, orgID, p.UserID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("organization")
	}
	if err != nil {
		return nil, err
	}
	if !org.Role.AtLeast(min) {
		return nil, errForbidden("this needs the " + string(min) + " role in the organization")
	}
	return org, nil
}

// projectAccess loads a project and checks the caller's effective role in
// it, with the same 404-or-403 rule as orgAccess.
func (s *Server) projectAccess(ctx context.Context, projectID string, min auth.Role) (*store.Project, error) {
	p := principalFrom(ctx)
	var (
		proj *store.Project
		err  error
	)
	if p.Key != nil {
		proj, err = s.store.ProjectByID(ctx, projectID)
		if err == nil && proj.OrgID == p.Key.OrgID {
			proj.Role = p.Key.Role
		}
	} else {
		proj, err = s.store.ProjectForUser(ctx, projectID, p.UserID)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && proj.Role == "") {
		return nil, errNotFound("project")
	}
	if err != nil {
		return nil, err
	}
	if !proj.Role.AtLeast(min) {
		return nil, errForbidden("this needs the " + string(min) + " role in the project")
	}
	return proj, nil
}

// requireUser refuses API keys on routes that act on a person's own account.
func requireUser(ctx context.Context) (string, error) {
	p := principalFrom(ctx)
	if p.Key != nil {
		return "", errForbidden("this route needs a signed-in user, not an API key")
	}
	return p.UserID, nil
}

// audit records a security event; a failure to record is logged, not
// returned, because the action itself already happened.
func (s *Server) audit(r *http.Request, orgID, action, targetType, targetID string, data any) {
	a := &store.AuditEntry{
		OrgID: orgID, Action: action, TargetType: targetType, TargetID: targetID,
		IP: s.clientIP(r), UserAgent: r.UserAgent(),
	}
	if p := principalFrom(r.Context()); p != nil {
		a.ActorType, a.ActorID = p.actor()
	} else {
		a.ActorType = "anonymous"
	}
	if data != nil {
		b, _ := json.Marshal(data)
		a.Data = b
	}
	s.auditEntry(r.Context(), a)
}

func (s *Server) auditEntry(ctx context.Context, a *store.AuditEntry) {
	if err := s.store.AddAudit(ctx, a); err != nil {
		s.log.ErrorContext(ctx, "httpapi: writing audit log", slog.String("action", a.Action),
			slog.String("error", err.Error()))
	}
}

// change records a project change-log entry inside the caller's transaction.
func change(ctx context.Context, tx *store.Store, projectID, entity, entityID, action,
	summary string, diff any) error {
	kind, id := principalFrom(ctx).actor()
	c := &store.Change{ProjectID: projectID, ActorType: kind, ActorID: id, Entity: entity,
		EntityID: entityID, Action: action, Summary: summary}
	if diff != nil {
		b, err := json.Marshal(diff)
		if err != nil {
			return err
		}
		c.Diff = b
	}
	return tx.AddChange(ctx, c)
}

// listParams reads limit, offset, sort and q, with limits that keep one
// page cheap: limit defaults to 50 and is at most 200.
func listParams(r *http.Request) (store.ListParams, error) {
	q := r.URL.Query()
	lp := store.ListParams{Limit: 50, Sort: q.Get("sort"), Q: strings.TrimSpace(q.Get("q"))}
	var v validator
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			v.add("limit", "invalid", "must be an integer from 1 to 200")
		}
		lp.Limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1_000_000 {
			v.add("offset", "invalid", "must be an integer from 0 to 1000000")
		}
		lp.Offset = n
	}
	v.text("q", lp.Q, false, 200)
	return lp, v.err()
}

// page is the shape of every list response.
type page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func newPage[T any](items []T, total int, lp store.ListParams) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items, Total: total, Limit: lp.Limit, Offset: lp.Offset}
}
