package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"vigil/internal/kb"
)

// Generator writes an answer to a question from one article. The bot
// works without one (it replies with the article's summary); with one it
// answers in the customer's own terms, still grounded in the article.
type Generator interface {
	Generate(ctx context.Context, question, lang string, article kb.Page) (string, error)
}

// NoAnswer is what a generator returns when the article does not answer
// the question; the bot then hands over instead of guessing.
const NoAnswer = "NO_ANSWER"

// OpenAI is a client for any OpenAI-compatible chat-completions endpoint
// (OpenAI, Azure OpenAI, vLLM, Ollama and others). It is off unless
// configured; nothing leaves the process otherwise.
type OpenAI struct {
	BaseURL string // e.g. https://api.openai.com/v1
	Model   string
	Key     string // sent as a bearer token; never logged
	Client  *http.Client
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	MaxTokens   int           `json:"max_tokens"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
}

var languageNames = map[string]string{"en": "English", "zh": "Simplified Chinese"}

// Generate asks the model to answer from the article alone.
func (o *OpenAI) Generate(ctx context.Context, question, lang string, article kb.Page) (string, error) {
	system := fmt.Sprintf("You are the support assistant of a cryptocurrency exchange. Answer the customer's question using only "+
		"the help-center article below; do not add facts it does not state. If the article does not answer the question, reply "+
		"with exactly %s. Reply in %s, in at most three short sentences, without a greeting. Never ask for passwords, "+
		"two-factor codes, recovery phrases or private keys.\n\nArticle: %s\n\n%s\n\n%s",
		NoAnswer, languageNames[lang], article.Title, article.Summary, article.Body)
	body, err := json.Marshal(chatRequest{Model: o.Model, Temperature: 0.2, MaxTokens: 300,
		Messages: []chatMessage{{Role: "system", Content: system}, {Role: "user", Content: question}}})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.BaseURL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("bot: generator: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if o.Key != "" {
		req.Header.Set("Authorization", "Bearer "+o.Key)
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("bot: generator: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("bot: generator: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("bot: generator: status %d", resp.StatusCode)
	}
	var out chatResponse
	if err := json.Unmarshal(data, &out); err != nil || len(out.Choices) == 0 {
		return "", fmt.Errorf("bot: generator: unexpected response")
	}
	text := strings.TrimSpace(out.Choices[0].Message.Content)
	if text == "" {
		return "", fmt.Errorf("bot: generator: empty answer")
	}
	return clip(text, 1500), nil
}
