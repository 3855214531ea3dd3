package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"vigil/internal/agent"
	"vigil/internal/config"
)

// Version is set at build time with -ldflags "-X vigil/internal/app.Version=…".
var Version = "dev"

const usage = `Vigil: a 24/7 support desk for cryptocurrency exchanges.

Usage:
  vigil serve [--demo] [--addr host:port] [--data-dir DIR] [--database-url URL]
  vigil migrate                 apply database migrations and exit
  vigil agent create --email E --name N [--role admin|supervisor|agent]
                                create an agent; the password is read from stdin
  vigil demo                    load demo data into the database
  vigil audit verify            check the audit log's hash chain
  vigil customer export UID DIR write everything held about a customer (exchange UID, or id:N) to DIR as a zip
  vigil retention run           remove what has outlived its retention now (see docs/compliance.md)
  vigil kb import DIR           bring the help center in line with DIR/*.md (Markdown with front matter)
  vigil kb export DIR           write every article translation to DIR as Markdown with front matter
  vigil bot eval --train FILE [--test FILE] [--cv FOLDS [--candidates NAME,...]] [--oos-label LABEL] [--json]
                                train the intent model on a text,label CSV and measure it
  vigil bench api [--json]      measure the JSON API (see docs/benchmarks.md)
  vigil bench chat [--json] [--customers N] [--agents M] [--messages K] [--url URL] [--idle N]
                                measure live chat over WebSockets (see docs/benchmarks.md)
  vigil version

Configuration comes from VIGIL_* environment variables (see README.md);
flags override them.
`

// IO is where a command reads and writes; tests pass buffers.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Run executes one command line and returns the process exit code.
func Run(ctx context.Context, args []string, std IO) int {
	if len(args) == 0 {
		fmt.Fprint(std.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], std)
	case "migrate":
		err = withApp(ctx, "migrate", args[1:], std, func(ctx context.Context, a *App) error {
			fmt.Fprintln(std.Stdout, "database is up to date")
			return nil
		})
	case "agent":
		err = cmdAgent(ctx, args[1:], std)
	case "demo":
		err = withApp(ctx, "demo", args[1:], std, func(ctx context.Context, a *App) error {
			creds, err := a.LoadDemo(ctx)
			if err != nil {
				return err
			}
			printDemo(std.Stdout, creds)
			return nil
		})
	case "audit":
		err = cmdAudit(ctx, args[1:], std)
	case "kb":
		err = cmdKB(ctx, args[1:], std)
	case "customer":
		err = cmdCustomer(ctx, args[1:], std)
	case "retention":
		err = cmdRetention(ctx, args[1:], std)
	case "bot":
		err = cmdBot(args[1:], std)
	case "bench":
		if len(args) > 1 && args[1] == "chat" {
			err = cmdBenchChat(ctx, args[2:], std)
		} else {
			err = cmdBench(ctx, args[1:], std)
		}
	case "version", "--version", "-v":
		fmt.Fprintln(std.Stdout, "vigil", Version)
	case "help", "--help", "-h":
		fmt.Fprint(std.Stdout, usage)
	default:
		fmt.Fprintf(std.Stderr, "vigil: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintln(std.Stderr, "vigil:", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withApp loads configuration, opens the app, runs fn and closes it.
func withApp(ctx context.Context, name string, args []string, std IO, fn func(context.Context, *App) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	cfg, err := config.Load(fs, args, std.Getenv)
	if err != nil {
		return err
	}
	a, err := Open(ctx, cfg, newLogger(cfg, std.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(systemCtx(ctx), a)
}

func cmdServe(ctx context.Context, args []string, std IO) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	cfg, err := config.Load(fs, args, std.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, std.Stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		empty, err := a.Empty(ctx)
		if err != nil {
			return err
		}
		if empty {
			creds, err := a.LoadDemo(systemCtx(ctx))
			if err != nil {
				return err
			}
			printDemo(std.Stdout, creds)
		} else {
			log.Info("database already has data; demo data not loaded", "component", "app")
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(std.Stdout, "Vigil is listening on http://%s\n", ln.Addr())
	return a.Serve(ctx, ln)
}

func cmdAgent(ctx context.Context, args []string, std IO) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: vigil agent create --email E --name N [--role admin|supervisor|agent]")
	}
	fs := flag.NewFlagSet("agent create", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	email := fs.String("email", "", "the agent's email (sign-in name)")
	name := fs.String("name", "", "the agent's display name")
	role := fs.String("role", "admin", "admin, supervisor or agent")
	cfg, err := config.Load(fs, args[1:], std.Getenv)
	if err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return errors.New("agent create: --email and --name are required")
	}
	password, err := readPassword(std)
	if err != nil {
		return err
	}
	a, err := Open(ctx, cfg, newLogger(cfg, std.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = systemCtx(ctx)
	r := agent.Role(*role)
	var created agent.Agent
	err = a.DB.WithTx(ctx, func(ctx context.Context) error {
		if created, err = a.Agents.Create(ctx, agent.Input{Email: email, Name: name, Role: &r}); err != nil {
			return err
		}
		return a.Auth.SetPassword(ctx, created.ID, password)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(std.Stdout, "created %s %s (id %d)\n", created.Role, created.Email, created.ID)
	if created.Role == agent.RoleAdmin {
		fmt.Fprintln(std.Stdout, "administrators must set up two-factor authentication at first sign-in")
	}
	return nil
}

// readPassword prompts without echo on a terminal, or reads one line from
// a pipe (vigil agent create … < password.txt).
func readPassword(std IO) (string, error) {
	if f, ok := std.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.Stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(std.Stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.Stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords do not match")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(std.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

func cmdAudit(ctx context.Context, args []string, std IO) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: vigil audit verify")
	}
	var broken bool
	err := withApp(ctx, "audit verify", args[1:], std, func(ctx context.Context, a *App) error {
		n, brk, err := a.Audit.Verify(ctx)
		if err != nil {
			return err
		}
		if brk != nil {
			fmt.Fprintf(std.Stdout, "audit chain BROKEN at entry %d: %s (%d entries read)\n", brk.Seq, brk.Reason, n)
			broken = true
			return nil
		}
		fmt.Fprintf(std.Stdout, "audit chain intact: %d entries\n", n)
		return nil
	})
	if err == nil && broken {
		return errors.New("audit verification failed")
	}
	return err
}
