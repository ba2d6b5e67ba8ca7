package dialog

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Usage is what one model request consumed. Cost is in thousandths of a
// fen (model prices are fractions of a fen per request).
type Usage struct {
	Model            string `json:"model,omitempty"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	CostMilliFen     int64  `json:"cost_milli_fen"`
}

// ToolCall is a tool the model asked for in an LLM node: set_var(name,
// value), set_tag(tag), goto(node), transfer(target), hangup(text).
type ToolCall struct {
	Name string            `json:"name"`
	Args map[string]string `json:"args,omitempty"`
}

// LLMResult is a classification or a chat reply.
type LLMResult struct {
	Intent     string     `json:"intent,omitempty"`
	Confidence float64    `json:"confidence,omitempty"`
	Text       string     `json:"text,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	Usage      Usage      `json:"usage"`
}

// ChatMessage is one message of an LLM node's conversation.
type ChatMessage struct {
	Role    string `json:"role"` // system, user, assistant
	Content string `json:"content"`
}

// ChatRequest is an LLM node turn.
type ChatRequest struct {
	Messages []ChatMessage
	Tools    []string
	Nodes    []string // node ids goto may name
}

// IntentClassifier is the optional LLM fallback for unmatched utterances
// (app/llm implements it over any OpenAI-compatible API).
type IntentClassifier interface {
	ClassifyIntent(ctx context.Context, text string, intents []string, hint string) (LLMResult, error)
}

// ChatModel runs an LLM node turn, calling onSentence for each complete
// sentence as it streams so the synthesizer can start early.
type ChatModel interface {
	ChatStream(ctx context.Context, req ChatRequest, onSentence func(string)) (LLMResult, error)
}

var errBudget = errors.New("llm: time budget exceeded")

// withBudget runs fn but never waits for it longer than budget: a model that
// ignores its context cannot stall the call. After the budget, sentences
// fn still produces are dropped.
func withBudget(parent context.Context, budget time.Duration, fn func(ctx context.Context, emit func(string)) (LLMResult, error), onSentence func(string)) (LLMResult, error) {
	ctx, cancel := context.WithTimeout(parent, budget)
	defer cancel()
	var mu sync.Mutex
	done := false
	emit := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if !done && onSentence != nil {
			onSentence(s)
		}
	}
	type out struct {
		r   LLMResult
		err error
	}
	ch := make(chan out, 1)
	go func() {
		r, err := fn(ctx, emit)
		ch <- out{r, err}
	}()
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case o := <-ch:
		mu.Lock()
		done = true
		mu.Unlock()
		if o.err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
			// The model gave up on our deadline a moment before the timer fired.
			return o.r, errBudget
		}
		return o.r, o.err
	case <-timer.C:
		mu.Lock()
		done = true
		mu.Unlock()
		return LLMResult{}, errBudget
	}
}
