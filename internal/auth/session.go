package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
)

// LoginInput is one sign-in attempt.
type LoginInput struct {
	Email, Password, TOTPCode, RecoveryCode string
	IP, UserAgent                           string
}

// Session is a signed-in browser. Token is the raw cookie value, returned
// only when the session is created.
type Session struct {
	ID            int64
	Token         string
	AgentID       int64
	CSRFToken     string
	ExpiresAt     time.Time
	MustEnrolTOTP bool
}

type credentials struct {
	passwordHash string
	totpSecret   string
	totpPending  string
	totpEnabled  bool
	totpLastStep int64
	failed       int
	lockedUntil  int64
}

func (s *Service) credentials(ctx context.Context, agentID int64) (credentials, error) {
	var c credentials
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT password_hash, totp_secret, totp_pending, totp_enabled, totp_last_step,
		failed_logins, locked_until FROM agent_credentials WHERE agent_id = $1`, agentID).
		Scan(&c.passwordHash, &c.totpSecret, &c.totpPending, &c.totpEnabled, &c.totpLastStep, &c.failed, &c.lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return credentials{}, nil
	}
	if err != nil {
		return credentials{}, fmt.Errorf("auth: credentials: %w", err)
	}
	return c, nil
}

var errBadCredentials = &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.invalid_credentials", Message: "the email or password is wrong"}

// Login checks a password (and TOTP code when enabled) and opens a session.
// Unknown emails and wrong passwords fail the same way in about the same
// time; consecutive failures lock the account for a while.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "anonymous", IP: in.IP})
	ag, err := s.o.Directory.AgentByEmail(ctx, strings.TrimSpace(in.Email))
	if apperr.Is(err, apperr.NotFound) || (err == nil && ag.Disabled) {
		verifyPassword(s.dummyHash, in.Password)
		reason := "unknown email"
		if err == nil {
			reason = "disabled"
		}
		return Session{}, s.failAnonymous(ctx, reason, errBadCredentials)
	}
	if err != nil {
		return Session{}, err
	}
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "agent", ID: ag.ID, IP: in.IP})
	cred, err := s.credentials(ctx, ag.ID)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	if cred.lockedUntil > db.Millis(now) {
		return Session{}, s.fail(ctx, ag.ID, "locked", false, errLocked(cred.lockedUntil))
	}
	if cred.passwordHash == "" || !verifyPassword(cred.passwordHash, in.Password) {
		return Session{}, s.fail(ctx, ag.ID, "wrong password", true, errBadCredentials)
	}
	if cred.totpEnabled {
		switch {
		case in.RecoveryCode != "":
			if err := s.useRecoveryCode(ctx, ag.ID, in.RecoveryCode); err != nil {
				return Session{}, s.fail(ctx, ag.ID, "wrong recovery code", true, err)
			}
		case in.TOTPCode == "":
			return Session{}, &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.totp_required", Field: "totp_code",
				Message: "enter the code from your authenticator app"}
		default:
			if err := s.checkTOTP(ctx, ag.ID, cred.totpSecret, cred.totpLastStep, in.TOTPCode); err != nil {
				return Session{}, s.fail(ctx, ag.ID, "wrong totp code", true, err)
			}
		}
	}
	sess := Session{Token: randomToken(32), AgentID: ag.ID, CSRFToken: randomToken(24),
		ExpiresAt: now.Add(s.o.SessionTTL).UTC().Truncate(time.Millisecond), MustEnrolTOTP: ag.Role == RoleAdmin && !cred.totpEnabled}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		// Only while unlocked: attempts made at the same time as this one may
		// have locked the account since it was read above.
		res, err := q.ExecContext(ctx, `UPDATE agent_credentials SET failed_logins = 0, locked_until = 0
			WHERE agent_id = $1 AND locked_until <= $2`, ag.ID, db.Millis(now))
		if err != nil {
			return fmt.Errorf("auth: reset failures: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLockedMeanwhile
		}
		if err := q.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, agent_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`, digest(sess.Token), ag.ID, sess.CSRFToken, in.IP,
			truncate(in.UserAgent, 300), db.Millis(now), db.Millis(sess.ExpiresAt)).Scan(&sess.ID); err != nil {
			return fmt.Errorf("auth: create session: %w", err)
		}
		return s.o.Audit.Record(ctx, "auth.login", "agent", ag.ID, map[string]any{"session": sess.ID})
	})
	if errors.Is(err, errLockedMeanwhile) {
		until, err := s.lockedUntil(ctx, ag.ID)
		if err != nil {
			return Session{}, err
		}
		return Session{}, s.fail(ctx, ag.ID, "locked", false, errLocked(until))
	}
	if err != nil {
		return Session{}, err
	}
	return sess, nil
}

