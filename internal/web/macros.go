package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/macro"
	"vigil/internal/ticket"
)

// macroCaller describes the signed-in agent to the macro service.
func macroCaller(p *page, scope ticket.Scope) macro.Caller {
	return macro.Caller{AgentID: p.Agent.ID, Name: p.Agent.Name, TeamIDs: scope.TeamIDs, Manage: p.Principal.Can(auth.PermCannedManage)}
}

// macroOptions lists the macros the agent may apply on the page.
func (c *Console) macroOptions(r *http.Request, p *page, scope ticket.Scope) ([]option, error) {
	if c.Macros == nil {
		return nil, nil
	}
	ms, err := c.Macros.List(r.Context(), macroCaller(p, scope))
	if err != nil {
		return nil, err
	}
	var out []option
	for _, m := range ms {
		out = append(out, option{strconv.FormatInt(m.ID, 10), m.Name, false})
	}
	return out, nil
}

// applyMacro is the console's "apply macro" form: the same service and
// permission as POST /api/v1/conversations/{id}/macros/{macro_id}, then
// back to the conversation with the outcome in the address, so a reload
// does not apply it twice.
func (c *Console) applyMacro(w http.ResponseWriter, r *http.Request, p *page) {
	c.conversationForm(w, r, p, "?macro=applied", "macro_error", func(ctx context.Context, scope ticket.Scope, id int64) error {
		macroID, err := strconv.ParseInt(r.PostFormValue("macro_id"), 10, 64)
		if err != nil {
			return apperr.NotFoundf("macro.not_found", "no such macro")
		}
		_, err = c.Macros.Apply(ctx, macroCaller(p, scope), scope, macroID, id)
		return err
	})
}

// conversationForm runs a form of the conversation page that changes the
// conversation (conversation:write), then returns to the page: with done
// appended, or with the refusal's code in the errParam parameter so the
// page explains it. Going back by redirect means a reload repeats nothing.
func (c *Console) conversationForm(w http.ResponseWriter, r *http.Request, p *page, done, errParam string,
	act func(ctx context.Context, scope ticket.Scope, id int64) error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	back := "/console/conversations/" + r.PathValue("id")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if !p.Principal.Can(auth.PermConversationWrite) {
		http.Error(w, p.T("auth.forbidden"), http.StatusForbidden)
		return
	}
	scope, err := c.scope(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := act(r.Context(), scope, id); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind == apperr.Internal {
			c.fail(w, r, err)
			return
		}
		http.Redirect(w, r, back+"?"+errParam+"="+url.QueryEscape(e.Code), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, back+done, http.StatusSeeOther)
}

// macroNotice is the outcome of a macro the page was sent back with.
func macroNotice(r *http.Request, p *page) {
	if code := r.URL.Query().Get("macro_error"); code != "" && i18n.Has(code) {
		p.Error = p.T(code)
	}
}
