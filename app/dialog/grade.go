package dialog

import "slices"

// Grades from best (A: a hot lead) to worst (F: no usable conversation).
var Grades = []string{"A", "B", "C", "D", "E", "F"}

// GradeInput is what grading looks at.
type GradeInput struct {
	Tags    []string
	Intents []string
	Turns   int
	Seconds int
}

// Grade applies the rules in order; the first that matches decides.
func (g Grading) Grade(in GradeInput) string {
	for _, r := range g.Rules {
		if r.matches(in) {
			return r.Grade
		}
	}
	if g.Default != "" {
		return g.Default
	}
	return "F"
}

func (r GradeRule) matches(in GradeInput) bool {
	if len(r.AnyTags) > 0 && !anyIn(r.AnyTags, in.Tags) {
		return false
	}
	for _, t := range r.AllTags {
		if !slices.Contains(in.Tags, t) {
			return false
		}
	}
	if anyIn(r.NoTags, in.Tags) {
		return false
	}
	if len(r.AnyIntents) > 0 && !anyIn(r.AnyIntents, in.Intents) {
		return false
	}
	if in.Turns < r.MinTurns || r.MaxTurns > 0 && in.Turns > r.MaxTurns {
		return false
	}
	if in.Seconds < r.MinSeconds || r.MaxSeconds > 0 && in.Seconds > r.MaxSeconds {
		return false
	}
	return true
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// DefaultGrading is the rule set templates start from: A = agreed to the
// goal (tag "goal"), B = interested, C = a real conversation, D = refused,
// E = hung up or brushed off quickly, F = wrong person, machine, complaint.
// Templates add their own rules in front (intents, more tags).
func DefaultGrading() Grading {
	return Grading{
		Rules: []GradeRule{
			{Grade: "F", AnyTags: []string{"wrong_person", "voice_assistant", "complaint", "opt_out"}},
			{Grade: "A", AnyTags: []string{"goal"}},
			{Grade: "B", AnyTags: []string{"interested", "callback"}},
			{Grade: "D", AnyTags: []string{"refused"}},
			{Grade: "C", MinTurns: 2},
			{Grade: "C", MinSeconds: 30}, // a long call with few words still engaged
			{Grade: "E", MaxTurns: 1},
		},
		Default: "E",
	}
}
