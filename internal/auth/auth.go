// Package auth signs agents in and decides what a caller may do: argon2id
// passwords, server-side sessions, TOTP with recovery codes, scoped API
// tokens, lockout, and the role → permission table.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"time"

	"vigil/internal/audit"
	"vigil/internal/db"
)

// Role is an agent's role.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// Permission names one kind of action; routes require one each.
type Permission string

const (
	PermConversationRead   Permission = "conversation:read"
	PermConversationWrite  Permission = "conversation:write"
	PermConversationAssign Permission = "conversation:assign"
	PermConversationMerge  Permission = "conversation:merge"
	PermCustomerRead       Permission = "customer:read"
	PermCustomerWrite      Permission = "customer:write"
	PermCustomerMerge      Permission = "customer:merge"
	PermAgentRead          Permission = "agent:read"
	PermAgentManage        Permission = "agent:manage"
	PermTeamManage         Permission = "team:manage"
	PermTagManage          Permission = "tag:manage"
	PermAuditRead          Permission = "audit:read"
	PermTokenManage        Permission = "token:manage"
	PermSettingsManage     Permission = "settings:manage"
	PermCannedManage       Permission = "canned:manage"
	PermSLAManage          Permission = "sla:manage"
	PermShiftManage        Permission = "shift:manage"
	PermKBManage           Permission = "kb:manage"
	// PermUnfreezeApprove is the second person of the two-person unfreeze.
	PermUnfreezeApprove Permission = "account:unfreeze"
	// PermOfficialManage keeps the registry of official channels.
	PermOfficialManage Permission = "official:manage"
	PermReportRead     Permission = "report:read"
	// PermIncidentManage declares, updates and resolves incidents and sets
	// the status page's component states.
	PermIncidentManage Permission = "incident:manage"
	// PermComplianceManage places legal holds, exports and erases a
	// customer's data and runs retention. Marking a complaint needs only
	// conversation:write.
	PermComplianceManage Permission = "compliance:manage"
)

var agentPerms = []Permission{PermConversationRead, PermConversationWrite, PermConversationAssign,
	PermCustomerRead, PermCustomerWrite, PermAgentRead, PermTokenManage}

var supervisorPerms = append(slices.Clone(agentPerms), PermConversationMerge, PermCustomerMerge,
	PermTagManage, PermAuditRead, PermTeamManage, PermCannedManage, PermSLAManage, PermShiftManage, PermKBManage, PermUnfreezeApprove,
	PermReportRead, PermIncidentManage)

var adminPerms = append(slices.Clone(supervisorPerms), PermAgentManage, PermSettingsManage, PermOfficialManage, PermComplianceManage)

// rolePerms is the whole permission table.
var rolePerms = map[Role][]Permission{RoleAgent: agentPerms, RoleSupervisor: supervisorPerms, RoleAdmin: adminPerms}

// Permissions returns what a role may do.
func Permissions(r Role) []Permission { return slices.Clone(rolePerms[r]) }

// PrincipalKind says what kind of caller a request comes from.
type PrincipalKind string

const (
	Anonymous         PrincipalKind = "anonymous"
	AgentPrincipal    PrincipalKind = "agent"
	CustomerPrincipal PrincipalKind = "customer"
)

// Principal is an authenticated caller.
type Principal struct {
	Kind          PrincipalKind
	AgentID       int64
	Name          string
	Role          Role
	CustomerID    int64
	SessionID     int64
	TokenID       int64
	Scopes        []Permission // an API token's scopes; nil for sessions
	CSRFToken     string
	MustEnrolTOTP bool // an administrator who has not set up TOTP yet
	Verified      bool // a customer whose identity the exchange signed
}

// IsAgent reports whether the caller is a signed-in agent.
func (p Principal) IsAgent() bool { return p.Kind == AgentPrincipal && p.AgentID != 0 }

// SeesAllTeams reports whether the caller sees every team's conversations.
func (p Principal) SeesAllTeams() bool {
	return p.IsAgent() && (p.Role == RoleSupervisor || p.Role == RoleAdmin)
}

// Can reports whether the role grants perm and, for a token, its scope too.
func (p Principal) Can(perm Permission) bool {
	if !p.IsAgent() || !slices.Contains(rolePerms[p.Role], perm) {
		return false
	}
	return p.TokenID == 0 || slices.Contains(p.Scopes, perm)
}

// Directory is how auth finds agents; the agent package owns them.
type Directory interface {
	AgentByEmail(ctx context.Context, email string) (AgentRef, error)
	AgentByID(ctx context.Context, id int64) (AgentRef, error)
}

// AgentRef is what auth needs to know about an agent.
type AgentRef struct {
	ID       int64
	Email    string
	Name     string
	Role     Role
	Disabled bool
}

// Options configure the Service. Zero values take the defaults noted.
type Options struct {
	DB          *db.DB
	Audit       *audit.Log
	Directory   Directory
	Now         func() time.Time
	SessionTTL  time.Duration // 12h
	SessionIdle time.Duration // 2h without activity ends a session
	MaxFailures int           // 5 consecutive failures lock the account
	LockFor     time.Duration // 15m
	Issuer      string        // shown in authenticator apps
	// Argon2id cost; the defaults are OWASP's minimum (19 MiB, 2 passes).
	ArgonMemoryKiB uint32
	ArgonTime      uint32
}

// Service implements sign-in and authorisation.
type Service struct {
	o   Options
	db  *db.DB
	now func() time.Time
	// dummyHash is verified against when an email is unknown, so a wrong
	// email takes as long as a wrong password.
	dummyHash string
}

// New returns a Service.
func New(o Options) *Service {
	if o.SessionTTL == 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = 2 * time.Hour
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 5
	}
	if o.LockFor == 0 {
		o.LockFor = 15 * time.Minute
	}
	if o.Issuer == "" {
		o.Issuer = "Vigil"
	}
	if o.ArgonMemoryKiB == 0 {
		o.ArgonMemoryKiB = 19 * 1024
	}
	if o.ArgonTime == 0 {
		o.ArgonTime = 2
	}
	s := &Service{o: o, db: o.DB, now: o.Now}
	s.dummyHash = s.hashPassword("not a real password, only for timing")
	return s
}

// EqualSecret compares two secrets in constant time.
func EqualSecret(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// digest is how session and token values are stored: a fast SHA-256 is
// right for 256-bit random values (nothing to brute-force), unlike
// passwords.
func digest(raw string) string {
	h := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(h[:])
}
