package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// TOTPEnrolment is what an agent scans into an authenticator app.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

const totpPeriod = 30

// BeginTOTP creates a pending secret; it takes effect once confirmed.
func (s *Service) BeginTOTP(ctx context.Context, agentID int64, accountEmail string) (TOTPEnrolment, error) {
	cred, err := s.credentials(ctx, agentID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if cred.totpEnabled {
		return TOTPEnrolment{}, apperr.Conflictf("auth.totp_enabled", "two-factor authentication is already set up; an administrator can reset it")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.o.Issuer, AccountName: accountEmail, Period: totpPeriod})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp generate: %w", err)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE agent_credentials SET totp_pending = $1, updated_at = $2 WHERE agent_id = $3`,
			key.Secret(), db.Millis(s.now()), agentID)
		if err != nil {
			return fmt.Errorf("auth: totp begin: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Conflictf("auth.no_credentials", "set a password before two-factor authentication")
		}
		return s.o.Audit.Record(ctx, "auth.totp_begin", "agent", agentID, nil)
	})
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, err
}

// ConfirmTOTP enables the pending secret when code matches, and returns
// ten one-time recovery codes, shown this once and stored as digests.
func (s *Service) ConfirmTOTP(ctx context.Context, agentID int64, code string) ([]string, error) {
	cred, err := s.credentials(ctx, agentID)
	if err != nil {
		return nil, err
	}
	if cred.totpPending == "" {
		return nil, apperr.Field("code", "auth.totp_not_started", "start two-factor enrolment first")
	}
	step, ok := matchTOTP(cred.totpPending, code, s.now())
	if !ok {
		return nil, apperr.Field("code", "auth.totp_invalid", "the code is wrong; check the device's clock")
	}
	codes := make([]string, 10)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `UPDATE agent_credentials SET totp_secret = totp_pending, totp_pending = '',
			totp_enabled = $1, totp_last_step = $2, updated_at = $3 WHERE agent_id = $4`, true, step, db.Millis(s.now()), agentID); err != nil {
			return fmt.Errorf("auth: totp confirm: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM recovery_codes WHERE agent_id = $1`, agentID); err != nil {
			return fmt.Errorf("auth: recovery codes: %w", err)
		}
		for i := range codes {
			raw := recoveryCode()
			codes[i] = raw[:5] + "-" + raw[5:10]
			if _, err := q.ExecContext(ctx, `INSERT INTO recovery_codes (agent_id, code_hash) VALUES ($1, $2)`,
				agentID, digest(codes[i])); err != nil {
				return fmt.Errorf("auth: recovery codes: %w", err)
			}
		}
		return s.o.Audit.Record(ctx, "auth.totp_enabled", "agent", agentID, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP removes an agent's second factor (an administrator's reset
// for a lost phone); the agent's sessions end.
func (s *Service) DisableTOTP(ctx context.Context, agentID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `UPDATE agent_credentials SET totp_secret = '', totp_pending = '', totp_enabled = $1,
			totp_last_step = 0, updated_at = $2 WHERE agent_id = $3`, false, db.Millis(s.now()), agentID); err != nil {
			return fmt.Errorf("auth: totp disable: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM recovery_codes WHERE agent_id = $1`, agentID); err != nil {
			return fmt.Errorf("auth: totp disable: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE agent_id = $1`, agentID); err != nil {
			return fmt.Errorf("auth: totp disable: %w", err)
		}
		return s.o.Audit.Record(ctx, "auth.totp_disabled", "agent", agentID, nil)
	})
}

// TOTPEnabled reports whether the agent has a confirmed second factor.
func (s *Service) TOTPEnabled(ctx context.Context, agentID int64) (bool, error) {
	cred, err := s.credentials(ctx, agentID)
	return cred.totpEnabled, err
}

// checkTOTP accepts a code once: the matched time step must be newer than
// the last one used, so a code seen over a shoulder cannot be replayed.
func (s *Service) checkTOTP(ctx context.Context, agentID int64, secret string, lastStep int64, code string) error {
	step, ok := matchTOTP(secret, code, s.now())
	if !ok || step <= lastStep {
		return &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.totp_invalid", Field: "totp_code", Message: "the code is wrong or was already used"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE agent_credentials SET totp_last_step = $1 WHERE agent_id = $2 AND totp_last_step < $1`, step, agentID)
		if err != nil {
			return fmt.Errorf("auth: totp step: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.totp_invalid", Field: "totp_code", Message: "the code was already used"}
		}
		return nil
	})
}

// matchTOTP checks code against the steps around now (±1 for clock skew)
// and returns the step that matched.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		if hmac.Equal([]byte(hotp(key, step)), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

// hotp is RFC 4226 with SHA-1 and six digits, as authenticator apps use.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// useRecoveryCode spends one recovery code.
func (s *Service) useRecoveryCode(ctx context.Context, agentID int64, code string) error {
	// Accept the code as printed ("abcde-fghij"), without the hyphen, in
	// capitals or with spaces.
	code = strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(code))
	if len(code) == 10 {
		code = code[:5] + "-" + code[5:]
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1
			WHERE agent_id = $2 AND code_hash = $3 AND used_at IS NULL`, db.Millis(s.now()), agentID, digest(code))
		if err != nil {
			return fmt.Errorf("auth: recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.recovery_invalid", Field: "recovery_code", Message: "the recovery code is wrong or was already used"}
		}
		return s.o.Audit.Record(ctx, "auth.recovery_code_used", "agent", agentID, nil)
	})
}

// recoveryCode is 50 random bits written as "xxxxx-xxxxx" in base32.
func recoveryCode() string {
	b := make([]byte, 7)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:10]
}
