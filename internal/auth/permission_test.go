package auth_test

import (
	"testing"

	"vigil/internal/auth"
)

// TestRolePermissions pins the role → permission table: a change to who may
// do what must show up here.
func TestRolePermissions(t *testing.T) {
	t.Parallel()
	type row struct {
		perm                     auth.Permission
		agent, supervisor, admin bool
	}
	table := []row{
		{auth.PermConversationRead, true, true, true},
		{auth.PermConversationWrite, true, true, true},
		{auth.PermConversationAssign, true, true, true},
		{auth.PermCustomerRead, true, true, true},
		{auth.PermCustomerWrite, true, true, true},
		{auth.PermAgentRead, true, true, true},
		{auth.PermTokenManage, true, true, true},
		{auth.PermConversationMerge, false, true, true},
		{auth.PermCustomerMerge, false, true, true},
		{auth.PermTagManage, false, true, true},
		{auth.PermAuditRead, false, true, true},
		{auth.PermTeamManage, false, true, true},
		{auth.PermCannedManage, false, true, true},
		{auth.PermSLAManage, false, true, true},
		{auth.PermShiftManage, false, true, true},
		{auth.PermKBManage, false, true, true},
		{auth.PermReportRead, false, true, true},
		{auth.PermAgentManage, false, false, true},
		{auth.PermSettingsManage, false, false, true},
		{auth.PermUnfreezeApprove, false, true, true},
		{auth.PermOfficialManage, false, false, true},
		{auth.PermComplianceManage, false, false, true},
		{auth.PermIncidentManage, false, true, true},
	}
	for _, r := range table {
		for role, want := range map[auth.Role]bool{auth.RoleAgent: r.agent, auth.RoleSupervisor: r.supervisor, auth.RoleAdmin: r.admin} {
			p := auth.Principal{Kind: auth.AgentPrincipal, AgentID: 1, Role: role, SessionID: 1}
			if got := p.Can(r.perm); got != want {
				t.Errorf("%s Can(%s) = %v, want %v", role, r.perm, got, want)
			}
		}
	}
	// Nothing outside the table is granted.
	inTable := map[auth.Permission]bool{}
	for _, r := range table {
		inTable[r.perm] = true
	}
	for _, role := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin} {
		for _, p := range auth.Permissions(role) {
			if !inTable[p] {
				t.Errorf("%s has %s, which this table does not list", role, p)
			}
		}
	}
	if got := auth.Permissions("intern"); len(got) != 0 {
		t.Errorf("Permissions(intern) = %v, want none", got)
	}
}

func TestPermissionsReturnsACopy(t *testing.T) {
	t.Parallel()
	ps := auth.Permissions(auth.RoleAgent)
	ps[0] = auth.PermSettingsManage
	p := auth.Principal{Kind: auth.AgentPrincipal, AgentID: 1, Role: auth.RoleAgent}
	if p.Can(auth.PermSettingsManage) {
		t.Error("editing the result of Permissions granted a permission")
	}
}

func TestPrincipalWithoutAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    auth.Principal
	}{
		{"anonymous", auth.Principal{Kind: auth.Anonymous, Role: auth.RoleAdmin}},
		{"customer", auth.Principal{Kind: auth.CustomerPrincipal, CustomerID: 1, Role: auth.RoleAdmin}},
		{"agent kind without an id", auth.Principal{Kind: auth.AgentPrincipal, Role: auth.RoleAdmin}},
		{"unknown role", auth.Principal{Kind: auth.AgentPrincipal, AgentID: 1, Role: "intern"}},
	}
	for _, tt := range tests {
		if tt.p.Can(auth.PermConversationRead) || tt.p.SeesAllTeams() {
			t.Errorf("%s: Can(conversation:read) = %v, SeesAllTeams = %v; want false", tt.name,
				tt.p.Can(auth.PermConversationRead), tt.p.SeesAllTeams())
		}
	}
}

func TestSeesAllTeams(t *testing.T) {
	t.Parallel()
	for role, want := range map[auth.Role]bool{auth.RoleAgent: false, auth.RoleSupervisor: true, auth.RoleAdmin: true} {
		p := auth.Principal{Kind: auth.AgentPrincipal, AgentID: 1, Role: role}
		if got := p.SeesAllTeams(); got != want {
			t.Errorf("%s SeesAllTeams = %v, want %v", role, got, want)
		}
	}
}

func TestEqualSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret", "s3creT", false},
		{"s3cret", "s3cre", false},
		{"", "", false}, // an unset secret never matches
		{"s3cret", "", false},
	}
	for _, tt := range tests {
		if got := auth.EqualSecret(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualSecret(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
