package dialog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Match is the result of classifying one utterance.
type Match struct {
	Intent     string  `json:"intent"`               // "" when nothing matched
	Confidence float64 `json:"confidence"`           // 0..1
	Source     string  `json:"source,omitempty"`     // keyword, regex, example, llm
	Evidence   string  `json:"evidence,omitempty"`   // the keyword, pattern or example that matched
	Normalized string  `json:"normalized,omitempty"` // the text as matched
}

// MinExampleScore is the lowest n-gram similarity that counts as a match.
const MinExampleScore = 0.45

// Matcher classifies utterances against a fixed set of intents. It is built
// once per script version and is safe for concurrent use by many calls.
type Matcher struct {
	intents  []compiledIntent
	kwIndex  map[rune][]kwRef   // first rune of a keyword → keywords
	withRe   []int32            // intents that have regexes
	grams    map[uint64][]int32 // n-gram → examples containing it
	examples []exampleInfo
	scratch  sync.Pool
}

type compiledIntent struct {
	name     string
	priority int
	keywords []keyword
	regexes  []*regexp.Regexp
}

type keyword struct {
	text   string
	runes  int
	latin  bool
	orig   string
	negKey bool // the keyword is itself a negation (不需要): a negation before it flips it back
}

type kwRef struct {
	intent int32
	kw     int32
}

type exampleInfo struct {
	intent int32
	grams  int32
	text   string
}

type scratch struct {
	counts  []uint32
	touched []int32
	grams   []uint64
	buf     []byte
	kwHit   []float64 // best keyword confidence per intent (0 = none)
	kwWhich []int32
	hitList []int32
}

// NewMatcher compiles intents. Keywords and examples are normalized the same
// way utterances are, so a keyword written 三千 matches "3000".
func NewMatcher(intents []Intent) (*Matcher, error) {
	m := &Matcher{grams: map[uint64][]int32{}, kwIndex: map[rune][]kwRef{}}
	seen := map[string]bool{}
	for _, in := range intents {
		if in.Name == "" {
			return nil, fmt.Errorf("intent without a name")
		}
		if seen[in.Name] {
			return nil, fmt.Errorf("intent %q defined twice", in.Name)
		}
		seen[in.Name] = true
		ci := compiledIntent{name: in.Name, priority: in.Priority}
		for _, k := range in.Keywords {
			n := Normalize(k)
			if n == "" {
				continue
			}
			ci.keywords = append(ci.keywords, keyword{
				text: n, orig: k, runes: utf8.RuneCountInString(n),
				latin: n[0] < utf8.RuneSelf, negKey: startsNegated(n),
			})
		}
		// Longer keywords first: the most specific evidence is reported.
		slices.SortStableFunc(ci.keywords, func(a, b keyword) int { return b.runes - a.runes })
		for _, r := range in.Regexes {
			re, err := regexp.Compile(r)
			if err != nil {
				return nil, fmt.Errorf("intent %q: regex %q: %w", in.Name, r, err)
			}
			ci.regexes = append(ci.regexes, re)
		}
		idx := int32(len(m.intents))
		m.intents = append(m.intents, ci)
		for ki, k := range ci.keywords {
			r, _ := utf8.DecodeRuneInString(k.text)
			m.kwIndex[r] = append(m.kwIndex[r], kwRef{intent: idx, kw: int32(ki)})
		}
		if len(ci.regexes) > 0 {
			m.withRe = append(m.withRe, idx)
		}
		for _, ex := range in.Examples {
			n := Normalize(ex)
			gs := gramsOf(nil, n)
			if len(gs) == 0 {
				continue
			}
			exID := int32(len(m.examples))
			m.examples = append(m.examples, exampleInfo{intent: idx, grams: int32(len(gs)), text: ex})
			for _, g := range gs {
				m.grams[g] = append(m.grams[g], exID)
			}
		}
	}
	m.scratch.New = func() any {
		return &scratch{
			counts:  make([]uint32, len(m.examples)),
			kwHit:   make([]float64, len(m.intents)),
			kwWhich: make([]int32, len(m.intents)),
			buf:     make([]byte, 0, 256),
			grams:   make([]uint64, 0, 64),
		}
	}
	return m, nil
}

