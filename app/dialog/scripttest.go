package dialog

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TestResult is the outcome of one script test conversation.
type TestResult struct {
	Name     string   `json:"name"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	Result   Result   `json:"result"`
}

// RunTests talks each test conversation through the script and compares
// path, tags, grade and end. Time is simulated (each turn 3 s) so duration
// rules are deterministic.
func RunTests(s *Script, opts ...Option) []TestResult {
	var out []TestResult
	cs, err := compile(s)
	if err != nil {
		for _, t := range s.Tests {
			out = append(out, TestResult{Name: t.Name, Failures: []string{err.Error()}})
		}
		return out
	}
	for _, t := range s.Tests {
		out = append(out, RunTest(s, t, append([]Option{withCompiled(cs)}, opts...)...))
	}
	return out
}

// RunTest runs one conversation.
func RunTest(s *Script, t Test, opts ...Option) TestResult {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	c := NewCall(s, t.Vars, append([]Option{WithClock(now)}, opts...)...)
	c.Start()
	for _, line := range t.Lines {
		if c.Ended() {
			break
		}
		clock = clock.Add(3 * time.Second)
		c.Reply(line)
	}
	r := c.Result()
	tr := TestResult{Name: t.Name, Result: r}
	fail := func(f string, a ...any) { tr.Failures = append(tr.Failures, fmt.Sprintf(f, a...)) }
	if !containsInOrder(r.Path, t.Path) {
		fail("path %s does not contain %s in order", strings.Join(r.Path, "→"), strings.Join(t.Path, "→"))
	}
	for _, tag := range t.Tags {
		if !slices.Contains(r.Tags, tag) {
			fail("tag %q missing (tags: %s)", tag, strings.Join(r.Tags, ","))
		}
	}
	if t.Grade != "" && r.Grade != t.Grade {
		fail("grade %s, want %s", r.Grade, t.Grade)
	}
	if t.End != "" && r.End != t.End {
		fail("end %q, want %q", r.End, t.End)
	}
	tr.Passed = len(tr.Failures) == 0
	return tr
}

func containsInOrder(path, want []string) bool {
	i := 0
	for _, p := range path {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	return i == len(want)
}

// Check is what publishing runs: validation errors and failing tests. An
// empty slice means the script may be published.
func Check(s *Script, opts ...Option) []Issue {
	issues := Errors(Validate(s))
	if len(issues) > 0 {
		return issues
	}
	for _, tr := range RunTests(s, opts...) {
		for _, f := range tr.Failures {
			issues = append(issues, Issue{Where: "test " + tr.Name, Message: f})
		}
	}
	return issues
}
