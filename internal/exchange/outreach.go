package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"vigil/internal/apperr"
)

// AffectedQuery selects the customers an incident touches: those with a
// deposit or withdrawal (Feature "deposits" or "withdrawals"; empty means
// either) of Asset on Network that has not completed. Empty fields match
// anything.
type AffectedQuery struct {
	Feature string
	Asset   string
	Network string
}

// Affected lists the UIDs a query matched.
type Affected struct {
	UIDs []string `json:"uids"`
}

// Notice is an in-app message the exchange shows the customer.
type Notice struct {
	UID   string `json:"-"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Key makes the call idempotent: the same key twice shows one notice.
	Key string `json:"-"`
}

// NoticeSent is the exchange's id for a notice.
type NoticeSent struct {
	ID string `json:"id"`
}

// Outreach is the part of the contract outreach campaigns use: finding
// affected customers and reaching them in the app.
type Outreach interface {
	Affected(ctx context.Context, q AffectedQuery) (Affected, error)
	Notify(ctx context.Context, n Notice) (NoticeSent, error)
}

// Affected asks the exchange which customers a query matches.
func (c *Client) Affected(ctx context.Context, q AffectedQuery) (Affected, error) {
	v := url.Values{}
	for k, s := range map[string]string{"feature": q.Feature, "asset": q.Asset, "network": q.Network} {
		if s != "" {
			v.Set(k, s)
		}
	}
	path := "/v1/affected"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out Affected
	err := c.call(ctx, call{method: "GET", path: path, idempotent: true}, &out)
	return out, err
}

// Notify shows the customer an in-app notice. With its idempotency key it
// is safe to retry: the exchange shows one notice per key.
func (c *Client) Notify(ctx context.Context, n Notice) (NoticeSent, error) {
	if n.Key == "" {
		return NoticeSent{}, apperr.Field("key", "exchange.key_required", "an idempotency key is required")
	}
	var out NoticeSent
	err := c.call(ctx, call{method: "POST", path: "/v1/customers/" + url.PathEscape(n.UID) + "/notices", body: n,
		key: n.Key, idempotent: true}, &out)
	return out, err
}

// Notices returns the in-app notices the sandbox has shown, one per
// idempotency key, oldest first.
func (s *Sandbox) Notices() []Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notice(nil), s.notices...)
}

func (s *Sandbox) affected(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := Affected{UIDs: []string{}}
	for uid, a := range s.accounts {
		act := a.activity(s.now())
		var transfers []Transfer
		switch q.Get("feature") {
		case "deposits":
			transfers = act.Deposits
		case "withdrawals":
			transfers = act.Withdrawals
		case "":
			transfers = append(act.Deposits, act.Withdrawals...)
		}
		for _, t := range transfers {
			if t.Status != "completed" && t.Status != "cancelled" &&
				(q.Get("asset") == "" || strings.EqualFold(q.Get("asset"), t.Asset)) &&
				(q.Get("network") == "" || strings.EqualFold(q.Get("network"), t.Network)) {
				out.UIDs = append(out.UIDs, uid)
				break
			}
		}
	}
	slices.Sort(out.UIDs)
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) notify(w http.ResponseWriter, r *http.Request, uid string, body []byte) {
	key := r.Header.Get(HeaderIdemKey)
	if key == "" {
		writeErr(w, http.StatusBadRequest, "idempotency_key_required", "send an Idempotency-Key header")
		return
	}
	var n Notice
	if err := json.Unmarshal(body, &n); err != nil || n.Body == "" {
		writeErr(w, http.StatusUnprocessableEntity, "invalid", "title and body are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.noticeIDs[key]; ok {
		writeJSON(w, http.StatusOK, NoticeSent{ID: id})
		return
	}
	n.UID, n.Key = uid, key
	s.notices = append(s.notices, n)
	id := fmt.Sprintf("N-%08d", len(s.notices))
	s.noticeIDs[key] = id
	writeJSON(w, http.StatusOK, NoticeSent{ID: id})
}
