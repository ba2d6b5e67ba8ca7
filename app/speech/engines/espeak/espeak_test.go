package espeak

import (
	"context"
	"errors"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

func TestPinyin(t *testing.T) {
	e, err := New("")
	if err != nil {
		t.Fatalf("espeak-ng must be installed: %v", err)
	}
	e.SetOverride("厦门", "xia4 men2")
	tests := map[string]string{
		"银行":            "yin2 hang2",
		"请到银行还款。":       "qing3 dao4 yin2 hang2 huan2 kuan3.",
		"重庆和长沙":         "chong2 qing4 he2 chang2 sha1",
		"你好，我是客服":       "ni3 hao3, wo3 shi4 ke4 fu2",
		"欠款12元":         "qian4 kuan3 shi2 er4 yuan2",
		"共3005元":        "gong4 san1 qian1 ling2 wu3 yuan2",
		"拨打13800138000": "bo1 da3 yao1 san1 ba1 ling2 ling2 yao1 san1 ba1 ling2 ling2 ling2",
		"VIP客户":         "vip ke4 hu4",
		"去厦门吗？":         "qu4 xia4 men2 ma5.",
		"":              "",
	}
	for in, want := range tests {
		if got := e.Pinyin(in); got != want {
			t.Errorf("Pinyin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSynthesizeMandarin(t *testing.T) {
	e, err := New("")
	if err != nil {
		t.Fatalf("espeak-ng must be installed: %v", err)
	}
	a, err := e.Synthesize(context.Background(), speech.SynthRequest{Text: "您好，这里是银行客服，请问您方便吗？", SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate != 8000 || a.DurationMs() < 1000 {
		t.Fatalf("audio %d Hz %d ms", a.SampleRate, a.DurationMs())
	}
	fast, err := e.Synthesize(context.Background(), speech.SynthRequest{Text: "您好，这里是银行客服，请问您方便吗？", Speed: 2, SampleRate: 16000})
	if err != nil || fast.SampleRate != 16000 || fast.DurationMs() >= a.DurationMs() {
		t.Fatalf("fast: %d ms vs %d ms, %v", fast.DurationMs(), a.DurationMs(), err)
	}
	if _, err := e.Synthesize(context.Background(), speech.SynthRequest{Text: "，。！"}); !errors.Is(err, speech.ErrEmptySynthesis) {
		t.Fatalf("punctuation only: %v", err)
	}
}

func BenchmarkSynthesizeLine(b *testing.B) {
	e, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if _, err := e.Synthesize(context.Background(), speech.SynthRequest{Text: "您好，这里是银行客服，请问您方便吗？"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPinyin(b *testing.B) {
	e, _ := New("")
	for range b.N {
		e.Pinyin("您好，这里是银行客服，您本月应还款1200元，请于15日前还清。")
	}
}