// Intents lists the compiled intent names in definition order.
func (m *Matcher) Intents() []string {
	out := make([]string, len(m.intents))
	for i, in := range m.intents {
		out[i] = in.name
	}
	return out
}

// Classify finds the best intent for text. With allowed non-nil, only
// those intents are considered.
func (m *Matcher) Classify(text string) Match {
	return m.classify(text, nil)
}

func (m *Matcher) classify(text string, allowed func(string) bool) Match {
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	sc.buf = normalizeAppend(sc.buf[:0], text)
	norm := string(sc.buf) // one allocation: the Match carries it
	res := Match{Normalized: norm}
	if norm == "" {
		return res
	}
	textRunes := utf8.RuneCountInString(norm)
	bestRank := -1.0
	consider := func(i int, conf float64, source, evidence string) {
		rank := conf + 0.02*float64(m.intents[i].priority)
		if rank > bestRank {
			bestRank = rank
			res.Intent, res.Confidence, res.Source, res.Evidence = m.intents[i].name, conf, source, evidence
		}
	}
	// Keywords: every position of the utterance looks up the keywords
	// that start with its rune, so the cost follows the utterance length,
	// not the number of keywords.
	sc.hitList = sc.hitList[:0]
	for pos, r := range norm {
		for _, ref := range m.kwIndex[r] {
			k := &m.intents[ref.intent].keywords[ref.kw]
			if !strings.HasPrefix(norm[pos:], k.text) || !keywordOK(norm, pos, k) {
				continue
			}
			if allowed != nil && !allowed(m.intents[ref.intent].name) {
				continue
			}
			cov := float64(k.runes) / float64(textRunes)
			if cov > 1 {
				cov = 1
			}
			conf := 0.75 + 0.25*cov
			if sc.kwHit[ref.intent] == 0 {
				sc.hitList = append(sc.hitList, ref.intent)
			}
			if conf > sc.kwHit[ref.intent] {
				sc.kwHit[ref.intent], sc.kwWhich[ref.intent] = conf, ref.kw
			}
		}
	}
	slices.Sort(sc.hitList)
	for _, i := range sc.hitList {
		consider(int(i), sc.kwHit[i], "keyword", m.intents[i].keywords[sc.kwWhich[i]].orig)
		sc.kwHit[i] = 0
	}
	for _, i := range m.withRe {
		in := &m.intents[i]
		if allowed != nil && !allowed(in.name) {
			continue
		}
		for _, re := range in.regexes {
			if loc := re.FindStringIndex(norm); loc != nil && !negatedBefore(norm, loc[0], false) {
				cov := float64(utf8.RuneCountInString(norm[loc[0]:loc[1]])) / float64(textRunes)
				consider(int(i), 0.8+0.2*cov, "regex", re.String())
				break
			}
		}
	}
	// Examples: character n-gram overlap (Dice coefficient) through an
	// inverted index, so the cost follows the utterance, not the library.
	if len(m.examples) > 0 {
		sc.grams = gramsOf(sc.grams[:0], norm)
		q := len(sc.grams)
		sc.touched = sc.touched[:0]
		for _, g := range sc.grams {
			for _, ex := range m.grams[g] {
				if sc.counts[ex] == 0 {
					sc.touched = append(sc.touched, ex)
				}
				sc.counts[ex]++
			}
		}
		bestScore, bestEx := 0.0, int32(-1)
		for _, ex := range sc.touched {
			c := sc.counts[ex]
			sc.counts[ex] = 0
			info := &m.examples[ex]
			if allowed != nil && !allowed(m.intents[info.intent].name) {
				continue
			}
			score := 2 * float64(c) / float64(q+int(info.grams))
			if score > bestScore || score == bestScore && bestEx >= 0 && m.intents[info.intent].priority > m.intents[m.examples[bestEx].intent].priority {
				bestScore, bestEx = score, ex
			}
		}
		if bestEx >= 0 && bestScore >= MinExampleScore {
			info := &m.examples[bestEx]
			// Example evidence is weaker than a keyword of equal coverage;
			// it wins only when the similarity is high.
			consider(int(info.intent), bestScore*0.95, "example", info.text)
		}
	}
	return res
}

