package dialog

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// bigScript is a script with 500 intents and 5,000 example utterances
// (plus the general library) over a 2,000-character vocabulary, one
// question that branches on every intent and loops back.
func bigScript(tb testing.TB) (*Script, []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		r := make([]rune, n)
		for i := range r {
			r[i] = rune(0x4E00 + rng.IntN(2000))
		}
		return string(r)
	}
	s := &Script{
		Name: "bench", Start: "open",
		Defaults: Defaults{
			Silence: &Retry{Lines: []string{"喂？"}, Next: "ask"},
			NoMatch: &Retry{Lines: []string{"没听清"}, Next: "ask"},
		},
		Nodes: []Node{
			{ID: "open", Type: NodeSay, Text: "您好，我是智能语音助手。", Next: "ask"},
			{ID: "ask", Type: NodeListen, Text: "请问您需要什么？"},
			{ID: "ack", Type: NodeSay, Text: "好的。", Next: "ask"},
			{ID: "bye", Type: NodeHangup, Text: "再见"},
		},
		Grading: DefaultGrading(),
	}
	var utter []string
	branch := Branch{Next: "ack"}
	for i := 0; i < 500; i++ {
		in := Intent{Name: fmt.Sprintf("i%03d", i), Priority: i % 3}
		for k := 0; k < 3; k++ {
			in.Keywords = append(in.Keywords, word(3))
		}
		for e := 0; e < 10; e++ {
			ex := word(6 + rng.IntN(8))
			in.Examples = append(in.Examples, ex)
			if e == 0 {
				// A callee line close to (not equal to) an example.
				r := []rune(ex)
				r[len(r)/2] = rune(0x4E00 + rng.IntN(2000))
				utter = append(utter, "嗯，"+string(r)+"啊")
			}
		}
		if i%50 == 0 {
			utter = append(utter, "那个"+in.Keywords[0]+"吧")
		}
		s.Intents = append(s.Intents, in)
		branch.Intents = append(branch.Intents, in.Name)
	}
	s.Nodes[1].Branches = []Branch{{Intents: []string{IntentOptOut}, Next: "bye"}, branch}
	utter = append(utter, "我现在在开会，晚点再说", "三千五百块钱我下个月还", "完全听不懂你在说什么")
	if errs := Errors(Validate(s)); len(errs) > 0 {
		tb.Fatal(errs)
	}
	return s, utter
}

// BenchmarkTurn is one callee turn: normalize, match against 500 + 20
// intents and 5,000+ examples, step the flow and return the actions. A new
// call starts every 20 turns, as real calls are short.
func BenchmarkTurn(b *testing.B) {
	s, utter := bigScript(b)
	if _, err := Compile(s); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	var c *Call
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%20 == 0 {
			c = NewCall(s, nil)
			c.Start()
			c.Handle(PlaybackDone{})
			c.Handle(PlaybackDone{})
		}
		t0 := time.Now()
		acts := c.Handle(Heard{Text: utter[i%len(utter)], Final: true})
		lat = append(lat, time.Since(t0))
		for range acts {
			c.playing = 0
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

// BenchmarkClassify is the matcher alone.
func BenchmarkClassify(b *testing.B) {
	s, utter := bigScript(b)
	cs, err := Compile(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs.Matcher.Classify(utter[i%len(utter)])
	}
}

// TestTurnAllocationsDoNotGrow runs 10,000 turns and compares allocations
// (count and bytes) per turn of the first and the last 1,000: a leak or a
// structure that grows with the number of turns handled would show.
func TestTurnAllocationsDoNotGrow(t *testing.T) {
	s, utter := bigScript(t)
	if _, err := Compile(s); err != nil {
		t.Fatal(err)
	}
	var c *Call
	turn := func(i int) {
		if i%20 == 0 {
			c = NewCall(s, nil)
			c.Start()
		}
		c.playing = 0
		c.Handle(Heard{Text: utter[i%len(utter)], Final: true})
	}
	measure := func(from, to int) (mallocs, bytes uint64) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := from; i < to; i++ {
			turn(i)
		}
		runtime.ReadMemStats(&m1)
		return m1.Mallocs - m0.Mallocs, m1.TotalAlloc - m0.TotalAlloc
	}
	firstN, firstB := measure(0, 1000)
	measure(1000, 9000)
	lastN, lastB := measure(9000, 10000)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("allocs/turn first 1000: %.1f (%d B), last 1000: %.1f (%d B); live heap after 10,000 turns: %d KiB",
		float64(firstN)/1000, firstB/1000, float64(lastN)/1000, lastB/1000, ms.HeapAlloc/1024)
	if float64(lastN) > float64(firstN)*1.05+50 {
		t.Errorf("allocations grew: %d → %d per 1000 turns", firstN, lastN)
	}
	if float64(lastB) > float64(firstB)*1.05+50_000 {
		t.Errorf("allocated bytes grew: %d → %d per 1000 turns", firstB, lastB)
	}
}
