package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/auth"
	"vigil/internal/automation"
	"vigil/internal/channel"
	"vigil/internal/channel/discord"
	"vigil/internal/channel/email"
	"vigil/internal/channel/sms"
	"vigil/internal/channel/telegram"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
	"vigil/internal/webhook"
)

// openChannels builds the channel service and the adapters configured.
func (a *App) openChannels() error {
	var adapters []channel.Adapter
	ec := a.Config.Email
	if ec.Enabled() && ec.Relay != "" {
		o := email.SenderOptions{DB: a.DB, Files: a.Tickets, Log: a.Log, Now: a.Now, From: mail.Address{Name: ec.Name, Address: ec.Address},
			SMTP:   email.SMTP{Addr: ec.Relay, Username: ec.Username, Password: ec.Password, Security: ec.Security},
			Secret: []byte(a.Config.SecretKey), VerifyURL: ec.VerifyURL}
		if o.VerifyURL == "" {
			o.VerifyURL = a.Config.PublicURL
		}
		if len(ec.DKIMKeyPEM) > 0 {
			key, err := email.ParseKey(ec.DKIMKeyPEM)
			if err != nil {
				return fmt.Errorf("VIGIL_DKIM_KEY_FILE: %w", err)
			}
			o.DKIM = &email.DKIM{Domain: ec.DKIMDomain, Selector: ec.DKIMSelector, Key: key}
		}
		s, err := email.NewSender(o)
		if err != nil {
			return err
		}
		adapters = append(adapters, s)
	}
	if tc := a.Config.Telegram; tc.Enabled() {
		adapters = append(adapters, telegram.NewSender(telegram.SenderOptions{Tickets: a.Tickets, Token: tc.Token, APIBase: tc.API}))
	}
	if sc := a.Config.SMS; sc.Enabled() {
		adapters = append(adapters, sms.NewSender(sms.Options{API: sc.API, AccountSID: sc.AccountSID, AuthToken: sc.AuthToken,
			From: sc.From, MessagingService: sc.MessagingService, PublicURL: a.Config.PublicURL}))
	}
	if dc := a.Config.Discord; dc.Enabled() {
		// The bot is the adapter and the gateway listener; its inbox is the
		// channel service built next, so it reaches it through a.Channels.
		a.Discord = discord.New(discord.Options{Inbox: channelInbox{a}, Log: a.Log, Token: dc.Token, SupportChannel: dc.ChannelID,
			API: dc.API, UserLimiter: auth.NewLimiter(1, 20, a.Now), Files: a.Tickets})
		adapters = append(adapters, a.Discord)
	}
	a.Channels = channel.New(channel.Options{DB: a.DB, Customers: a.Customers, Tickets: a.Tickets, Adapters: adapters, Now: a.Now,
		Presence: a.Hub, PublicURL: a.Config.PublicURL, Pacer: a.Incidents})
	if ec.Enabled() {
		a.Mail = email.NewReceiver(email.ReceiverOptions{DB: a.DB, Inbox: a.Channels, Log: a.Log, Now: a.Now,
			Addresses: []string{ec.Address}, MaxMessageBytes: ec.MaxMB << 20, VerifySenders: ec.VerifySenders,
			// A person writes a few mails an hour; a loop writes thousands.
			SenderLimiter: auth.NewLimiter(20.0/3600, 20, a.Now),
			ConnLimiter:   auth.NewLimiter(5, 50, a.Now)})
	}
	if tc := a.Config.Telegram; tc.Enabled() {
		a.Telegram = telegram.NewWebhook(telegram.WebhookOptions{Inbox: a.Channels, Log: a.Log, Token: tc.Token, Secret: tc.Secret,
			APIBase: tc.API, ChatLimiter: auth.NewLimiter(1, 20, a.Now), IPLimiter: auth.NewLimiter(50, 200, a.Now), ClientIP: a.clientIP,
			LinkSecret: []byte(a.Config.WidgetSecret), Now: a.Now})
	}
	if sc := a.Config.SMS; sc.Enabled() {
		a.SMS = sms.NewWebhook(sms.WebhookOptions{Inbox: a.Channels, Outreach: smsOutreach{a}, Log: a.Log, AuthToken: sc.AuthToken,
			PublicURL: a.Config.PublicURL, IPLimiter: auth.NewLimiter(50, 200, a.Now), ClientIP: a.clientIP})
	}
	return nil
}

// smsOutreach takes the SMS provider's receipts and STOP replies: the
// message's delivery state for the agents, the recipient's for the
// campaign.
type smsOutreach struct{ a *App }