// keywordOK reports whether the keyword found at pos counts: on a word
// boundary (Latin), not the middle of an A-not-A question, not negated.
func keywordOK(norm string, pos int, k *keyword) bool {
	if k.latin && !latinBoundary(norm, pos, pos+len(k.text)) {
		return false
	}
	if k.negKey && questionForm(norm, pos, k.text) {
		return false
	}
	return !negatedBefore(norm, pos, k.negKey)
}

func latinBoundary(s string, i, j int) bool {
	if i > 0 && isLatinByte(s[i-1]) {
		return false
	}
	if j < len(s) && isLatinByte(s[j]) {
		return false
	}
	return true
}

// negatedBefore reports whether the text just before pos negates what
// follows: 不需要 is not 需要, 不是很想要 is not 想要, and 不是不想还 is not a
// refusal to pay (the keyword 不想还 is itself negative, so a negation
// before it cancels it). Degree words (很, 太, 是…) may sit between.
func negatedBefore(s string, pos int, _ bool) bool {
	negs := 0
	i := pos
	steps := 0
	// Latin: look at up to two preceding words.
	if pos > 0 && (s[pos-1] == ' ' || isLatinByte(s[pos-1])) {
		words := 0
		for i > 0 && words < 2 {
			j := i
			for j > 0 && s[j-1] == ' ' {
				j--
			}
			k := j
			for k > 0 && isLatinByte(s[k-1]) {
				k--
			}
			if k == j {
				break
			}
			switch s[k:j] {
			case "not", "no", "dont", "never", "isnt", "doesnt", "didnt", "wont", "cant", "aint", "nor":
				negs++
			case "really", "very", "so", "that", "too", "quite", "at", "all", "be", "am", "is", "are", "i":
			default:
				words = 2
				continue
			}
			words++
			i = k
		}
		return negs%2 == 1
	}
	for i > 0 && steps < 4 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		switch r {
		case '不', '没', '别', '未', '无', '非', '甭', '勿':
			negs++
		case '太', '很', '是', '怎', '么', '大', '特', '都', '还', '再', '会', '用', '有', '真', '并', '也':
		default:
			steps = 99
			continue
		}
		i -= size
		steps++
	}
	return negs%2 == 1
}

// questionForm reports whether the negated keyword at pos is the middle of
// an A-not-A question (是不是, 有没有, 要不要).
func questionForm(s string, pos int, kw string) bool {
	if pos == 0 {
		return false
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:pos])
	_, n := utf8.DecodeRuneInString(kw)
	if n >= len(kw) {
		next, _ := utf8.DecodeRuneInString(s[pos+n:])
		return next == prev
	}
	next, _ := utf8.DecodeRuneInString(kw[n:])
	return next == prev
}

func startsNegated(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '不', '没', '别', '未', '无', '非':
		return true
	}
	return strings.HasPrefix(s, "not ") || strings.HasPrefix(s, "no ") || strings.HasPrefix(s, "dont ")
}

// gramsOf appends the distinct character bigrams of s (with begin and end
// markers, so one-character utterances have grams too), sorted.
func gramsOf(dst []uint64, s string) []uint64 {
	start := len(dst)
	prev := rune(0x02) // begin marker
	for _, r := range s {
		dst = append(dst, uint64(prev)<<32|uint64(r))
		prev = r
	}
	if prev == 0x02 {
		return dst
	}
	dst = append(dst, uint64(prev)<<32|0x03)
	g := dst[start:]
	slices.Sort(g)
	g = slices.Compact(g)
	return dst[:start+len(g)]
}
