package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/dialog"
)

// One utterance per general intent in each language, as a callee would say
// it at a template's main question.
var intentLines = map[string][2]string{
	"affirm":            {"好的没问题", "yes sure"},
	"deny":              {"不对", "no"},
	"busy":              {"我在开车呢", "i'm driving"},
	"call_later":        {"你晚点再打吧", "call me back later"},
	"ask_identity":      {"你是哪个公司的", "who is this"},
	"ask_number_source": {"你们怎么有我的电话", "where did you get my number"},
	"not_interested":    {"不感兴趣", "not interested"},
	"interested":        {"我想了解一下", "tell me more"},
	"ask_price":         {"多少钱", "how much does it cost"},
	"request_human":     {"转人工", "transfer me to an agent"},
	"ask_is_robot":      {"你是机器人吗", "are you a robot"},
	"complaint":         {"我要投诉你们", "this is harassment"},
	"opt_out":           {"以后别再打了", "stop calling me"},
	"wrong_person":      {"你打错了", "wrong number"},
	"ask_repeat":        {"没听清，再说一遍", "say that again"},
	"voice_assistant":   {"机主暂时无法接听，请留言", "please leave a message after the tone"},
	"already_paid":      {"我已经还了", "i already paid"},
	"promise_to_pay":    {"我明天就还", "i'll pay tomorrow"},
	"cannot_pay":        {"最近手头紧，没钱", "i have no money"},
	"dispute_debt":      {"我没借过钱", "i never borrowed money"},
}

type expect struct {
	node  string // must be on the path ("" = stays at the main question)
	end   string // "" = call still waiting
	grade string
}

// Outcomes shared by all templates (global handlers), then per template.
var commonExpect = map[string]expect{
	"busy":              {"callback", "hangup", "B"},
	"call_later":        {"callback", "hangup", "B"},
	"ask_identity":      {"", "", "C"},
	"ask_number_source": {"", "", "C"},
	"not_interested":    {"refused", "hangup", "D"},
	"interested":        {"", "", "C"},
	"ask_price":         {"", "", "C"},
	"request_human":     {"", "transfer", "B"},
	"ask_is_robot":      {"", "", "C"},
	"complaint":         {"", "hangup", "F"},
	"opt_out":           {"", "hangup", "F"},
	"wrong_person":      {"wrong", "hangup", "F"},
	"ask_repeat":        {"", "", "C"},
	"voice_assistant":   {"", "hangup", "F"},
	"already_paid":      {"", "", "C"},
	"promise_to_pay":    {"", "", "C"},
	"cannot_pay":        {"", "", "C"},
	"dispute_debt":      {"", "", "C"},
}

var templateExpect = map[string]map[string]expect{
	"telemarketing": {
		"affirm": {"ask_follow", "", "C"}, "deny": {"refused", "hangup", "D"}, "interested": {"ask_follow", "", "B"},
		"ask_price": {"", "", "B"},
	},
	"collections": {
		"affirm": {"ptp", "hangup", "A"}, "deny": {"hardship", "", "C"}, "already_paid": {"paid", "hangup", "C"},
		"promise_to_pay": {"ptp", "hangup", "A"}, "cannot_pay": {"hardship", "", "C"}, "dispute_debt": {"", "transfer", "B"},
	},
	"notification": {
		"affirm": {"confirmed", "hangup", "A"}, "deny": {"change", "", "C"}, "interested": {"confirmed", "hangup", "A"},
		"promise_to_pay": {"confirmed", "hangup", "A"}, "cannot_pay": {"change", "", "C"}, "not_interested": {"change", "", "C"},
	},
	"followup": {
		"affirm": {"rate", "", "C"}, "deny": {"refused", "hangup", "D"}, "interested": {"rate", "", "C"},
	},
	"verification": {
		"affirm": {"ask_last4", "", "C"}, "deny": {"bye_not_mine", "hangup", "D"}, "interested": {"ask_last4", "", "C"},
		"dispute_debt": {"bye_not_mine", "hangup", "D"}, "not_interested": {"bye_not_mine", "hangup", "D"},
	},
}