var errLockedMeanwhile = errors.New("auth: locked meanwhile")

func errLocked(until int64) error {
	return apperr.New(apperr.TooMany, "auth.locked", "too many failed sign-ins; try again after %s",
		db.Time(until).Format(time.RFC3339))
}

func (s *Service) lockedUntil(ctx context.Context, agentID int64) (int64, error) {
	var until int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT locked_until FROM agent_credentials WHERE agent_id = $1`, agentID).Scan(&until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("auth: lock state: %w", err)
	}
	return until, nil
}

// fail records a failed attempt (counting it towards the lock when count
// is set) and returns cause. The audit entry commits even though the
// sign-in fails.
func (s *Service) fail(ctx context.Context, agentID int64, reason string, count bool, cause error) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		detail := map[string]any{"reason": reason}
		if count {
			var failed int
			// Counted only while unlocked, so that attempts made at the same
			// time cannot each be judged once the account has locked.
			err := s.db.Q(ctx).QueryRowContext(ctx, `UPDATE agent_credentials SET failed_logins = failed_logins + 1
				WHERE agent_id = $1 AND locked_until <= $2 RETURNING failed_logins`, agentID, db.Millis(s.now())).Scan(&failed)
			if errors.Is(err, sql.ErrNoRows) {
				until, err := s.lockedUntil(ctx, agentID)
				if err != nil {
					return err
				}
				if until > db.Millis(s.now()) {
					cause, detail["reason"] = errLocked(until), "locked"
				}
			} else if err != nil {
				return fmt.Errorf("auth: count failure: %w", err)
			}
			if failed >= s.o.MaxFailures {
				until := s.now().Add(s.o.LockFor)
				if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE agent_credentials SET locked_until = $1, failed_logins = 0
					WHERE agent_id = $2`, db.Millis(until), agentID); err != nil {
					return fmt.Errorf("auth: lock: %w", err)
				}
				detail["locked_until"] = until.UTC().Format(time.RFC3339)
			}
		}
		return s.o.Audit.Record(ctx, "auth.login_failed", "agent", agentID, detail)
	})
	if err != nil {
		return err
	}
	return cause
}

func (s *Service) failAnonymous(ctx context.Context, reason string, cause error) error {
	if err := s.o.Audit.Record(ctx, "auth.login_failed", "agent", 0, map[string]any{"reason": reason}); err != nil {
		return err
	}
	return cause
}

var errNoSession = &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.required", Message: "sign in again"}

// Authenticate resolves a session cookie to its agent. Activity slides the
// idle timeout, written at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 100 {
		return Principal{}, errNoSession
	}
	var id, agentID, lastSeen, expires int64
	var csrf string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, agent_id, csrf_token, last_seen_at, expires_at FROM sessions
		WHERE token_hash = $1`, digest(token)).Scan(&id, &agentID, &csrf, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, errNoSession
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: session: %w", err)
	}
	now := s.now()
	if db.Millis(now) >= expires || db.Millis(now) >= lastSeen+s.o.SessionIdle.Milliseconds() {
		return Principal{}, errNoSession
	}
	ag, err := s.o.Directory.AgentByID(ctx, agentID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ag.Disabled) {
		return Principal{}, errNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Kind: AgentPrincipal, AgentID: ag.ID, Name: ag.Name, Role: ag.Role, SessionID: id, CSRFToken: csrf}
	if ag.Role == RoleAdmin {
		enabled, err := s.TOTPEnabled(ctx, ag.ID)
		if err != nil {
			return Principal{}, err
		}
		p.MustEnrolTOTP = !enabled
	}
	if db.Millis(now)-lastSeen > time.Minute.Milliseconds() {
		if err := s.db.WithTx(ctx, func(ctx context.Context) error {
			_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, db.Millis(now), id)
			return err
		}); err != nil {
			return Principal{}, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	return p, nil
}

// Logout ends the session with this token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var id, agentID int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING id, agent_id`, digest(token)).Scan(&id, &agentID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("auth: logout: %w", err)
		}
		return s.o.Audit.Record(ctx, "auth.logout", "agent", agentID, map[string]any{"session": id})
	})
}

// RevokeSessions signs an agent out everywhere (password change, role
// change, disabling).
func (s *Service) RevokeSessions(ctx context.Context, agentID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE agent_id = $1`, agentID)
		if err != nil {
			return fmt.Errorf("auth: revoke sessions: %w", err)
		}
		n, _ := res.RowsAffected()
		return s.o.Audit.Record(ctx, "auth.sessions_revoked", "agent", agentID, map[string]any{"sessions": n})
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