func (o smsOutreach) Receipt(ctx context.Context, r sms.Receipt) error {
	ctx = systemCtx(ctx)
	if st := sms.DeliveryState(r.Status); st != "" {
		if err := o.a.Tickets.SetDelivery(ctx, r.MessageID, st); err != nil {
			return err
		}
	}
	return o.a.Incidents.RecordReceipt(ctx, r.MessageID, r.Status, r.ErrorCode)
}

func (o smsOutreach) StopNumber(ctx context.Context, number string) error {
	return o.a.Incidents.StopNumber(systemCtx(ctx), number)
}

func (o smsOutreach) StartNumber(ctx context.Context, number string) error {
	return o.a.Incidents.StartNumber(systemCtx(ctx), number)
}

// jobHandlers are the kinds of durable job this desk runs.
func (a *App) jobHandlers() map[string]job.Handler {
	return map[string]job.Handler{ticket.DeliverJob: a.Channels.Deliver, ticket.FollowUpJob: a.Channels.FollowUp, ticket.SurveyJob: a.Reports.Ask,
		webhook.DeliverJob: a.Webhooks.Deliver, automation.RunJob: a.Rules.Handle, incident.OutreachJob: a.Incidents.SendOutreach}
}

// runChannels starts the job workers, the SMTP receiver and the IMAP
// poller; the returned stop function ends them, letting running jobs and
// mail transactions finish.
func (a *App) runChannels(ctx context.Context) (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	workers := make(chan struct{})
	go func() {
		defer close(workers)
		a.Jobs.Work(ctx, job.WorkOptions{Handlers: a.jobHandlers()})
	}()
	stopSMTP := func() {}
	if ec := a.Config.Email; a.Mail != nil && ec.Listen != "" {
		var tlsConf *tls.Config
		if ec.TLSCert != "" {
			cert, err := tls.LoadX509KeyPair(ec.TLSCert, ec.TLSKey)
			if err != nil {
				cancel()
				<-workers
				return nil, fmt.Errorf("VIGIL_SMTP_TLS_CERT_FILE: %w", err)
			}
			tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		ln, err := net.Listen("tcp", ec.Listen)
		if err != nil {
			cancel()
			<-workers
			return nil, fmt.Errorf("VIGIL_SMTP_LISTEN: %w", err)
		}
		_, domain, _ := strings.Cut(ec.Address, "@")
		srv := a.Mail.Server(email.ServerOptions{Domain: domain, TLSConfig: tlsConf})
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
				a.Log.Error("smtp receiver stopped", "component", "email", "err", err)
			}
		}()
		a.Log.Info("smtp receiver listening", "component", "email", "addr", ln.Addr().String(), "starttls", tlsConf != nil)
		stopSMTP = func() {
			sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
			defer c()
			_ = srv.Shutdown(sctx)
			<-done
		}
	}
	discordDone := make(chan struct{})
	if a.Discord != nil {
		go func() {
			defer close(discordDone)
			if err := a.Discord.Run(ctx); err != nil {
				a.Log.Error("discord bot stopped", "component", "discord", "err", err)
			}
		}()
	} else {
		close(discordDone)
	}
	pollerDone := make(chan struct{})
	if ec := a.Config.Email; a.Mail != nil && ec.IMAPAddr != "" {
		p := email.NewPoller(email.PollerOptions{Receiver: a.Mail, Log: a.Log, Addr: ec.IMAPAddr, Username: ec.IMAPUsername,
			Password: ec.IMAPPassword, Security: ec.IMAPSecurity, Mailbox: ec.IMAPMailbox, Interval: ec.IMAPInterval})
		go func() { defer close(pollerDone); p.Run(ctx) }()
	} else {
		close(pollerDone)
	}
	return func() {
		stopSMTP()
		cancel()
		<-pollerDone
		<-discordDone
		<-workers
	}, nil
}

// jobCollector reports durable jobs by state at scrape time: a growing
// "dead" count means replies that could not be delivered.
type jobCollector struct {
	app  *App
	desc *prometheus.Desc
}

func newJobCollector(a *App) *jobCollector {
	return &jobCollector{app: a, desc: prometheus.NewDesc("vigil_jobs", "Durable jobs by state.", []string{"state"}, nil)}
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.app.Jobs.Counts(ctx)
	if err != nil {
		c.app.Log.Warn("metrics: count jobs", "component", "metrics", "err", err)
		return
	}
	for _, st := range []job.State{job.Queued, job.Running, job.Done, job.Dead} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// channelInbox hands the Discord bot's messages to the channel service,
// which is built after the adapters it delivers through.
type channelInbox struct{ a *App }

func (c channelInbox) Receive(ctx context.Context, in channel.Inbound) (channel.Received, error) {
	return c.a.Channels.Receive(systemCtx(ctx), in)
}

func (c channelInbox) Known(ctx context.Context, ch, externalID string) (bool, error) {
	return c.a.Channels.Known(ctx, ch, externalID)
}
