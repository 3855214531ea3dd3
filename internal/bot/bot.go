// Package bot answers customers in the chat from the knowledge base: it
// matches a message to an article (an intent learned from the articles'
// example questions and the phrasings agents marked as answered well),
// replies with a short answer and the link, and asks whether that solved
// it. It hands over to a human at once when it is not confident, when the
// customer asks for one, on account-security matters, or after a "no",
// leaving a summary as an internal note. Active announcements come first.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/kb"
	"vigil/internal/ticket"
)

// Options wire a Bot.
type Options struct {
	DB      *db.DB
	KB      *kb.Service
	Tickets *ticket.Service
	Bus     event.Bus
	Log     *slog.Logger
	Now     func() time.Time
	// Channels the bot answers on; nil means webchat only.
	Channels []string
	// Threshold overrides the hand-off confidence; 0 chooses it by
	// cross-validation on the knowledge base's own examples.
	Threshold float64
	// Generator, when set, writes answers from the matched article;
	// nil replies with the article's summary.
	Generator Generator
	// Account, when set, lets the bot tell a verified customer where
	// their deposits and withdrawals stand.
	Account Account
	// Incidents, when set, lets the bot answer questions about an open
	// incident with its public message and link the conversation to it.
	Incidents *incident.Service
}

// MinThreshold is the lowest hand-off confidence the bot will use, however
// the cross-validation on a small knowledge base turns out: at 0.5 the best
// intent must at least beat the model's "none of these" boundary.
const MinThreshold = 0.5

// MaxThreshold caps the cross-validated threshold: a small knowledge base
// has a handful of examples per article, and holding a fifth of them out
// makes every model look worse than the one trained on all of them.
const MaxThreshold = 0.8

// AnswerPrecision is how often the bot's answers must be right, measured
// by cross-validation on its training examples, for it to answer at all
// at a given confidence.
const AnswerPrecision = 0.95

// Bot answers customer messages.
type Bot struct {
	o   Options
	log *slog.Logger

	mu        sync.Mutex // guards model, threshold, gen, trained, articles
	model     *Model
	threshold float64
	articles  int    // public articles the model knows; none: the bot stays silent
	gen       uint64 // the knowledge base generation the model was trained on
	trained   bool
}

// New returns a bot; Run subscribes it to the bus.
func New(o Options) *Bot {
	if o.Channels == nil {
		o.Channels = []string{"webchat"}
	}
	return &Bot{o: o, log: o.Log.With("component", "bot")}
}

// Run answers customer messages until ctx ends.
func (b *Bot) Run(ctx context.Context) {
	sub := b.o.Bus.Subscribe("bot", 1024)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			m, ok := ev.(event.MessageCreated)
			if !ok || m.AuthorKind != string(ticket.ByCustomer) || m.Internal {
				continue
			}
			if err := b.Handle(ctx, m); err != nil && ctx.Err() == nil {
				b.log.Warn("bot could not handle a message", "conversation", m.ConversationID, "message", m.MessageID, "err", err)
			}
		}
	}
}

// Action is what the bot did with a message.
type Action string

const (
	Answered  Action = "answered"  // an article
	Announced Action = "announced" // an active announcement
	HandedOff Action = "handed_over"
	Confirmed Action = "confirmed" // the customer said it solved it
	Incident  Action = "incident"  // an open incident's public message
)

// Outcome is how a bot answer ended.
type Outcome string

const (
	Pending    Outcome = "pending" // waiting for "did this solve it?"
	Resolved   Outcome = "resolved"
	HandedOver Outcome = "handed_over"
	Abandoned  Outcome = "abandoned"
)

// Reasons for a hand-off.
const (
	ReasonLowConfidence = "low_confidence"
	ReasonAskedHuman    = "asked_for_human"
	ReasonSecurity      = "account_security"
	ReasonNotSolved     = "not_solved"
)

// ensureModel retrains when the published knowledge base changed.
func (b *Bot) ensureModel(ctx context.Context) (*Model, float64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	gen := b.o.KB.Generation()
	if b.trained && gen == b.gen {
		return b.model, b.threshold, nil
	}
	docs, err := b.o.KB.Docs(ctx)
	if err != nil {
		return nil, 0, err
	}
	examples := TrainingSet(docs)
	b.model = Train(examples, TrainOptions{})
	b.articles = len(b.model.Labels()) - 1 // all but the off-topic intent
	b.threshold = b.o.Threshold
	if b.threshold == 0 {
		b.threshold = min(max(MinThreshold, ChooseThreshold(examples, "", 5, AnswerPrecision, TrainOptions{})), MaxThreshold)
	}
	b.gen, b.trained = gen, true
	b.log.Info("bot trained", "intents", len(b.model.Labels()), "examples", len(examples), "threshold", b.threshold)
	return b.model, b.threshold, nil
}

