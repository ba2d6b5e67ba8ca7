package dialog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
)

// Node types.
const (
	NodeSay      = "say"      // speak a line (text or recorded audio), then go to Next
	NodeListen   = "listen"   // optionally ask (Text), wait for speech, branch by intent
	NodeBranch   = "branch"   // route by the last intent or a variable without listening
	NodeDTMF     = "dtmf"     // collect key presses into a variable, branch by digits
	NodeSet      = "set"      // set tags and variables, then go to Next
	NodeTransfer = "transfer" // say Text, hand the call to a human (Target)
	NodeHangup   = "hangup"   // say the closing line (Text), end the call
	NodeLLM      = "llm"      // an open conversation run by a chat model (see LLMConfig)
)

// Barge-in modes: may the callee interrupt a line while it plays?
const (
	BargeInOff     = "off"     // never (the default: safe for disclosures and legal text)
	BargeInAfter   = "after"   // after AfterMs of the line has played
	BargeInIntents = "intents" // only when what the callee said is one of Intents
)

// Global handler actions.
const (
	GlobalAnswer   = "answer"   // say Text, then return to the node that was waiting
	GlobalRepeat   = "repeat"   // repeat the waiting node's question
	GlobalGoto     = "goto"     // say Text (optional), continue at Next
	GlobalHangup   = "hangup"   // say Text as the closing line and end the call
	GlobalTransfer = "transfer" // say Text and transfer to Target
)

// Script is one call script (话术). It is plain data: JSON in, JSON out. The
// same struct is the draft a tenant edits and the frozen body of a published
// version.
type Script struct {
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Lang        string `json:"lang,omitempty"` // "zh" (default) or "en"
	Description string `json:"description,omitempty"`
	Template    string `json:"template,omitempty"`
	Start       string `json:"start"`
	// Vars are the contact columns the script may use in ${var} references.
	Vars     []string  `json:"vars,omitempty"`
	Defaults Defaults  `json:"defaults"`
	Nodes    []Node    `json:"nodes"`
	Intents  []Intent  `json:"intents,omitempty"` // script intents; a name equal to a built-in one replaces it
	Globals  []Global  `json:"globals,omitempty"` // intents handled at every waiting node
	KB       []KBEntry `json:"kb,omitempty"`
	Grading  Grading   `json:"grading"`
	Tests    []Test    `json:"tests,omitempty"`
	// NoBuiltinIntents leaves the general intent library out.
	NoBuiltinIntents bool `json:"no_builtin_intents,omitempty"`
	// LLMFallback lets a chat model classify utterances no rule matched.
	LLMFallback *LLMFallback `json:"llm_fallback,omitempty"`
}

// Defaults apply to every waiting node that does not set its own.
type Defaults struct {
	SilenceMs int      `json:"silence_ms,omitempty"`
	Silence   *Retry   `json:"silence,omitempty"`
	NoMatch   *Retry   `json:"no_match,omitempty"`
	BargeIn   *BargeIn `json:"barge_in,omitempty"` // for listen prompts
	// MinASRConfidence: recognized speech below this ASR confidence (when the
	// recognizer reports one) takes the no-match path instead of being
	// classified, so phone-line garbage is asked again rather than misrouted.
	MinASRConfidence float64 `json:"min_asr_confidence,omitempty"`
}

// Retry is the handling of silence or of an unmatched answer at a node: up
// to len(Lines) re-prompts (line i on retry i), then Next.
type Retry struct {
	Lines []string `json:"lines"`
	Next  string   `json:"next"`
}

// BargeIn is a line's interruption policy.
type BargeIn struct {
	Mode    string   `json:"mode"`
	AfterMs int      `json:"after_ms,omitempty"`
	Intents []string `json:"intents,omitempty"`
}

// Branch routes on an intent (listen, branch nodes), on key presses (dtmf
// nodes) or on a variable's value (branch nodes).
type Branch struct {
	Intents []string `json:"intents,omitempty"`
	Digits  string   `json:"digits,omitempty"`
	Var     string   `json:"var,omitempty"`
	Equals  string   `json:"equals,omitempty"`
	Tags    []string `json:"tags,omitempty"` // tags to add when this branch is taken
	Next    string   `json:"next"`
}

// Node is one step of the main flow.
type Node struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
	// Text is what the node says (say, listen question, dtmf prompt,
	// transfer and hangup lines); AudioURL a recording used instead of TTS.
	Text     string   `json:"text,omitempty"`
	AudioURL string   `json:"audio_url,omitempty"`
	BargeIn  *BargeIn `json:"barge_in,omitempty"`
	Next     string   `json:"next,omitempty"`
	// Waiting nodes.
	TimeoutMs int      `json:"timeout_ms,omitempty"`
	Expect    []string `json:"expect,omitempty"` // phrases for grammar-based ASR
	Branches  []Branch `json:"branches,omitempty"`
	Silence   *Retry   `json:"silence,omitempty"`
	NoMatch   *Retry   `json:"no_match,omitempty"`
	// dtmf nodes.
	MaxDigits  int    `json:"max_digits,omitempty"`
	Terminator string `json:"terminator,omitempty"`
	Var        string `json:"var,omitempty"`
	// set nodes.
	Tags    []string          `json:"tags,omitempty"`
	SetVars map[string]string `json:"set_vars,omitempty"`
	// transfer nodes.
	Target string `json:"target,omitempty"`
	// llm nodes.
	LLM *LLMConfig `json:"llm,omitempty"`
	// Position on the editor canvas.
	X float64 `json:"x,omitempty"`
	Y float64 `json:"y,omitempty"`
}

