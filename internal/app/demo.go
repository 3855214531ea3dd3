package app

import (
	"context"
	"fmt"
	"io"

	"vigil/internal/agent"
	"vigil/internal/canned"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// DemoPassword is the password of every demo agent. Demo data is for
// trying Vigil on a laptop, never for production.
const DemoPassword = "vigil-demo-2026"

// DemoCredential is a demo agent's sign-in.
type DemoCredential struct {
	Email, Role, Password string
}

// Empty reports whether the database holds no agents yet.
func (a *App) Empty(ctx context.Context) (bool, error) {
	list, err := a.Agents.List(ctx)
	return len(list) == 0, err
}

type demoConversation struct {
	customer int
	team     int
	assignee int
	channel  string
	category string
	lang     string
	priority ticket.Priority
	crypto   ticket.Crypto
	status   ticket.Status
	tags     []string
	thread   []demoLine
}

type demoLine struct {
	agent    bool
	internal bool
	body     string
}

// LoadDemo fills the database with teams, agents, customers and
// conversations in English and Chinese, and returns the agents' sign-ins.
func (a *App) LoadDemo(ctx context.Context) ([]DemoCredential, error) {
	var creds []DemoCredential
	err := a.DB.WithTx(ctx, func(ctx context.Context) error {
		var teams []agent.Team
		for _, t := range [][2]string{
			{"Wallet Operations", "Deposits, withdrawals and on-chain questions"},
			{"Account Security", "Unauthorised access, 2FA, freezes"},
			{"中文支持", "Simplified Chinese desk"},
		} {
			team, err := a.Agents.CreateTeam(ctx, t[0], t[1])
			if err != nil {
				return err
			}
			teams = append(teams, team)
		}
		type demoAgent struct {
			email, name string
			role        agent.Role
			teams       []int64
			langs       []string
			topics      []string
		}
		var agents []agent.Agent
		for _, d := range []demoAgent{
			{"admin@vigil.example", "Ada Admin", agent.RoleAdmin, nil, []string{"en"}, nil},
			{"sam@vigil.example", "Sam Supervisor", agent.RoleSupervisor, []int64{teams[0].ID, teams[1].ID, teams[2].ID}, []string{"en", "zh"}, nil},
			{"wei@vigil.example", "Li Wei 李伟", agent.RoleAgent, []int64{teams[2].ID, teams[0].ID}, []string{"zh", "en"}, []string{"deposit", "withdrawal"}},
			{"maria@vigil.example", "Maria Santos", agent.RoleAgent, []int64{teams[0].ID}, []string{"en"}, []string{"deposit", "withdrawal", "fees"}},
			{"omar@vigil.example", "Omar Haddad", agent.RoleAgent, []int64{teams[1].ID}, []string{"en"}, []string{"account_security", "2fa", "kyc"}},
		} {
			d := d
			ag, err := a.Agents.Create(ctx, agent.Input{Email: &d.email, Name: &d.name, Role: &d.role, Teams: &d.teams,
				Languages: &d.langs, Topics: &d.topics})
			if err != nil {
				return err
			}
			if err := a.Auth.SetPassword(ctx, ag.ID, DemoPassword); err != nil {
				return err
			}
			agents = append(agents, ag)
			creds = append(creds, DemoCredential{Email: ag.Email, Role: string(ag.Role), Password: DemoPassword})
		}
		type demoCustomer struct {
			uid, name, email, lang string
			vip, kyc               int
		}
		var customers []customer.Customer
		for _, d := range []demoCustomer{
			{"U10000001", "Alice Chen", "alice@example.com", "en", 3, 2},
			{"U10000002", "王芳", "wangfang@example.cn", "zh", 0, 2},
			{"U10000003", "Bob Okafor", "bob@example.org", "en", 7, 3},
			{"U10000004", "张伟", "zhangwei@example.cn", "zh", 1, 1},
			{"", "", "visitor-7f3a@anonymous", "en", 0, 0},
		} {
			d := d
			in := customer.Input{Name: &d.name, Email: &d.email, Language: &d.lang, VIPTier: &d.vip, KYCLevel: &d.kyc,
				Identities: []customer.Identity{{Channel: "email", ExternalID: d.email}}}
			if d.uid != "" {
				in.UID = &d.uid
			} else {
				empty := ""
				in.Email = &empty
				in.Identities = []customer.Identity{{Channel: "webchat", ExternalID: "visitor-7f3a"}}
			}
			c, err := a.Customers.Create(ctx, in)
			if err != nil {
				return err
			}
			customers = append(customers, c)
		}
		if err := a.demoSLA(ctx, agents, customers); err != nil {
			return err
		}
		if err := a.demoShifts(ctx, teams, agents); err != nil {
			return err
		}
		if err := a.demoTrust(ctx); err != nil {
			return err
		}
		for _, d := range demoConversations() {
			if err := a.demoConversation(ctx, d, teams, agents, customers); err != nil {
				return err
			}
		}
		for _, c := range demoCanned {
			if _, err := a.Canned.Create(ctx, 0, c); err != nil {
				return err
			}
		}
		return a.loadDemoKB(ctx)
	})
	return creds, err
}

var demoCanned = []canned.Input{
	{Shortcut: "hello", Title: "Greeting", Language: "en", Body: "Hello, thank you for contacting support. I am looking into this now."},
	{Shortcut: "hello", Title: "问候", Language: "zh", Body: "您好，感谢联系客服，我正在为您处理。"},
	{Shortcut: "txid", Title: "Ask for the TxID", Language: "en",
		Body: "Could you send the transaction hash (TxID) and the network you used? You find it in **Wallet → History**."},
	{Shortcut: "txid", Title: "索取交易哈希", Language: "zh", Body: "请提供交易哈希（TxID）以及使用的网络，可在 **钱包 → 历史记录** 中找到。"},
	{Shortcut: "confirmations", Title: "Waiting for confirmations", Language: "en",
		Body: "Your deposit is on chain and waiting for network confirmations; it is credited automatically once they are reached."},
	{Shortcut: "freeze", Title: "Freeze the account first", Language: "en",
		Body: "For your safety, freeze your account now from **Security → Freeze account**; we will then verify your identity here."},
	{Shortcut: "phishing", Title: "Anti-phishing reminder", Language: "",
		Body: "Support will never ask for your password, 2FA codes or private keys. / 客服绝不会索要您的密码、验证码或私钥。"},
}

func (a *App) demoConversation(ctx context.Context, d demoConversation, teams []agent.Team, agents []agent.Agent, customers []customer.Customer) error {
	cust := customers[d.customer]
	in := ticket.OpenInput{CustomerID: cust.ID, Channel: d.channel, Category: d.category, Language: d.lang,
		Priority: d.priority, Crypto: d.crypto, Tags: d.tags,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, AuthorName: cust.Name, Body: d.thread[0].body}}
	if d.team >= 0 {
		in.TeamID = teams[d.team].ID
	}
	if d.assignee >= 0 {
		in.AssigneeID = agents[d.assignee].ID
	}
	conv, _, err := a.Tickets.Open(ctx, in)
	if err != nil {
		return err
	}
	for _, l := range d.thread[1:] {
		m := ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, AuthorName: cust.Name, Body: l.body}
		if l.agent {
			ag := agents[max(d.assignee, 1)]
			m = ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, AuthorName: ag.Name,
				Body: l.body, Internal: l.internal}
		}
		if _, err := a.Tickets.AddMessage(ctx, m); err != nil {
			return err
		}
	}
	if d.status != "" {
		st := d.status
		if _, err := a.Tickets.Update(ctx, conv.ID, ticket.Patch{Status: &st}); err != nil {
			return err
		}
	}
	return nil
}

func demoConversations() []demoConversation {
	return []demoConversation{
		{customer: 0, team: 0, assignee: 3, channel: "webchat", category: "withdrawal", lang: "en", priority: ticket.High,
			crypto: ticket.Crypto{Asset: "BTC", Network: "Bitcoin", TxID: "9f2c1a7be4d05c3e8a6f1b2d4c7e9a0b3d5f7e1c2a4b6d8f0e1c3a5b7d9f1e3a"},
			tags:   []string{"withdrawal-delay"}, status: ticket.StatusOnHold, thread: []demoLine{
				{body: "My withdrawal of 0.5 BTC has been pending for 3 hours. The TxID shows 1 confirmation only."},
				{agent: true, body: "Thanks Alice. I can see the transaction on chain with 1 of 2 required confirmations. The network is congested; it should complete within the hour."},
				{agent: true, internal: true, body: "Checked with the wallet team: mempool fee spike, no action needed on our side."},
			}},
		{customer: 1, team: 2, assignee: 2, channel: "webchat", category: "deposit", lang: "zh", priority: ticket.Normal,
			crypto: ticket.Crypto{Asset: "USDT", Network: "TRC20", TxID: "c0ffee5d1e7a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"},
			thread: []demoLine{
				{body: "我充值的 500 USDT (TRC20) 已经两个小时了还没有到账，请帮忙查一下。"},
				{agent: true, body: "您好，我们已查到该笔交易，目前正在等待区块确认，预计 30 分钟内到账。"},
				{body: "好的，谢谢！"},
			}},
		{customer: 2, team: 1, assignee: -1, channel: "email", category: "account_security", lang: "en", priority: ticket.Urgent,
			tags: []string{"vip", "login-alert"}, thread: []demoLine{
				{body: "I just got a login alert from São Paulo, Brazil. That was not me. Please freeze my account now."},
			}},
		{customer: 3, team: 2, assignee: -1, channel: "telegram", category: "2fa", lang: "zh", priority: ticket.High,
			thread: []demoLine{{body: "我换了手机，谷歌验证器丢了，无法登录，怎么重置二次验证？"}}},
		{customer: 4, team: -1, assignee: -1, channel: "webchat", category: "fees", lang: "en", priority: ticket.Low,
			thread: []demoLine{{body: "What is the withdrawal fee for ETH on Arbitrum?"}}},
		{customer: 0, team: 0, assignee: 3, channel: "webchat", category: "trading", lang: "en", priority: ticket.Normal,
			status: ticket.StatusSolved, thread: []demoLine{
				{body: "My limit order to buy SOL did not fill even though the price touched my limit."},
				{agent: true, body: "Limit orders fill only when there is matching volume at your price; the price touched it briefly with orders ahead of yours in the queue."},
			}},
	}
}

func printDemo(w io.Writer, creds []DemoCredential) {
	fmt.Fprintln(w, "Demo data loaded. Sign in to the console with one of:")
	for _, c := range creds {
		fmt.Fprintf(w, "  %-22s %-11s password: %s\n", c.Email, c.Role, c.Password)
	}
	fmt.Fprintln(w, "(the admin must set up two-factor authentication at first sign-in)")
}