// offTopic is the model's "none of these" intent: everyday messages no
// help-center article answers. Without it a desk with one or two articles
// would have no counter-examples and match everything to them.
const offTopic = "_off_topic"

var offTopicExamples = []string{
	"hello", "hi there", "good morning", "how are you", "what's the weather like today", "tell me a joke", "who won the football match",
	"what time is it", "I like your website", "can you recommend a restaurant", "what is the meaning of life", "play some music",
	"will bitcoin go up tomorrow", "which coin should I buy", "is this a good time to invest", "what do you think about the market",
	"你好", "在吗", "今天天气怎么样", "讲个笑话", "比特币明天会涨吗", "推荐一个币", "你是谁", "早上好",
}

// TrainingSet turns published public articles into labelled examples:
// each example question (agents' marked phrasings included), the title and
// the summary teach the model the article's slug; a fixed set of everyday
// off-topic messages teaches it what none of them answers.
func TrainingSet(docs []kb.Doc) []Example {
	var out []Example
	for _, t := range offTopicExamples {
		out = append(out, Example{Text: t, Label: offTopic})
	}
	for _, d := range docs {
		if d.Internal {
			continue
		}
		out = append(out, Example{Text: d.Title, Label: d.Slug})
		if d.Summary != "" {
			out = append(out, Example{Text: d.Summary, Label: d.Slug})
		}
		for _, q := range d.Questions {
			out = append(out, Example{Text: q, Label: d.Slug})
		}
	}
	return out
}

// Decision is what the bot makes of one customer message.
type Decision struct {
	Action       Action
	Reason       string
	Language     string
	Article      string // slug
	Announcement *kb.Announcement
	Incident     *incident.Incident
	Confidence   float64
}

// Handle decides on one customer message and acts on it.
func (b *Bot) Handle(ctx context.Context, m event.MessageCreated) error {
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "bot"})
	// A desk without a public help center has nothing to answer from: the
	// bot stays silent rather than announce a hand-off on every message.
	if _, _, err := b.ensureModel(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	articles := b.articles
	b.mu.Unlock()
	if articles == 0 {
		return nil
	}
	conv, err := b.o.Tickets.ByID(ctx, ticket.Scope{All: true}, m.ConversationID)
	if err != nil {
		return err
	}
	if !b.answers(conv) {
		return nil
	}
	if mine, err := b.claim(ctx, m.MessageID); err != nil || !mine {
		return err
	}
	prev, ok, err := b.lastTurn(ctx, conv.ID)
	if err != nil {
		return err
	}
	var last *Turn
	if ok {
		last = &prev
	}
	if last != nil && last.Outcome == HandedOver {
		return nil // a human has it now
	}
	d, err := b.Decide(ctx, conv, last, m.Body)
	if err != nil {
		return err
	}
	return b.act(ctx, conv, last, m, d)
}

// answers reports whether the bot speaks in a conversation: on its
// channels, and only until a human has replied.
func (b *Bot) answers(c ticket.Conversation) bool {
	for _, ch := range b.o.Channels {
		if ch == c.Channel {
			return c.FirstResponseAt == nil && c.MergedInto == 0 && c.Status != ticket.StatusClosed
		}
	}
	return false
}

