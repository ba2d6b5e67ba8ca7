package dialog

import (
	"unicode"
	"unicode/utf8"
)

// Normalize turns an utterance as an ASR renders it into the form intents
// are matched on: full-width characters folded to half width, lower case,
// punctuation and spacing removed (one space kept between Latin words),
// fillers (嗯 啊 呃 哦 喂, um uh er hmm) dropped unless nothing else was said,
// and Chinese numerals turned into digits (三千五 → 3500, 一三八 → 138). A lone
// 一 stays: it is nearly always part of a word (一下, 一直), not a number.
func Normalize(s string) string {
	return string(normalizeAppend(make([]byte, 0, len(s)), s))
}

// normalizeAppend appends the normalized form of s to dst. It allocates only
// if dst is too small, so the matcher can reuse one buffer per turn.
func normalizeAppend(dst []byte, s string) []byte {
	start := len(dst)
	var (
		num       [48]rune
		nn        int
		space     bool // a separator is pending
		wordStart = -1 // start of the current Latin word in dst
		fillers   int  // how many CJK fillers were dropped
		lastFill  rune
	)
	flushNum := func() {
		if nn == 0 {
			return
		}
		dst = appendNumeral(dst, num[:nn])
		nn = 0
	}
	endWord := func() {
		if wordStart >= 0 {
			if isLatinFiller(dst[wordStart:]) {
				dst = dst[:wordStart]
				// Drop the space that preceded the filler too.
				if len(dst) > start && dst[len(dst)-1] == ' ' {
					dst = dst[:len(dst)-1]
				}
			}
			wordStart = -1
		}
	}
	for _, r := range s {
		// Width folding.
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r < utf8.RuneSelf {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else {
			r = unicode.ToLower(r)
		}
		if isNumeralRune(r) {
			endWord()
			if nn < len(num) {
				num[nn] = r
				nn++
			}
			space = false
			continue
		}
		flushNum()
		if isFiller(r) {
			endWord()
			fillers++
			lastFill = r
			space = true
			continue
		}
		latin := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'')
		if latin {
			if r == '\'' { // don't → dont
				continue
			}
			if wordStart < 0 {
				if space && len(dst) > start && isLatinByte(dst[len(dst)-1]) {
					dst = append(dst, ' ')
				}
				wordStart = len(dst)
			}
			dst = append(dst, byte(r))
			space = false
			continue
		}
		endWord()
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		dst = utf8.AppendRune(dst, r)
		space = false
	}
	flushNum()
	endWord()
	if len(dst) == start && fillers > 0 {
		// Only fillers: "嗯" on its own is an answer (mostly yes).
		dst = utf8.AppendRune(dst, lastFill)
	}
	return dst
}

func isLatinByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

func isFiller(r rune) bool {
	switch r {
	case '嗯', '啊', '呃', '哦', '噢', '喔', '唔', '喂', '哎', '诶', '欸':
		return true
	}
	return false
}

func isLatinFiller(w []byte) bool {
	switch string(w) {
	case "um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "ah":
		return true
	}
	return false
}

func isNumeralRune(r rune) bool {
	_, ok := digitOf(r)
	return ok || unitOf(r) > 0
}

func digitOf(r rune) (int, bool) {
	switch r {
	case '零', '〇':
		return 0, true
	case '一', '幺':
		return 1, true
	case '二', '两':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

func unitOf(r rune) int64 {
	switch r {
	case '十':
		return 10
	case '百':
		return 100
	case '千':
		return 1000
	case '万':
		return 10000
	case '亿':
		return 100000000
	}
	return 0
}

// appendNumeral writes a run of Chinese numeral characters as digits.
func appendNumeral(dst []byte, run []rune) []byte {
	if len(run) == 1 && (run[0] == '一' || run[0] == '万' || run[0] == '亿' || run[0] == '千' || run[0] == '百') {
		// 一下, 万一, 千万 (by all means): words, not numbers.
		return utf8.AppendRune(dst, run[0])
	}
	hasUnit := false
	for _, r := range run {
		if unitOf(r) > 0 {
			hasUnit = true
			break
		}
	}
	if !hasUnit {
		// Digit by digit: phone numbers, years, codes (一三八, 二零二四).
		for _, r := range run {
			d, _ := digitOf(r)
			dst = append(dst, byte('0'+d))
		}
		return dst
	}
	var total, section, digit int64
	lastUnit := int64(0)
	pendingDigit := false
	for _, r := range run {
		if d, ok := digitOf(r); ok {
			digit = int64(d)
			pendingDigit = true
			continue
		}
		u := unitOf(r)
		switch {
		case u >= 10000:
			section += digit
			if section == 0 {
				section = 1
			}
			total += section * u
			section, digit = 0, 0
		default:
			if !pendingDigit && digit == 0 {
				digit = 1 // 十五 = 15
			}
			section += digit * u
			digit = 0
		}
		pendingDigit = false
		lastUnit = u
	}
	if pendingDigit {
		// Colloquial tail: 三千五 = 3500, 一万二 = 12000, 两百五 = 250.
		if lastUnit >= 10 && digit != 0 {
			if lastUnit >= 10000 {
				section += digit * lastUnit / 10
			} else {
				section += digit * lastUnit / 10
			}
		} else {
			section += digit
		}
	}
	total += section
	return appendInt(dst, total)
}

func appendInt(dst []byte, v int64) []byte {
	if v == 0 {
		return append(dst, '0')
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[i:]...)
}
