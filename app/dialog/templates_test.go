package dialog

import (
	"testing"
)

func TestTemplatesValidAndPassTheirTests(t *testing.T) {
	for _, info := range Templates() {
		t.Run(info.Name, func(t *testing.T) {
			s, err := Template(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range Validate(s) {
				t.Errorf("%s", i)
			}
			for _, tr := range RunTests(s) {
				if !tr.Passed {
					t.Errorf("test %q: %v\npath %v tags %v grade %s end %s", tr.Name, tr.Failures, tr.Result.Path, tr.Result.Tags, tr.Result.Grade, tr.Result.End)
				}
			}
			// JSON round trip.
			back, err := Parse(s.JSON())
			if err != nil {
				t.Fatal(err)
			}
			if string(back.JSON()) != string(s.JSON()) {
				t.Error("JSON round trip changed the script")
			}
		})
	}
}

// TestTemplatesAnswerEveryIntentAtEveryNode starts each template at each
// waiting node in turn and says every general intent there: the node must
// route it or answer it, never fall back to a no-match line.
func TestTemplatesAnswerEveryIntentAtEveryNode(t *testing.T) {
	m := builtinMatcher(t)
	utter := map[string][2]string{} // intent → zh, en example that classifies as itself
	for _, in := range BuiltinIntents() {
		for _, ex := range in.Examples {
			latin := ex[0] < 0x80
			i := 0
			if latin {
				i = 1
			}
			u := utter[in.Name]
			if u[i] == "" && m.Classify(ex).Intent == in.Name {
				u[i] = ex
				utter[in.Name] = u
			}
		}
	}
	checked := 0
	for _, info := range Templates() {
		base, _ := Template(info.Name)
		lang := 0
		if info.Lang == "en" {
			lang = 1
		}
		// One compiled copy per template; only Start changes (compile does
		// not depend on it).
		s, _ := Template(info.Name)
		if _, err := Compile(s); err != nil {
			t.Fatal(err)
		}
		noMatch := map[string]bool{}
		for _, l := range base.Defaults.NoMatch.Lines {
			noMatch[l] = true
		}
		for _, n := range base.Nodes {
			if !isWaiting(n.Type) {
				continue
			}
			for _, intent := range GeneralIntentNames() {
				line := utter[intent][lang]
				if line == "" {
					t.Fatalf("no %s example for %s", info.Lang, intent)
				}
				s.Start = n.ID
				c := NewCall(s, s.testVars())
				c.Start()
				acts := c.Reply(line)
				if len(acts) == 0 {
					t.Errorf("%s/%s/%s: no answer", info.Name, n.ID, intent)
					continue
				}
				if say, ok := acts[0].(Say); ok && noMatch[say.Text] {
					t.Errorf("%s/%s: %s (%q) fell to no-match", info.Name, n.ID, intent, line)
				}
				checked++
			}
		}
		Forget(s)
	}
	t.Logf("%d node × intent pairs answered", checked)
}