// Decide applies the rules in order: a reply to "did this solve it?",
// a request for a human, account security, an open incident, an active
// announcement on the topic, a question about the customer's own
// transfers, then the model, handing over when it is not confident.
func (b *Bot) Decide(ctx context.Context, conv ticket.Conversation, last *Turn, text string) (Decision, error) {
	lang := kb.Language(text)
	if lang == "" {
		lang = i18n.Normalize(conv.Language)
	}
	d := Decision{Language: lang}
	awaiting := last != nil && last.Outcome == Pending
	switch {
	case awaiting && saysNo(text):
		d.Action, d.Reason = HandedOff, ReasonNotSolved
		return d, nil
	case awaiting && saysYes(text):
		d.Action = Confirmed
		return d, nil
	case asksForHuman(text):
		d.Action, d.Reason = HandedOff, ReasonAskedHuman
		return d, nil
	case aboutSecurity(text):
		d.Action, d.Reason = HandedOff, ReasonSecurity
		return d, nil
	}
	if b.o.Incidents != nil {
		i, ok, err := b.o.Incidents.Match(ctx, text)
		if err != nil {
			return d, err
		}
		if ok {
			d.Action, d.Incident = Incident, &i
			return d, nil
		}
	}
	active, err := b.o.KB.Active(ctx)
	if err != nil {
		return d, err
	}
	for i := range active {
		if a := active[i]; a.Topic != "" && aboutTopic(a.Topic, text) {
			d.Action, d.Announcement = Announced, &a
			return d, nil
		}
	}
	if ok, err := b.decideAccount(ctx, conv, last, text, &d); ok || err != nil {
		return d, err
	}
	model, threshold, err := b.ensureModel(ctx)
	if err != nil {
		return d, err
	}
	p := model.Predict(text)
	d.Confidence = p.Confidence
	if p.Label != offTopic {
		d.Article = p.Label
	}
	if p.Label == "" || p.Label == offTopic || p.Confidence < threshold {
		d.Action, d.Reason = HandedOff, ReasonLowConfidence
		return d, nil
	}
	d.Action = Answered
	return d, nil
}

// act writes the bot's reply and records the turn.
func (b *Bot) act(ctx context.Context, conv ticket.Conversation, last *Turn, m event.MessageCreated, d Decision) error {
	name := i18n.T(d.Language, "bot.name")
	say := func(body string, internal bool) error {
		_, err := b.o.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByBot,
			AuthorName: name, Body: body, Internal: internal})
		return err
	}
	turn := Turn{ConversationID: conv.ID, MessageID: m.MessageID, Language: d.Language, Question: clip(m.Body, 1000),
		Confidence: d.Confidence, Action: d.Action, Reason: d.Reason, Outcome: Pending}
	if last != nil && last.Outcome == Pending {
		// A reply to "did this solve it?" settles the earlier answer; a new
		// question leaves it unanswered.
		switch {
		case d.Action == Confirmed, d.Action == StatusAnswered && last.Action == CodeSent:
			last.Outcome = Resolved
		case d.Action == HandedOff:
			last.Outcome = HandedOver
		default:
			last.Outcome = Abandoned
		}
		if err := b.setOutcome(ctx, last.ID, last.Outcome); err != nil {
			return err
		}
	}
	switch d.Action {
	case Confirmed:
		if err := say(i18n.T(d.Language, "bot.glad"), false); err != nil {
			return err
		}
		solved := ticket.StatusSolved
		if _, err := b.o.Tickets.Update(ctx, conv.ID, ticket.Patch{Status: &solved}); err != nil {
			return err
		}
		turn.Outcome = Resolved
	case Announced:
		a := d.Announcement
		turn.AnnouncementID = a.ID
		body := fmt.Sprintf("**%s**\n\n%s\n\n%s", a.Title(d.Language), a.Body(d.Language), i18n.T(d.Language, "bot.did_it_help"))
		if err := say(body, false); err != nil {
			return err
		}
	case Incident:
		if err := b.answerIncident(ctx, conv, d, say); err != nil {
			return err
		}
	case CodeSent, StatusAnswered:
		if err := b.answerAccount(ctx, conv, d, say); err != nil {
			return err
		}
	case Answered:
		page, err := b.o.KB.Read(ctx, d.Article, d.Language, kb.Public)
		if err != nil {
			return err
		}
		turn.ArticleID = page.ArticleID
		answer, ok := b.answer(ctx, m.Body, d.Language, page)
		if !ok {
			d.Action, d.Reason = HandedOff, ReasonLowConfidence
			turn.Action, turn.Reason = HandedOff, ReasonLowConfidence
			return b.handOff(ctx, conv, &turn, d, say)
		}
		body := fmt.Sprintf("%s\n\n%s [%s](/help/%s/articles/%s)\n\n%s", answer, i18n.T(d.Language, "bot.read_more"),
			page.Title, d.Language, page.Slug, i18n.T(d.Language, "bot.did_it_help"))
		if err := say(body, false); err != nil {
			return err
		}
	case HandedOff:
		if d.Article != "" {
			if page, err := b.o.KB.Read(ctx, d.Article, d.Language, kb.Public); err == nil {
				turn.ArticleID = page.ArticleID
			}
		}
		return b.handOff(ctx, conv, &turn, d, say)
	}
	return b.record(ctx, &turn)
}