// Intent is something a callee may mean. Keywords and regular expressions
// are matched on normalized text with negation awareness; Examples are
// matched by character n-gram similarity.
type Intent struct {
	Name     string   `json:"name"`
	Priority int      `json:"priority,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	Regexes  []string `json:"regexes,omitempty"`
	Examples []string `json:"examples,omitempty"`
}

// Global handles an intent at whichever node is waiting, unless that node
// branches on the intent itself.
type Global struct {
	Intent string   `json:"intent"`
	Action string   `json:"action"`
	Text   string   `json:"text,omitempty"`
	Next   string   `json:"next,omitempty"`
	Target string   `json:"target,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// Reprompt repeats the waiting node's question after an answer.
	Reprompt bool `json:"reprompt,omitempty"`
}

// KBEntry is a knowledge-base question: matched like an intent named
// "kb:"+ID, answered with Answer, then the flow resumes.
type KBEntry struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Keywords []string `json:"keywords,omitempty"`
	Examples []string `json:"examples,omitempty"`
	Answer   string   `json:"answer"`
}

// Grading gives a call a grade A–F: the first rule that matches wins,
// otherwise Default.
type Grading struct {
	Rules   []GradeRule `json:"rules"`
	Default string      `json:"default"`
}

// GradeRule matches when every condition it sets holds.
type GradeRule struct {
	Grade      string   `json:"grade"`
	AnyTags    []string `json:"any_tags,omitempty"`
	AllTags    []string `json:"all_tags,omitempty"`
	NoTags     []string `json:"no_tags,omitempty"`
	AnyIntents []string `json:"any_intents,omitempty"`
	MinTurns   int      `json:"min_turns,omitempty"`
	MaxTurns   int      `json:"max_turns,omitempty"` // 0 = no limit
	MinSeconds int      `json:"min_seconds,omitempty"`
	MaxSeconds int      `json:"max_seconds,omitempty"` // 0 = no limit
}

// Test is a scripted conversation: the callee's lines in order and what
// must come out. A line may be "<silence>", "<dtmf:123>" or "<hangup>".
type Test struct {
	Name  string            `json:"name"`
	Vars  map[string]string `json:"vars,omitempty"`
	Lines []string          `json:"lines"`
	// Path is a subsequence the call's node path must contain, in order.
	Path  []string `json:"path,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	Grade string   `json:"grade,omitempty"`
	End   string   `json:"end,omitempty"` // "hangup", "transfer" or "caller_hangup"
}

// LLMFallback configures classification by a chat model when no rule
// matches. The call never waits past BudgetMs.
type LLMFallback struct {
	BudgetMs   int     `json:"budget_ms"`
	MinConf    float64 `json:"min_confidence,omitempty"`
	PromptHint string  `json:"prompt_hint,omitempty"`
}

// LLMConfig is an open-conversation node.
type LLMConfig struct {
	Prompt       string   `json:"prompt"`
	UseKB        bool     `json:"use_kb,omitempty"`
	BannedTopics []string `json:"banned_topics,omitempty"`
	BannedPhrase []string `json:"banned_phrases,omitempty"`
	MaxTurns     int      `json:"max_turns,omitempty"`
	BudgetMs     int      `json:"budget_ms,omitempty"`
	FillerLine   string   `json:"filler_line,omitempty"`
	Fallback     string   `json:"fallback,omitempty"` // node to continue at on timeout, error or max turns
	// Tools the model may call; empty = all of set_var, set_tag, goto,
	// transfer, hangup.
	Tools []string `json:"tools,omitempty"`
}

// Parse reads a script from JSON, rejecting unknown fields so a typo in an
// imported file is an error rather than a silently ignored setting.
func Parse(data []byte) (*Script, error) {
	var s Script
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse script: %w", err)
	}
	return &s, nil
}

// JSON renders the script, indented for people and diffs.
func (s *Script) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return b
}

// Clone is a deep copy (through JSON: scripts are small and this is not on
// the per-turn path).
func (s *Script) Clone() *Script {
	c, err := Parse(s.JSON())
	if err != nil {
		panic(err)
	}
	return c
}

// Node returns the node with id, or nil.
func (s *Script) Node(id string) *Node {
	for i := range s.Nodes {
		if s.Nodes[i].ID == id {
			return &s.Nodes[i]
		}
	}
	return nil
}

// Global returns the global handler for intent, or nil.
func (s *Script) Global(intent string) *Global {
	for i := range s.Globals {
		if s.Globals[i].Intent == intent {
			return &s.Globals[i]
		}
	}
	return nil
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// VarRefs lists the ${var} names used in text.
func VarRefs(text string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// Expand replaces ${var} with its value; unknown variables become empty.
func Expand(text string, vars map[string]string) string {
	if len(text) == 0 || !containsDollarBrace(text) {
		return text
	}
	return varRef.ReplaceAllStringFunc(text, func(m string) string {
		return vars[m[2:len(m)-1]]
	})
}

func containsDollarBrace(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '{' {
			return true
		}
	}
	return false
}

func isWaiting(t string) bool  { return t == NodeListen || t == NodeDTMF || t == NodeLLM }
func isTerminal(t string) bool { return t == NodeHangup || t == NodeTransfer }
