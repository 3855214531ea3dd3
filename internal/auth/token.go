package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Token is an API token's metadata; the value itself is never stored.
type Token struct {
	ID         int64        `json:"id"`
	AgentID    int64        `json:"agent_id"`
	Name       string       `json:"name"`
	Prefix     string       `json:"prefix"`
	Scopes     []Permission `json:"scopes"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  *time.Time   `json:"expires_at,omitempty"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time   `json:"revoked_at,omitempty"`
}

const tokenPrefix = "vgl_"

// CreateToken issues a token limited to scopes, which must be within the
// agent's role. The raw value is returned once.
func (s *Service) CreateToken(ctx context.Context, agentID int64, name string, scopes []Permission, expiresAt *time.Time) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Token{}, "", apperr.Field("name", "auth.token_name", "must be 1 to 100 characters")
	}
	if len(scopes) == 0 {
		return Token{}, "", apperr.Field("scopes", "auth.token_scope", "name at least one permission")
	}
	ag, err := s.o.Directory.AgentByID(ctx, agentID)
	if err != nil {
		return Token{}, "", err
	}
	for _, sc := range scopes {
		if !slices.Contains(rolePerms[ag.Role], sc) {
			return Token{}, "", apperr.Field("scopes", "auth.token_scope", "%q is not a permission your role has", sc)
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if expiresAt != nil && !expiresAt.After(now) {
		return Token{}, "", apperr.Field("expires_at", "auth.token_expiry", "must be in the future")
	}
	raw := tokenPrefix + randomToken(32)
	t := Token{AgentID: agentID, Name: name, Prefix: raw[:12], Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))),
		CreatedAt: now, ExpiresAt: expiresAt}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO api_tokens (agent_id, name, token_hash, prefix, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, agentID, name, digest(raw), t.Prefix, joinScopes(t.Scopes),
			db.Millis(now), db.NullMillis(expiresAt)).Scan(&t.ID); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return s.o.Audit.Record(ctx, "auth.token_create", "agent", agentID, map[string]any{"token": t.ID, "scopes": t.Scopes})
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, raw, nil
}

var errBadToken = &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.token_invalid", Message: "the API token is unknown, expired or revoked"}

// AuthenticateToken resolves a bearer token. The lookup is one indexed
// read by digest: cheap enough for every API call.
func (s *Service) AuthenticateToken(ctx context.Context, raw string) (Principal, error) {
	if !strings.HasPrefix(raw, tokenPrefix) || len(raw) > 100 {
		return Principal{}, errBadToken
	}
	var id, agentID int64
	var scopes string
	var expires, lastUsed, revoked sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, agent_id, scopes, expires_at, last_used_at, revoked_at FROM api_tokens
		WHERE token_hash = $1`, digest(raw)).Scan(&id, &agentID, &scopes, &expires, &lastUsed, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: token: %w", err)
	}
	now := db.Millis(s.now())
	if revoked.Valid || (expires.Valid && expires.Int64 <= now) {
		return Principal{}, errBadToken
	}
	ag, err := s.o.Directory.AgentByID(ctx, agentID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ag.Disabled) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if !lastUsed.Valid || now-lastUsed.Int64 > time.Minute.Milliseconds() {
		if err := s.db.WithTx(ctx, func(ctx context.Context) error {
			_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id)
			return err
		}); err != nil {
			return Principal{}, fmt.Errorf("auth: token last used: %w", err)
		}
	}
	return Principal{Kind: AgentPrincipal, AgentID: ag.ID, Name: ag.Name, Role: ag.Role, TokenID: id, Scopes: splitScopes(scopes)}, nil
}

// ListTokens returns an agent's tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, agentID int64) ([]Token, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, agent_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at
		FROM api_tokens WHERE agent_id = $1 ORDER BY id DESC`, agentID)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var scopes string
		var created int64
		var expires, used, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.AgentID, &t.Name, &t.Prefix, &scopes, &created, &expires, &used, &revoked); err != nil {
			return nil, fmt.Errorf("auth: list tokens: %w", err)
		}
		t.Scopes, t.CreatedAt = splitScopes(scopes), db.Time(created)
		t.ExpiresAt, t.LastUsedAt, t.RevokedAt = db.NullTime(expires), db.NullTime(used), db.NullTime(revoked)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the agent's own tokens.
func (s *Service) RevokeToken(ctx context.Context, agentID, tokenID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND agent_id = $3 AND revoked_at IS NULL`,
			db.Millis(s.now()), tokenID, agentID)
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("auth.token_not_found", "token %d not found", tokenID)
		}
		return s.o.Audit.Record(ctx, "auth.token_revoke", "agent", agentID, map[string]any{"token": tokenID})
	})
}

func joinScopes(ps []Permission) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = string(p)
	}
	return strings.Join(ss, " ")
}

func splitScopes(s string) []Permission {
	var out []Permission
	for _, f := range strings.Fields(s) {
		out = append(out, Permission(f))
	}
	return out
}
