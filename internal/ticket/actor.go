package ticket

import (
	"context"

	"vigil/internal/audit"
)

func auditActor(ctx context.Context) actorRef {
	a := audit.ActorFrom(ctx)
	return actorRef{kind: a.Kind, id: a.ID}
}