// HandoffTag marks conversations the bot handed over, so agents can find
// them in the inbox.
const HandoffTag = "bot-handoff"

// handOff tells the customer a human is coming, leaves the summary for
// that human, tags the conversation (an account-security matter also
// becomes urgent, to the front of the queue) and records the turn.
func (b *Bot) handOff(ctx context.Context, conv ticket.Conversation, turn *Turn, d Decision, say func(string, bool) error) error {
	turn.Outcome = HandedOver
	text := i18n.T(d.Language, "bot.handover")
	if d.Reason == ReasonSecurity {
		// Safety first: freezing needs no agent, at any hour.
		text += "\n\n" + i18n.T(d.Language, "bot.freeze_hint")
	}
	if err := say(text, false); err != nil {
		return err
	}
	tags := append(slices.Clone(conv.Tags), HandoffTag)
	patch := ticket.Patch{Tags: &tags}
	if d.Reason == ReasonSecurity {
		urgent := ticket.Urgent.String()
		patch.Priority = &urgent
	}
	if _, err := b.o.Tickets.Update(ctx, conv.ID, patch); err != nil {
		return err
	}
	note, err := b.summary(ctx, conv, *turn, d)
	if err != nil {
		return err
	}
	if err := say(note, true); err != nil {
		return err
	}
	return b.record(ctx, turn)
}

// answer is the text of a reply from an article: generated when a
// generator is configured (ok is false when it finds no answer in the
// article), the article's summary otherwise or when the generator fails.
func (b *Bot) answer(ctx context.Context, question, lang string, page kb.Page) (string, bool) {
	fallback := page.Summary
	if fallback == "" {
		fallback = firstParagraph(page.Body)
	}
	if b.o.Generator == nil {
		return fallback, true
	}
	text, err := b.o.Generator.Generate(ctx, question, lang, page)
	switch {
	case err != nil:
		b.log.Warn("generated answer failed; replying with the article summary", "article", page.Slug, "err", err)
		return fallback, true
	case strings.Contains(text, NoAnswer):
		return "", false
	}
	return text, true
}

// summary is the internal note a human reads on taking over: why the bot
// stepped aside, what the customer asked and what the bot already tried.
func (b *Bot) summary(ctx context.Context, conv ticket.Conversation, now Turn, d Decision) (string, error) {
	lang := i18n.Normalize(conv.Language)
	turns, err := b.turns(ctx, conv.ID)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", i18n.T(lang, "bot.note_title", i18n.T(lang, "bot.reason."+d.Reason)))
	for _, t := range append(turns, now) {
		fmt.Fprintf(&sb, "- %s “%s”", i18n.T(lang, "bot.note_asked"), clip(t.Question, 200))
		switch {
		case t.Action == Answered:
			title := t.Question
			if p, err := b.articleTitle(ctx, t.ArticleID, lang); err == nil {
				title = p
			}
			fmt.Fprintf(&sb, " → %s", i18n.T(lang, "bot.note_answered", title, t.Confidence*100, i18n.T(lang, "bot.outcome."+string(t.Outcome))))
		case t.Action == Announced:
			fmt.Fprintf(&sb, " → %s", i18n.T(lang, "bot.note_announced"))
		case t.Action == Incident:
			fmt.Fprintf(&sb, " → %s", i18n.T(lang, "bot.note_incident"))
		case t.Action == HandedOff && t.ArticleID != 0:
			title, _ := b.articleTitle(ctx, t.ArticleID, lang)
			fmt.Fprintf(&sb, " → %s", i18n.T(lang, "bot.note_best_guess", title, t.Confidence*100))
		}
		sb.WriteString("\n")
	}
	return strings.TrimSpace(sb.String()), nil
}

func (b *Bot) articleTitle(ctx context.Context, id int64, lang string) (string, error) {
	if id == 0 {
		return "", fmt.Errorf("no article")
	}
	a, err := b.o.KB.Article(ctx, id)
	if err != nil {
		return "", err
	}
	p, err := b.o.KB.Read(ctx, a.Slug, lang, kb.Agents)
	return p.Title, err
}

func firstParagraph(md string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(md), "\n\n")
	return clip(p, 400)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
