package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
)

// TestDemoCoverage loads the demo and reads its coverage as a supervisor:
// real hours covered around the world, at least one honest gap, and an
// on-call supervisor for account security.
func TestDemoCoverage(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ctx := systemCtx(context.Background())
	if _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	sam, err := a.Agents.ByEmail(ctx, "sam@vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Deps{Agents: a.Agents, Now: a.Now})
	rep, err := h.Coverage(ctx, auth.Principal{Kind: auth.AgentPrincipal, AgentID: sam.ID, Role: auth.RoleSupervisor},
		api.CoverageQuery{Zone: time.UTC, Week: now}, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Teams) != 3 {
		t.Fatalf("coverage for %d teams, want the 3 demo teams", len(rep.Teams))
	}
	var gaps []string
	for _, tc := range rep.Teams {
		covered := 0
		for _, day := range tc.Total {
			for _, n := range day {
				if n > 0 {
					covered++
				}
			}
		}
		if covered < 40 {
			t.Errorf("%s: %d hours covered in the demo week, want a real schedule", tc.TeamName, covered)
		}
		for _, g := range tc.Gaps {
			gaps = append(gaps, g.Text)
		}
		for _, l := range tc.Languages {
			for _, g := range l.Gaps {
				gaps = append(gaps, g.Text)
			}
		}
	}
	joined := strings.Join(gaps, "\n")
	t.Logf("demo gaps:\n%s", joined)
	if !strings.Contains(joined, "No Chinese-speaking agent") || !strings.Contains(joined, "Nobody is scheduled") {
		t.Errorf("demo gaps do not include both a team gap and a Chinese gap:\n%s", joined)
	}
	security := rep.Teams[0] // teams are listed by name: Account Security first
	if security.TeamName != "Account Security" {
		t.Fatalf("first team %q", security.TeamName)
	}
	if who, err := a.Agents.OnCall(ctx, security.TeamID, now); err != nil || who.Role == "agent" {
		t.Errorf("on call for security: %+v, %v", who, err)
	}
}
