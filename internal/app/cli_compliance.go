package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"vigil/internal/customer"
)

// cmdCustomer exports what the desk holds about one customer.
func cmdCustomer(ctx context.Context, args []string, std IO) error {
	if len(args) < 3 || args[0] != "export" {
		return errors.New("usage: vigil customer export UID DIR   (UID is the exchange UID, or id:N for the desk's id)")
	}
	who, dir := args[1], args[2]
	return withApp(ctx, "customer export", args[3:], std, func(ctx context.Context, a *App) error {
		c, err := findCustomer(ctx, a.Customers, who)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		path := filepath.Join(dir, fmt.Sprintf("customer-%d-%s.zip", c.ID, a.Now().UTC().Format("20060102-150405")))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := a.Compliance.Export(ctx, c.ID, f); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "exported customer %d to %s\n", c.ID, path)
		return nil
	})
}

func findCustomer(ctx context.Context, cs *customer.Service, who string) (customer.Customer, error) {
	if v, ok := strings.CutPrefix(who, "id:"); ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return customer.Customer{}, fmt.Errorf("%q is not a customer id", v)
		}
		return cs.ByID(ctx, id)
	}
	return cs.ByUID(ctx, who)
}

// cmdRetention runs one retention pass now, as the server does on its
// interval.
func cmdRetention(ctx context.Context, args []string, std IO) error {
	if len(args) == 0 || args[0] != "run" {
		return errors.New("usage: vigil retention run")
	}
	return withApp(ctx, "retention run", args[1:], std, func(ctx context.Context, a *App) error {
		r, err := a.Compliance.RunRetention(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "retention: %d conversations emptied (%d messages), %d attachments, %d recordings, %d audit entries pruned, %d stray files; %d customers under legal hold skipped\n",
			r.Conversations, r.Messages, r.Attachments, r.Recordings, r.AuditEntries, r.StrayFiles, r.Held)
		return nil
	})
}
