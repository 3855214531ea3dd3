// Package app wires Vigil together: it opens storage, builds the services
// in dependency order, and starts and stops the server. It is the only
// package that imports everything.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/automation"
	"vigil/internal/bot"
	"vigil/internal/callback"
	"vigil/internal/canned"
	"vigil/internal/channel"
	"vigil/internal/channel/discord"
	"vigil/internal/channel/email"
	"vigil/internal/channel/settings"
	"vigil/internal/channel/sms"
	"vigil/internal/channel/telegram"
	"vigil/internal/compliance"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/kb"
	"vigil/internal/macro"
	"vigil/internal/realtime"
	"vigil/internal/report"
	"vigil/internal/routing"
	"vigil/internal/sla"
	"vigil/internal/ticket"
	"vigil/internal/trust"
	"vigil/internal/webhook"
)

// App holds the opened storage and the domain services.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	DB        *db.DB
	Bus       event.Bus
	Audit     *audit.Log
	Agents    *agent.Service
	Customers *customer.Service
	Tickets   *ticket.Service
	Canned    *canned.Service
	Auth      *auth.Service
	Hub       *realtime.Hub
	Router    *routing.Router
	SLA       *sla.Service
	KB        *kb.Service
	Bot       *bot.Bot
	Jobs      *job.Queue
	Reports   *report.Service
	Macros    *macro.Service
	Webhooks  *webhook.Service
	Rules     *automation.Service
	Channels  *channel.Service
	Mail      *email.Receiver   // nil unless the email channel is configured
	Telegram  *telegram.Webhook // nil unless the Telegram bot is configured
	SMS       *sms.Webhook      // nil unless the SMS channel is configured
	// Exchange is the connector to the exchange backend; nil when none
	// is configured. Sandbox is set when it is the built-in sandbox.
	Exchange exchange.Connector
	Sandbox  *exchange.Sandbox
	Trust    *trust.Service
	Settings *settings.Service // channel settings administrators keep in the console
	Discord  *discord.Bot      // nil unless the Discord bot is configured
	// Incidents keeps incidents and the status page.
	Incidents *incident.Service
	// Callbacks keeps phone callback requests and their calls.
	Callbacks *callback.Service
	// Compliance keeps legal holds and runs retention, export and erasure.
	Compliance *compliance.Service
	consoles   consoles
	Now        func() time.Time
	// Instance names this process on the bus (host, address, pid).
	Instance string
	closers  []func() error
}

// Open connects to the database, applies migrations and builds services.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "component", "db", "dialect", d.Dialect, "migrations", applied)
	}
	a, err := New(cfg, log, d, time.Now)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// New builds the services over an opened, migrated database.
