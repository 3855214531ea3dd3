package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/channel/webchat"
	"vigil/internal/web"
)

// Handler builds the whole HTTP surface: JSON API, health, metrics.
func (a *App) Handler(reg *prometheus.Registry) http.Handler {
	clientIP := a.clientIP
	// One budget of sign-in attempts per address, whether through the API
	// or the console's form.
	logins := auth.NewSharedLimiter(a.DB, "login", 10.0/60, 10, a.Now)
	// One budget of verifier checks and of impersonation reports per
	// address, through the page or the API.
	verifies, reports := auth.NewSharedLimiter(a.DB, "verify", 0.5, 30, a.Now), auth.NewSharedLimiter(a.DB, "impersonation-report", 10.0/3600, 10, a.Now)
	// One budget for the public availability figures, JSON or widget.
	availability := auth.NewSharedLimiter(a.DB, "availability", 1, 30, a.Now)
	apiH := api.New(api.Deps{
		Auth: a.Auth, Agents: a.Agents, Customers: a.Customers, Tickets: a.Tickets, Channels: a.Channels, Canned: a.Canned, Router: a.Router, SLA: a.SLA, Audit: a.Audit,
		KB: a.KB, Bot: a.Bot, Trust: a.Trust, Settings: a.Settings, Reports: a.Reports, Macros: a.Macros, Webhooks: a.Webhooks, Automation: a.Rules,
		Transparency: a.Config.Transparency, TransparencyLimiter: availability, Incidents: a.Incidents, Compliance: a.Compliance,
		Callbacks: a.Callbacks,
		Logger:    a.Log, MaxBody: a.Config.MaxBodyBytes, MaxUpload: a.Config.MaxUploadMB << 20,
		SecureCookies: a.Config.SecureCookies(), ClientIP: clientIP, Tx: a.DB.WithTx,
		LoginLimiter: logins, Now: a.Now, VerifyLimiter: verifies, ReportLimiter: reports,
	})
	mux := http.NewServeMux()
	apiH.Register(mux)
	mux.HandleFunc("GET /ws/console", a.consoleSocket(apiH, a.Hub))
	web.New(web.Deps{
		API: apiH, Auth: a.Auth, Agents: a.Agents, Customers: a.Customers, Tickets: a.Tickets, Exchange: a.Exchange, Trust: a.Trust,
		Reports: a.Reports, Macros: a.Macros, Automation: a.Rules, Webhooks: a.Webhooks, Incidents: a.Incidents, KB: a.KB, Bot: a.Bot, Callbacks: a.Callbacks, Logger: a.Log, Now: a.Now,
		ClientIP: clientIP, LoginLimiter: logins, SecureCookies: a.Config.SecureCookies(),
	}).Register(mux)
	web.NewHelpCenter(web.HelpDeps{KB: a.KB, Logger: a.Log, ClientIP: clientIP,
		FeedbackLimiter: auth.NewSharedLimiter(a.DB, "help-feedback", 10.0/60, 10, a.Now), Incidents: a.incidentNotices}).Register(mux)
	web.NewSurveyPage(web.SurveyDeps{Reports: a.Reports, Logger: a.Log, ClientIP: clientIP,
		Limiter: auth.NewSharedLimiter(a.DB, "csat", 20.0/60, 20, a.Now)}).Register(mux)
	web.NewAvailabilityWidget(web.AvailabilityDeps{Reports: a.Reports, Logger: a.Log, ClientIP: clientIP, Limiter: availability,
		Enabled: a.Config.Transparency}).Register(mux)
	web.NewStatusPage(web.StatusDeps{Incidents: a.Incidents, Logger: a.Log, Now: a.Now, ClientIP: clientIP,
		Limiter: auth.NewSharedLimiter(a.DB, "status", 5, 60, a.Now)}).Register(mux)
	webchat.New(webchat.Deps{
		Auth: a.Auth, Customers: a.Customers, Tickets: a.Tickets, Online: a.Agents.OnlineCount, Hub: a.Hub,
		Logger: a.Log, Now: a.Now, WidgetSecret: []byte(a.Config.WidgetSecret), RequireIdentity: a.Config.RequireIdentity,
		MaxBody: a.Config.MaxBodyBytes, MaxUpload: a.Config.MaxUploadMB << 20, ClientIP: clientIP,
		SessionLimiter: auth.NewSharedLimiter(a.DB, "widget-session", 1, 30, a.Now), MessageLimiter: auth.NewSharedLimiter(a.DB, "widget-message", 2, 20, a.Now),
		Announcements: a.notices, NoticeLimiter: auth.NewLimiter(1, 10, a.Now),
		Trust: a.Trust, VerifyLimiter: verifies, ReportLimiter: reports, Callbacks: a.Callbacks,
	}).Register(mux)
	if a.Telegram != nil {
		a.Telegram.Register(mux)
	}
	if a.SMS != nil {
		a.SMS.Register(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.DB.Ping(ctx); err != nil {
			a.Log.Warn("not ready", "component", "http", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&statusCollector{app: a, desc: prometheus.NewDesc("vigil_conversations", "Conversations by status.", []string{"status"}, nil)},
		newJobCollector(a))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return api.Instrument(mux, a.Log, api.NewMetrics(reg), clientIP)
}

// clientIP trusts X-Forwarded-For only when configured to sit behind a proxy.
func (a *App) clientIP(r *http.Request) string {
	if a.Config.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	return api.RemoteIP(r)
}

// statusCollector reports conversations by status at scrape time, cached
// briefly so frequent scrapes do not each count the table.
type statusCollector struct {
	app  *App
	desc *prometheus.Desc
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.app.Tickets.Counts(ctx)
	if err != nil {
		c.app.Log.Warn("metrics: count conversations", "component", "metrics", "err", err)
		return
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(st))
	}
}

// Serve listens until ctx is cancelled, then stops accepting connections
// and lets in-flight requests finish within the shutdown grace period.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(prometheus.NewRegistry()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	go func() { _ = a.Hub.Run(hubCtx) }()
	go a.Router.Run(hubCtx)
	go a.WatchSLA(hubCtx)
	go a.WatchRetention(hubCtx)
	go a.RollUpReports(hubCtx)
	go a.Webhooks.Run(hubCtx, a.Bus)
	go a.Rules.Run(hubCtx, a.Bus, a.Log)
	go a.Rules.Watch(hubCtx, time.Minute, a.Log)
	go a.consoles.beat(hubCtx, a)
	go a.Bot.Run(hubCtx)
	go a.LinkIncidents(hubCtx)
	go a.KB.Follow(hubCtx, 10*time.Second)
	stopChannels, err := a.runChannels(ctx)
	if err != nil {
		return err
	}
	defer stopChannels()
	go a.WatchFreezes(hubCtx)
	// Calls in progress are hung up and logged before storage closes.
	defer a.Callbacks.Close()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("serving", "component", "http", "addr", ln.Addr().String(), "database", a.DB.Dialect)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "component", "http", "grace", a.Config.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownGrace)
	defer cancel()
	// WebSockets are hijacked connections Shutdown does not wait for; the
	// hub closes them with "going away" so clients reconnect elsewhere.
	stopHub()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
