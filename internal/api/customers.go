package api

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/trust"
)

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	scope, err := a.scope(r.Context(), p)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	before, err := queryInt(r, "cursor")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	limit, err := pageLimit(r, 50, 100)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	vip, err := queryInt(r, "vip_min")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	f := customer.ListFilter{Query: r.URL.Query().Get("q"), VIPMin: int(vip), Before: before, Limit: limit}
	if !scope.All {
		// Agents see only customers they are serving in a visible conversation.
		ids, err := a.Tickets.CustomerIDs(r.Context(), scope, before, 100)
		if err != nil {
			WriteError(w, r, a.Logger, err)
			return
		}
		f.OnlyIDs = ids
	}
	list, err := a.Customers.List(r.Context(), f)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	// A page of customers is as many profiles: listing is not a way
	// around the bulk-access limit.
	if a.Trust != nil && p.IsAgent() {
		if err := a.Trust.ViewProfiles(r.Context(), p.AgentID, ids); err != nil {
			WriteError(w, r, a.Logger, err)
			return
		}
	}
	page := Page[customer.Customer]{Data: present(p, list...)}
	if len(list) == f.Limit {
		page.NextCursor = cursor(list[len(list)-1].ID)
	}
	WriteJSON(w, http.StatusOK, page)
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in customer.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.Customers.Create(r.Context(), in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, present(PrincipalFrom(r.Context()), c)[0])
}

// loadCustomer reads the {id} customer if the caller may see them.
func (a *API) loadCustomer(w http.ResponseWriter, r *http.Request) (customer.Customer, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return customer.Customer{}, false
	}
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return customer.Customer{}, false
	}
	if ok, err := a.Tickets.SeesCustomer(r.Context(), scope, id); err != nil || !ok {
		if err == nil {
			err = errCustomerNotFound(id)
		}
		WriteError(w, r, a.Logger, err)
		return customer.Customer{}, false
	}
	c, err := a.Customers.ByID(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return customer.Customer{}, false
	}
	return c, true
}

func (a *API) customer(w http.ResponseWriter, r *http.Request) {
	c, ok := a.loadCustomer(w, r)
	if !ok {
		return
	}
	if err := a.viewProfile(r, c.ID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, present(PrincipalFrom(r.Context()), c)[0])
}

func (a *API) updateCustomer(w http.ResponseWriter, r *http.Request) {
	c, ok := a.loadCustomer(w, r)
	if !ok {
		return
	}
	var in customer.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	updated, err := a.Customers.Update(r.Context(), c.ID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, present(PrincipalFrom(r.Context()), updated)[0])
}

func (a *API) mergeCustomer(w http.ResponseWriter, r *http.Request) {
	c, ok := a.loadCustomer(w, r)
	if !ok {
		return
	}
	var req mergeRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	moved, err := a.Tickets.MergeCustomers(r.Context(), c.ID, req.SourceID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	merged, err := a.Customers.ByID(r.Context(), c.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"customer": merged, "conversations_moved": moved})
}

// present masks what an agent may not read outright: email, phone and the
// addresses behind channel identities. Agents reveal them in a
// conversation, with a reason that is audited, once the customer is
// verified there; supervisors and administrators see them whole.
func present(p auth.Principal, cs ...customer.Customer) []customer.Customer {
	if p.SeesAllTeams() {
		return cs
	}
	for i := range cs {
		cs[i] = trust.MaskCustomer(cs[i])
	}
	return cs
}