func New(cfg config.Config, log *slog.Logger, d *db.DB, now func() time.Time) (*App, error) {
	instance := instanceName(cfg)
	var bus event.Bus = event.NewMemory()
	var closers []func() error
	if cfg.NATSURL != "" {
		nb, err := event.NewNATS(event.NATSOptions{URL: cfg.NATSURL, Origin: instance, Logger: log})
		if err != nil {
			return nil, err
		}
		bus = nb
		closers = append(closers, nb.Close)
	}
	a := &App{Config: cfg, Log: log, DB: d, Bus: bus, Now: now, Instance: instance, closers: closers}
	a.Audit = audit.NewSigned(d, now, cfg.SecretKey)
	a.Agents = agent.New(d, a.Audit, bus, now)
	a.Customers = customer.New(d, a.Audit, bus, now)
	files := filepath.Join(cfg.DataDir, "attachments")
	if err := os.MkdirAll(files, 0o750); err != nil {
		return nil, fmt.Errorf("app: attachments dir: %w", err)
	}
	for _, cat := range cfg.UrgentCategories {
		if !slices.Contains(ticket.Categories, cat) {
			return nil, fmt.Errorf("VIGIL_URGENT_CATEGORIES: %q is not one of %s", cat, strings.Join(ticket.Categories, ", "))
		}
	}
	a.SLA = sla.New(d, a.Audit, now, ticket.Vocabulary())
	a.Jobs = job.New(job.Options{DB: d, Now: now, Log: log})
	if err := a.connectExchange(); err != nil {
		return nil, err
	}
	screen := trust.NewScreen(d, a.Audit, now, i18n.T, trust.DefaultPolicy.CodeAttempts)
	a.Tickets = ticket.New(ticket.Options{DB: d, Audit: a.Audit, Bus: bus, Customers: a.Customers, Now: now, Policies: a.SLA, Outbox: a.Jobs, Redactor: screen,
		Files: &ticket.Files{Dir: files, MaxSize: cfg.MaxUploadMB << 20},
		Rules: &ticket.PriorityRules{UrgentCategories: cfg.UrgentCategories, VIPTier: int(cfg.VIPPriorityTier)},
		Complaints: &ticket.ComplaintRules{Ack: cfg.Compliance.ComplaintAck, Final: cfg.Compliance.ComplaintFinal,
			Calendar: cfg.Compliance.ComplaintCalendar}})
	a.Trust = trust.New(trust.Options{DB: d, Audit: a.Audit, Exchange: a.Exchange, Customers: a.Customers, Tickets: a.Tickets,
		Screen: screen, Now: now, T: i18n.T, Staff: staff{a.Agents}.lookup})
	a.Canned = canned.New(d, a.Audit, now)
	a.Auth = auth.New(auth.Options{DB: d, Audit: a.Audit, Directory: directory{a.Agents}, Now: now,
		SessionTTL: cfg.SessionTTL, Issuer: "Vigil"})
	a.Router = routing.New(routing.Options{Agents: a.Agents, Customers: a.Customers, Tickets: a.Tickets, Bus: bus, Logger: log, Now: now,
		Lock: func(ctx context.Context) (func(), bool, error) { return d.TryLock(ctx, db.LockRouting) }})
	a.Hub = realtime.New(realtime.Options{Bus: bus, Backend: hubBackend{a}, Logger: log, Instance: instance})
	// The search index lives in memory, rebuilt from the database at start
	// and after every published change.
	a.KB = kb.New(d, a.Audit, log, now)
	if err := a.KB.Reindex(context.Background()); err != nil {
		return nil, err
	}
	var gen bot.Generator
	if cfg.BotLLMURL != "" {
		gen = &bot.OpenAI{BaseURL: cfg.BotLLMURL, Model: cfg.BotLLMModel, Key: cfg.BotLLMKey}
	}
	if err := a.openCallbacks(); err != nil {
		return nil, err
	}
	a.Incidents = incident.New(incident.Options{DB: d, Audit: a.Audit, Tickets: a.Tickets, Customers: a.Customers, Jobs: a.Jobs,
		VerifyURL: strings.TrimSuffix(cfg.PublicURL, "/") + "/verify", Exchange: outreachOf(a.Exchange), ChannelRates: cfg.OutreachRates, Accounts: a.Exchange,
		Callbacks: a.Callbacks, Now: now})
	a.Bot = bot.New(bot.Options{DB: d, KB: a.KB, Tickets: a.Tickets, Bus: bus, Log: log, Now: now, Generator: gen,
		Account: botAccount{a}, Incidents: a.Incidents})
	a.openSettings(context.Background())
	a.Reports = report.New(report.Options{DB: d, Tickets: a.Tickets, Facts: a.Tickets, Customers: a.Customers, Bot: a.Bot, Secret: []byte(cfg.SecretKey), PublicURL: cfg.PublicURL, Now: now,
		Online: a.Agents.OnlineCount})
	a.Webhooks = webhook.New(webhook.Options{DB: d, Audit: a.Audit, Outbox: a.Jobs, Log: log, Now: now})
	a.Macros = macro.New(macro.Options{DB: d, Audit: a.Audit, Tickets: a.Tickets, Customers: a.Customers, Now: now})
	a.Rules = automation.New(automation.Options{DB: d, Audit: a.Audit, Bus: a.Bus, Tickets: a.Tickets, Outbox: a.Jobs, Macros: a.Macros,
		Webhooks: a.Webhooks, Agents: a.Agents, Now: now})
	if err := a.openChannels(); err != nil {
		return nil, err
	}
	a.openCompliance()
	return a, nil
}

// Close releases the bus and storage.
func (a *App) Close() error {
	var errs []error
	for _, c := range a.closers {
		errs = append(errs, c())
	}
	return errors.Join(append(errs, a.DB.Close())...)
}

// instanceName names this process among the instances sharing a bus.
func instanceName(cfg config.Config) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%s:%d", host, cfg.Addr, os.Getpid())
}

// connectExchange builds the exchange connector the configuration asks for.
func (a *App) connectExchange() error {
	cfg := a.Config
	switch {
	case cfg.ExchangeURL == "sandbox" || (cfg.ExchangeURL == "" && cfg.Demo):
		a.Exchange, a.Sandbox = exchange.NewSandboxClient(a.Now, func(c exchange.SentCode) {
			// Only the sandbox logs a code: it stands in for the customer's phone.
			a.Log.Info("sandbox exchange delivered a one-time code", "component", "exchange", "uid", c.UID,
				"channel", c.Channel, "sandbox_code", c.Code)
		})
	case cfg.ExchangeURL != "":
		c, err := exchange.NewClient(exchange.ClientOptions{BaseURL: cfg.ExchangeURL, Secret: []byte(cfg.ExchangeSecret),
			Timeout: cfg.ExchangeTimeout, Now: a.Now})
		if err != nil {
			return err
		}
		a.Exchange = c
	}
	return nil
}

// staff adapts the agent service to the verifier's staff-ID check.
type staff struct{ agents *agent.Service }

func (s staff) lookup(ctx context.Context, id int64) (string, bool, error) {
	ag, err := s.agents.Ref(ctx, id)
	return ag.Name, !ag.Disabled, err
}

// directory adapts the agent service to what auth needs.
type directory struct{ agents *agent.Service }

func (d directory) AgentByEmail(ctx context.Context, email string) (auth.AgentRef, error) {
	ag, err := d.agents.ByEmail(ctx, email)
	return ref(ag), err
}

func (d directory) AgentByID(ctx context.Context, id int64) (auth.AgentRef, error) {
	ag, err := d.agents.Ref(ctx, id)
	return ref(ag), err
}

func ref(ag agent.Agent) auth.AgentRef {
	return auth.AgentRef{ID: ag.ID, Email: ag.Email, Name: ag.Name, Role: auth.Role(ag.Role), Disabled: ag.Disabled}
}

// systemCtx marks work done by Vigil itself in the audit log.
func systemCtx(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Kind: "system"})
}
