// Package espeak is the embedded Mandarin synthesizer: Chinese text →
// numbered pinyin (github.com/mozillazg/go-pinyin plus an override table for
// characters with several readings) → `espeak-ng -v cmn-latn-pinyin`.
// Debian's plain `cmn` voice reads Han characters badly; pinyin input is
// what makes espeak-ng intelligible.
package espeak

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/proc"
)

// Overrides fixes words whose characters go-pinyin reads with the wrong
// (most common) reading. Longest match wins. Extend with SetOverride.
var defaultOverrides = map[string]string{
	"银行": "yin2 hang2", "行长": "hang2 zhang3", "行业": "hang2 ye4", "重庆": "chong2 qing4", "重新": "chong2 xin1",
	"重复": "chong2 fu4", "长沙": "chang2 sha1", "长期": "chang2 qi1", "长度": "chang2 du4", "成长": "cheng2 zhang3",
	"还款": "huan2 kuan3", "还钱": "huan2 qian2", "归还": "gui1 huan2", "还贷": "huan2 dai4", "偿还": "chang2 huan2",
	"还清": "huan2 qing1", "退还": "tui4 huan2", "了解": "liao3 jie3", "好的": "hao3 de5", "觉得": "jue2 de5",
	"会计": "kuai4 ji4", "便宜": "pian2 yi2", "调查": "diao4 cha2", "音乐": "yin1 yue4", "快乐": "kuai4 le4",
	"种类": "zhong3 lei4", "数据": "shu4 ju4", "朝阳": "chao2 yang2", "得到": "de2 dao4", "首都": "shou3 du1",
	"处理": "chu3 li3", "地址": "di4 zhi3", "为了": "wei4 le5", "了": "le5", "的": "de5", "地": "de5",
	"一行": "yi4 hang2", "不行": "bu4 xing2", "发行": "fa1 xing2", "单据": "dan1 ju4", "参与": "can1 yu4",
	"角色": "jue2 se4", "尽快": "jin3 kuai4", "分行": "fen1 hang2", "支行": "zhi1 hang2", "薄荷": "bo4 he2",
}

// Engine synthesizes Mandarin with espeak-ng.
type Engine struct {
	Bin       string
	Timeout   time.Duration
	overrides map[string][]string
	maxKey    int
	sem       chan struct{}
}

// New checks espeak-ng is installed with the cmn-latn-pinyin voice.
func New(bin string) (*Engine, error) {
	if bin == "" {
		bin = "espeak-ng"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng: %w: %v", speech.ErrEngineUnavailable, err)
	}
	e := &Engine{Bin: p, Timeout: 10 * time.Second, overrides: map[string][]string{}, sem: make(chan struct{}, 4)}
	for k, v := range defaultOverrides {
		e.SetOverride(k, v)
	}
	return e, nil
}

// SetOverride adds or replaces the reading of a word, e.g. ("银行", "yin2 hang2").
func (e *Engine) SetOverride(word, numbered string) {
	e.overrides[word] = strings.Fields(numbered)
	e.maxKey = max(e.maxKey, len([]rune(word)))
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: "espeak-pinyin", Kind: speech.KindTTS, Languages: []string{"zh-CN"}, Voices: []string{"cmn-latn-pinyin"}, Embedded: true}
}

var digitPinyin = []string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}

// Pinyin converts Mandarin text to the numbered-pinyin input espeak-ng
// reads: syllables separated by spaces, punctuation as pauses, ASCII words
// passed through, digits read out (quantities up to 9999 as numbers, longer
// runs such as phone numbers digit by digit).
func (e *Engine) Pinyin(text string) string {
	args := pinyin.NewArgs()
	args.Style = pinyin.Tone3
	rs := []rune(text)
	var out []string
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			matched := false
			for n := min(e.maxKey, len(rs)-i); n >= 1 && !matched; n-- {
				if py, ok := e.overrides[string(rs[i:i+n])]; ok {
					out = append(out, py...)
					i += n
					matched = true
				}
			}
			if matched {
				continue
			}
			if p := pinyin.SinglePinyin(r, args); len(p) > 0 {
				s := p[0]
				if !strings.ContainsAny(s, "12345") {
					s += "5" // neutral tone
				}
				out = append(out, s)
			}
			i++
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && unicode.IsDigit(rs[j]) {
				j++
			}
			out = append(out, readNumber(string(rs[i:j]))...)
			i = j
		case r < 128 && (unicode.IsLetter(r)):
			j := i
			for j < len(rs) && rs[j] < 128 && unicode.IsLetter(rs[j]) {
				j++
			}
			out = append(out, strings.ToLower(string(rs[i:j])))
			i = j
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			switch r {
			case '。', '.', '！', '!', '？', '?', '；', ';':
				out = append(out, ".")
			default:
				out = append(out, ",")
			}
			i++
		default:
			i++
		}
	}
	s := strings.Join(out, " ")
	s = strings.ReplaceAll(s, " ,", ",")
	return strings.ReplaceAll(s, " .", ".")
}

func readNumber(d string) []string {
	if len(d) > 4 || (len(d) > 1 && d[0] == '0') {
		out := make([]string, 0, len(d))
		for _, c := range d {
			if c == '1' {
				out = append(out, "yao1") // phone style, so 1 and 7 do not blur
				continue
			}
			out = append(out, digitPinyin[c-'0'])
		}
		return out
	}
	n := 0
	for _, c := range d {
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return []string{"ling2"}
	}
	units := []string{"qian1", "bai3", "shi2", ""}
	digits := fmt.Sprintf("%04d", n)
	var out []string
	zero := false
	started := false
	for k, c := range digits {
		v := int(c - '0')
		if v == 0 {
			zero = started
			continue
		}
		if zero {
			out = append(out, "ling2")
			zero = false
		}
		// 十二, not 一十二, when the number starts at the tens.
		if !(k == 2 && v == 1 && !started) {
			out = append(out, digitPinyin[v])
		}
		if units[k] != "" {
			out = append(out, units[k])
		}
		started = true
	}
	return out
}

// Synthesize speaks req.Text (Chinese) at req.Speed.
func (e *Engine) Synthesize(ctx context.Context, req speech.SynthRequest) (speech.Audio, error) {
	py := e.Pinyin(req.Text)
	if strings.Trim(py, " ,.") == "" {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-ctx.Done():
		return speech.Audio{}, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	wpm := int(160 * req.SpeedOr1())
	out, err := proc.Run(ctx, []byte(py), e.Bin, "-v", "cmn-latn-pinyin", "-s", fmt.Sprint(wpm), "--stdout")
	if err != nil {
		if errors.Is(err, proc.ErrTimeout) {
			return speech.Audio{}, fmt.Errorf("espeak-ng: %w: %v", speech.ErrEngineTimeout, err)
		}
		return speech.Audio{}, fmt.Errorf("espeak-ng: %w", err)
	}
	a, err := speech.DecodeWAV(out)
	if err != nil {
		return speech.Audio{}, fmt.Errorf("espeak-ng: %w", err)
	}
	if len(a.PCM) == 0 {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	return speech.Resample(a, req.Rate()), nil
}