func chat(t *testing.T, args []string, input string) (dialog.Result, string) {
	t.Helper()
	stdin = strings.NewReader(input)
	defer func() { stdin = nil }()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"script", "chat", "--json"}, args...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r dialog.Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("result line %q: %v", lines[len(lines)-1], err)
	}
	return r, out.String()
}

// TestChatEveryTemplateThroughEveryGeneralIntent answers each template's
// identity question with yes, then says one general intent at the main
// question, through `waihu script chat`, and checks path, end and grade.
func TestChatEveryTemplateThroughEveryGeneralIntent(t *testing.T) {
	for _, base := range dialog.TemplateNames {
		for li, lang := range []string{"zh", "en"} {
			name := base
			if lang == "en" {
				name += "-en"
			}
			tmpl, _ := dialog.Template(name)
			main := tmpl.Node("confirm").Branches[0].Next
			for _, intent := range dialog.GeneralIntentNames() {
				t.Run(name+"/"+intent, func(t *testing.T) {
					want, ok := templateExpect[base][intent]
					if !ok {
						want = commonExpect[intent]
					}
					yes := []string{"是我", "yes speaking"}[li]
					r, transcript := chat(t, []string{"--var", "name=张三", "--var", "amount=3500", name}, yes+"\n"+intentLines[intent][li]+"\n")
					if len(r.Intents) < 2 || r.Intents[1].Intent != intent {
						t.Fatalf("recognized %+v, want %s\n%s", r.Intents, intent, transcript)
					}
					if !slices.Contains(r.Path, main) {
						t.Errorf("path %v does not reach %s", r.Path, main)
					}
					if want.node != "" && !slices.Contains(r.Path, want.node) {
						t.Errorf("path %v, want %s on it", r.Path, want.node)
					}
					if want.node == "" && want.end == "" && (r.Ended || r.Node != main) {
						t.Errorf("want the call back at %s, got node %s ended=%v", main, r.Node, r.Ended)
					}
					if r.End != want.end {
						t.Errorf("end %q, want %q", r.End, want.end)
					}
					if r.Grade != want.grade {
						t.Errorf("grade %s, want %s (tags %v)", r.Grade, want.grade, r.Tags)
					}
				})
			}
		}
	}
}

func TestScriptCheckAndClassify(t *testing.T) {
	var out, errb bytes.Buffer
	for _, name := range dialog.TemplateNames {
		for _, n := range []string{name, name + "-en"} {
			out.Reset()
			if code := run(context.Background(), []string{"script", "check", "--strict", n}, &out, &errb); code != 0 {
				t.Errorf("check %s: %s%s", n, out.String(), errb.String())
			}
		}
	}
	stdin = strings.NewReader("不需要\n\nI'm not interested\n不是不想还\n")
	defer func() { stdin = nil }()
	out.Reset()
	if code := run(context.Background(), []string{"script", "classify", "collections"}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", out.String())
	}
	var m struct {
		Text, Intent string
		Confidence   float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m.Intent != "not_interested" || m.Text != "不需要" || m.Confidence <= 0 {
		t.Fatalf("line 1 %q", lines[0])
	}
	if strings.Contains(lines[2], "cannot_pay") {
		t.Fatalf("不是不想还 must not be a refusal: %s", lines[2])
	}
	// A broken file names the node.
	dir := t.TempDir()
	bad, _ := dialog.Template("telemarketing")
	bad.Nodes[2].Branches[0].Next = "missing"
	f := dir + "/bad.json"
	if err := writeFile(f, bad.JSON()); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"script", "check", f}, &out, &errb); code == 0 || !strings.Contains(out.String(), `node pitch: branch 1 goes to missing node "missing"`) {
		t.Fatalf("check bad file: %d %s", code, out.String())
	}
}

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }
