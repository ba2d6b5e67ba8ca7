// Package llm talks to any OpenAI-compatible chat API (DeepSeek, Qwen,
// a local vLLM/Ollama server…) through github.com/sashabaranov/go-openai
// and implements the dialog package's IntentClassifier and ChatModel.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/waihu/waihu/app/dialog"
)

// Config selects the server and model and prices its tokens.
type Config struct {
	BaseURL string // e.g. https://api.deepseek.com/v1
	APIKey  string
	Model   string
	// Prices in fen per million tokens, for the per-call cost record.
	PromptFenPerMTok     int64
	CompletionFenPerMTok int64
	HTTPClient           *http.Client
}

// Client is safe for concurrent use by many calls.
type Client struct {
	cfg Config
	c   *openai.Client
}

// New builds a client. An empty Model is an error: there is no sensible
// default across providers.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("llm: base URL and model are required")
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	return &Client{cfg: cfg, c: openai.NewClientWithConfig(oc)}, nil
}

func (c *Client) usage(u openai.Usage) dialog.Usage {
	return dialog.Usage{
		Model:            c.cfg.Model,
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		// fen per million tokens → thousandths of a fen.
		CostMilliFen: (int64(u.PromptTokens)*c.cfg.PromptFenPerMTok + int64(u.CompletionTokens)*c.cfg.CompletionFenPerMTok) / 1000,
	}
}

// ClassifyIntent asks the model which of intents the utterance means. It
// answers with a JSON object; anything unparseable is "no intent".
func (c *Client) ClassifyIntent(ctx context.Context, text string, intents []string, hint string) (dialog.LLMResult, error) {
	sys := "You classify what a person said on a phone call into exactly one intent name from this list, or \"none\".\n" +
		"Intents: " + strings.Join(intents, ", ") + "\n" +
		"Reply with JSON only: {\"intent\":\"<name or none>\",\"confidence\":<0..1>}."
	if hint != "" {
		sys += "\nContext: " + hint
	}
	resp, err := c.c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:       c.cfg.Model,
		Temperature: 0,
		MaxTokens:   40,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: sys},
			{Role: openai.ChatMessageRoleUser, Content: text},
		},
	})
	if err != nil {
		return dialog.LLMResult{}, fmt.Errorf("llm classify: %w", err)
	}
	r := dialog.LLMResult{Usage: c.usage(resp.Usage)}
	if len(resp.Choices) == 0 {
		return r, nil
	}
	content := strings.TrimSpace(resp.Choices[0].Message.Content)
	content = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(content, "```json"), "```"), "```")
	var out struct {
		Intent     string  `json:"intent"`
		Confidence float64 `json:"confidence"`
	}
	if json.Unmarshal([]byte(strings.TrimSpace(content)), &out) == nil && out.Intent != "none" {
		r.Intent, r.Confidence = out.Intent, out.Confidence
	}
	return r, nil
}

func toolDefs(names []string, nodes []string) []openai.Tool {
	str := map[string]any{"type": "string"}
	obj := func(props map[string]any, req ...string) map[string]any {
		return map[string]any{"type": "object", "properties": props, "required": req}
	}
	defs := map[string]openai.FunctionDefinition{
		"set_var":  {Name: "set_var", Description: "Record a value the caller gave (e.g. a date or amount).", Parameters: obj(map[string]any{"name": str, "value": str}, "name", "value")},
		"set_tag":  {Name: "set_tag", Description: "Tag the call (e.g. interested, goal).", Parameters: obj(map[string]any{"tag": str}, "tag")},
		"goto":     {Name: "goto", Description: "Continue the scripted flow at a node.", Parameters: obj(map[string]any{"node": map[string]any{"type": "string", "enum": nodes}}, "node")},
		"transfer": {Name: "transfer", Description: "Transfer the caller to a human agent.", Parameters: obj(map[string]any{"target": str}, "target")},
		"hangup":   {Name: "hangup", Description: "End the call politely with a closing line.", Parameters: obj(map[string]any{"text": str}, "text")},
	}
	var out []openai.Tool
	for _, n := range names {
		if d, ok := defs[n]; ok {
			d := d
			out = append(out, openai.Tool{Type: openai.ToolTypeFunction, Function: &d})
		}
	}
	return out
}

// ChatStream runs one LLM-node turn with streaming: each complete sentence
// goes to onSentence as soon as it arrives; tool calls and usage come back
// in the result.
func (c *Client) ChatStream(ctx context.Context, req dialog.ChatRequest, onSentence func(string)) (dialog.LLMResult, error) {
	msgs := make([]openai.ChatCompletionMessage, 0, len(req.Messages))
	for _, m := range req.Messages {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	stream, err := c.c.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model:         c.cfg.Model,
		Messages:      msgs,
		Tools:         toolDefs(req.Tools, req.Nodes),
		Stream:        true,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true},
	})
	if err != nil {
		return dialog.LLMResult{}, fmt.Errorf("llm chat: %w", err)
	}
	defer stream.Close()
	var (
		res     dialog.LLMResult
		pending strings.Builder
		all     strings.Builder
		calls   = map[int]*struct{ name, args strings.Builder }{}
		order   []int
	)
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("llm chat stream: %w", err)
		}
		if chunk.Usage != nil {
			res.Usage = c.usage(*chunk.Usage)
		}
		for _, ch := range chunk.Choices {
			d := ch.Delta
			if d.Content != "" {
				pending.WriteString(d.Content)
				all.WriteString(d.Content)
				rest := emitSentences(pending.String(), onSentence)
				pending.Reset()
				pending.WriteString(rest)
			}
			for _, tc := range d.ToolCalls {
				idx := 0
				if tc.Index != nil {
					idx = *tc.Index
				}
				cl := calls[idx]
				if cl == nil {
					cl = &struct{ name, args strings.Builder }{}
					calls[idx] = cl
					order = append(order, idx)
				}
				cl.name.WriteString(tc.Function.Name)
				cl.args.WriteString(tc.Function.Arguments)
			}
		}
	}
	if s := strings.TrimSpace(pending.String()); s != "" {
		onSentence(s)
	}
	res.Text = all.String()
	for _, idx := range order {
		cl := calls[idx]
		args := map[string]string{}
		var raw map[string]any
		if json.Unmarshal([]byte(cl.args.String()), &raw) == nil {
			for k, v := range raw {
				args[k] = fmt.Sprint(v)
			}
		}
		res.ToolCalls = append(res.ToolCalls, dialog.ToolCall{Name: cl.name.String(), Args: args})
	}
	return res, nil
}

// emitSentences passes every complete sentence of s to emit and returns
// the incomplete rest.
func emitSentences(s string, emit func(string)) string {
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		end := false
		switch r {
		case '。', '！', '？', '；', '\n', '!', '?', ';':
			end = true
		case '.':
			// "3.5" is not the end of a sentence.
			end = i >= len(s) || s[i] == ' '
			if i >= len(s) {
				return s[start:] // wait for what follows the dot
			}
		}
		if end {
			if t := strings.TrimSpace(s[start:i]); t != "" {
				emit(t)
			}
			start = i
		}
	}
	return s[start:]
}
