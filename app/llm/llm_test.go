package llm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/waihu/waihu/app/dialog"
)

// fakeAPI speaks the OpenAI chat-completions protocol (JSON and streaming
// SSE) with canned replies chosen by the last user message.
type fakeAPI struct {
	t        *testing.T
	mu       sync.Mutex
	requests []map[string]any
	release  chan struct{} // the "streaming" reply waits on it after its first sentence
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, "bad path or key", 404)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct{ Role, Content string }
		Tools    []any `json:"tools"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, map[string]any{"model": req.Model, "stream": req.Stream, "system": req.Messages[0].Content, "tools": len(req.Tools)})
	f.mu.Unlock()
	last := req.Messages[len(req.Messages)-1].Content
	if !req.Stream {
		reply := `{"intent":"none","confidence":0}`
		if strings.Contains(last, "酷炫") {
			reply = `{"intent":"interested","confidence":0.8}`
		}
		fmt.Fprintf(w, `{"id":"x","object":"chat.completion","model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":12,"total_tokens":132}}`, req.Model, reply)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	send := func(delta string) {
		fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":%q,\"choices\":[{\"index\":0,\"delta\":%s}]}\n\n", req.Model, delta)
		fl.Flush()
	}
	content := func(s string) { b, _ := json.Marshal(map[string]string{"content": s}); send(string(b)) }
	tool := func(i int, name, args string) {
		send(fmt.Sprintf(`{"tool_calls":[{"index":%d,"id":"call_%d","type":"function","function":{"name":%q,"arguments":""}}]}`, i, i, name))
		a, _ := json.Marshal(args)
		send(fmt.Sprintf(`{"tool_calls":[{"index":%d,"function":{"arguments":%s}}]}`, i, a))
	}
	done := func() {
		fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":200,\"completion_tokens\":30,\"total_tokens\":230}}\n\n", req.Model)
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
	switch {
	case strings.Contains(last, "产品"):
		content("我们主要")
		content("做智能外呼。价格")
		if f.release != nil {
			<-f.release
		}
		content("3.5元一分钟，很实惠")
		done()
	case strings.Contains(last, "预约"):
		content("好的，")
		content("已为您预约明天下午。")
		tool(0, "set_var", `{"name":"appointment","value":"明天下午"}`)
		tool(1, "set_tag", `{"tag":"goal"}`)
		done()
	case strings.Contains(last, "再见"):
		tool(0, "hangup", `{"text":"感谢接听，再见。"}`)
		done()
	case strings.Contains(last, "收益"):
		content("这个产品保证收益，稳赚不赔。")
		content("您可以放心。")
		done()
	case strings.Contains(last, "慢"):
		content("嗯")
		<-r.Context().Done() // never finishes: the turn's budget must cut it off
	default:
		content("好的。")
		done()
	}
}

func llmScript() *dialog.Script {
	return &dialog.Script{
		Name: "llm", Start: "open", Vars: []string{"name"},
		Defaults: dialog.Defaults{Silence: &dialog.Retry{Lines: []string{"喂？"}, Next: "bye"}, NoMatch: &dialog.Retry{Lines: []string{"没听清"}, Next: "bye"}},
		Nodes: []dialog.Node{
			{ID: "open", Type: dialog.NodeSay, Text: "您好${name}，我是XX公司的智能语音助手。", Next: "chat"},
			{ID: "chat", Type: dialog.NodeLLM, Text: "有什么可以帮您？", LLM: &dialog.LLMConfig{
				Prompt: "你是XX公司的客服，客户叫${name}。", UseKB: true, BannedPhrase: []string{"保证收益"}, BannedTopics: []string{"政治"},
				MaxTurns: 5, BudgetMs: 2000, FillerLine: "不好意思，请稍等。", Fallback: "bye"}},
			{ID: "bye", Type: dialog.NodeHangup, Text: "稍后由顾问联系您，再见。"},
		},
		Globals:     []dialog.Global{{Intent: dialog.IntentOptOut, Action: dialog.GlobalHangup, Text: "好的，不再打扰。", Tags: []string{"opt_out"}}},
		KB:          []dialog.KBEntry{{ID: "hours", Question: "营业时间", Answer: "每天9点到18点"}},
		Grading:     dialog.DefaultGrading(),
		LLMFallback: &dialog.LLMFallback{BudgetMs: 2000, MinConf: 0.5},
	}
}

func newClient(t *testing.T, f *fakeAPI) *Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/v1", APIKey: "test-key", Model: "test-model", PromptFenPerMTok: 100, CompletionFenPerMTok: 200})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func says(acts []dialog.Action) []string {
	var out []string
	for _, a := range acts {
		if s, ok := a.(dialog.Say); ok {
			out = append(out, s.Text)
		}
	}
	return out
}

func TestLLMNodeStreamsSentencesAndRunsTools(t *testing.T) {
	f := &fakeAPI{t: t, release: make(chan struct{})}
	cl := newClient(t, f)
	var emitted []string
	var once sync.Once
	call := dialog.NewCall(llmScript(), map[string]string{"name": "张三"}, dialog.WithChatModel(cl),
		dialog.WithEmitter(func(a dialog.Action) {
			emitted = append(emitted, a.(dialog.Say).Text)
			// The first sentence arrived while the model was still
			// streaming: let the server finish.
			once.Do(func() { close(f.release) })
		}))
	if issues := dialog.Errors(dialog.Validate(llmScript())); len(issues) > 0 {
		t.Fatal(issues)
	}
	call.Start()
	acts := call.Reply("你们有什么产品")
	if want := []string{"我们主要做智能外呼。", "价格3.5元一分钟，很实惠"}; !slices.Equal(emitted, want) {
		t.Fatalf("emitted %q, want %q", emitted, want)
	}
	if len(says(acts)) != 0 {
		t.Fatalf("streamed lines must not be returned too: %v", acts)
	}
	if _, ok := acts[len(acts)-1].(dialog.Listen); !ok {
		t.Fatalf("want Listen after the reply, got %v", acts)
	}
	f.mu.Lock()
	sys := f.requests[0]["system"].(string)
	f.mu.Unlock()
	for _, want := range []string{"客户叫张三", "每天9点到18点", "保证收益", "政治"} {
		if !strings.Contains(sys, want) {
			t.Errorf("system prompt lacks %q: %s", want, sys)
		}
	}
	r := call.Result()
	if len(r.LLM) != 1 || r.LLM[0].Usage.PromptTokens != 200 || r.LLM[0].Usage.CompletionTokens != 30 || r.LLMCostMilli != (200*100+30*200)/1000 {
		t.Fatalf("llm turns %+v cost %d", r.LLM, r.LLMCostMilli)
	}
}

func TestLLMNodeToolsGuardrailsBudget(t *testing.T) {
	f := &fakeAPI{t: t}
	cl := newClient(t, f)
	call := dialog.NewCall(llmScript(), map[string]string{"name": "张三"}, dialog.WithChatModel(cl))
	call.Start()
	acts := call.Reply("我想预约一下")
	if got := says(acts); !slices.Equal(got, []string{"好的，已为您预约明天下午。"}) {
		t.Fatalf("says %q", got)
	}
	r := call.Result()
	if r.Vars["appointment"] != "明天下午" || !slices.Contains(r.Tags, "goal") {
		t.Fatalf("tools not applied: vars %v tags %v", r.Vars, r.Tags)
	}
	// A banned phrase never reaches the callee.
	acts = call.Reply("这个有收益吗")
	if got := says(acts); len(got) != 2 || got[0] != "抱歉，这个问题我没办法回答您。" || got[1] != "您可以放心。" {
		t.Fatalf("guardrail: %q", got)
	}
	// Opt-out is never left to the model.
	c2 := dialog.NewCall(llmScript(), nil, dialog.WithChatModel(cl))
	c2.Start()
	acts = c2.Reply("别再给我打电话了")
	if h, ok := acts[len(acts)-1].(dialog.Hangup); !ok || h.Text != "好的，不再打扰。" {
		t.Fatalf("opt-out: %v", acts)
	}
	// The model ends the call with a tool.
	acts = call.Reply("好的再见")
	if h, ok := acts[len(acts)-1].(dialog.Hangup); !ok || h.Text != "感谢接听，再见。" {
		t.Fatalf("hangup tool: %v", acts)
	}
	// A model that never finishes: the budget runs out, the filler line
	// plays and the fallback node runs.
	s := llmScript()
	s.Nodes[1].LLM.BudgetMs = 200
	c3 := dialog.NewCall(s, nil, dialog.WithChatModel(cl))
	c3.Start()
	acts = c3.Reply("你说慢一点")
	got := says(acts)
	if len(got) == 0 || got[0] != "不好意思，请稍等。" {
		t.Fatalf("filler: %q (%v)", got, acts)
	}
	if h, ok := acts[len(acts)-1].(dialog.Hangup); !ok || h.Text != "稍后由顾问联系您，再见。" {
		t.Fatalf("fallback: %v", acts)
	}
	r3 := c3.Result()
	if len(r3.LLM) != 1 || !r3.LLM[0].TimedOut {
		t.Fatalf("timeout not recorded: %+v", r3.LLM)
	}
}

func TestLLMFallbackClassifier(t *testing.T) {
	f := &fakeAPI{t: t}
	cl := newClient(t, f)
	s := llmScript()
	s.Nodes[1] = dialog.Node{ID: "chat", Type: dialog.NodeListen, Text: "您感兴趣吗？", Branches: []dialog.Branch{{Intents: []string{dialog.IntentInterested}, Next: "bye"}}}
	call := dialog.NewCall(s, nil, dialog.WithClassifier(cl))
	call.Start()
	call.Reply("这玩意儿挺酷炫")
	r := call.Result()
	if len(r.Intents) != 1 || r.Intents[0].Intent != "interested" || r.Intents[0].Source != "llm" {
		t.Fatalf("intents %+v", r.Intents)
	}
	if len(r.LLM) != 1 || r.LLM[0].Kind != "classify" || r.LLM[0].Usage.PromptTokens != 120 || r.LLMCostMilli != (120*100+12*200)/1000 {
		t.Fatalf("llm %+v cost %d", r.LLM, r.LLMCostMilli)
	}
	if !r.Ended {
		t.Fatal("the classified intent must drive the flow")
	}
}

func TestEmitSentences(t *testing.T) {
	var got []string
	rest := emitSentences("你好。价格是3.5元！还有吗? ok. tail", func(s string) { got = append(got, s) })
	if !slices.Equal(got, []string{"你好。", "价格是3.5元！", "还有吗?", "ok."}) || rest != " tail" {
		t.Fatalf("%q rest %q", got, rest)
	}
}

// TestScriptTestsCoverLLMNode: a script's own test conversations (what a
// publish runs) drive its LLM node through the local chat API.
func TestScriptTestsCoverLLMNode(t *testing.T) {
	cl := newClient(t, &fakeAPI{t: t})
	s := llmScript()
	s.Tests = []dialog.Test{
		{Name: "books an appointment", Vars: map[string]string{"name": "王五"}, Lines: []string{"我想预约", "好的再见"},
			Path: []string{"open", "chat"}, Tags: []string{"goal"}, Grade: "A", End: dialog.EndHangup},
		{Name: "opt-out bypasses the model", Lines: []string{"以后别再打了"}, Tags: []string{"opt_out"}, Grade: "F"},
	}
	if issues := dialog.Check(s, dialog.WithChatModel(cl)); len(issues) > 0 {
		t.Fatalf("check: %v", issues)
	}
	// Without a model the node's fallback runs and the first test fails:
	// publishing would be refused.
	if issues := dialog.Check(s); len(issues) == 0 {
		t.Fatal("want a failing test without the chat model")
	}
}

func TestLLMNodeMaxTurns(t *testing.T) {
	cl := newClient(t, &fakeAPI{t: t})
	s := llmScript()
	s.Nodes[1].LLM.MaxTurns = 1
	call := dialog.NewCall(s, nil, dialog.WithChatModel(cl))
	call.Start()
	if acts := call.Reply("你好"); len(says(acts)) != 1 {
		t.Fatalf("first turn: %v", acts)
	}
	acts := call.Reply("还有呢")
	if h, ok := acts[len(acts)-1].(dialog.Hangup); !ok || h.Text != "稍后由顾问联系您，再见。" {
		t.Fatalf("after max turns the fallback node runs: %v", acts)
	}
	if r := call.Result(); len(r.LLM) != 1 {
		t.Fatalf("the model must not be asked after max turns: %+v", r.LLM)
	}
}
