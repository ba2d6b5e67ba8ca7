package billing

import "github.com/waihu/waihu/app/store"

// Usage is what a call consumed of the pass-through engines.
type Usage struct {
	ASRSec    int
	TTSChars  int
	LLMTokens int
}

// Breakdown is a call's rated cost, line by line, in fen.
type Breakdown struct {
	BillSec    int
	BilledSec  int
	VoiceFen   int64
	PerCallFen int64
	ASRFen     int64
	TTSFen     int64
	LLMFen     int64
	MinimumFen int64
	TotalFen   int64
}

// ceilDiv rounds a non-negative quotient up: prices never lose a fraction of
// a fen to truncation, and the rule is the same on every figure.
func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// Rate prices one call under a plan. The rules, in order:
//   - an unanswered call (billsec 0) costs nothing;
//   - a call no longer than the plan's free seconds costs nothing;
//   - otherwise the free seconds are deducted, the rest is rounded up to the
//     billing increment, and voice and ASR are priced per billed second
//     (rounded up to whole fen); TTS and LLM by usage; the per-call charge is
//     added; and a total under the minimum charge is raised to it.
func Rate(p *store.PricePlan, billSec int, u Usage) Breakdown {
	b := Breakdown{BillSec: billSec}
	if p == nil || billSec <= 0 || billSec <= p.FreeSec {
		return b
	}
	inc := int64(p.IncrementSec)
	if inc <= 0 {
		inc = 60
	}
	chargeable := int64(billSec - p.FreeSec)
	billed := ceilDiv(chargeable, inc) * inc
	b.BilledSec = int(billed)
	b.VoiceFen = ceilDiv(billed*p.PerMinuteFen, 60)
	b.ASRFen = ceilDiv(billed*p.ASRPerMinuteFen, 60)
	b.TTSFen = ceilDiv(int64(u.TTSChars)*p.TTSPer1kFen, 1000)
	b.LLMFen = ceilDiv(int64(u.LLMTokens)*p.LLMPer1kFen, 1000)
	b.PerCallFen = p.PerCallFen
	sub := b.VoiceFen + b.ASRFen + b.TTSFen + b.LLMFen + b.PerCallFen
	if sub < p.MinChargeFen {
		b.MinimumFen = p.MinChargeFen - sub
	}
	b.TotalFen = sub + b.MinimumFen
	return b
}

// secondsCovered is the longest call (in whole seconds, up to max) whose
// voice and ASR cost fits in budget under p: what a held amount pays for.
func secondsCovered(p *store.PricePlan, budget int64, max int) int {
	if Rate(p, max, Usage{}).TotalFen <= budget {
		return max
	}
	lo, hi := 0, max // Rate is monotonic in billsec
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if Rate(p, mid, Usage{}).TotalFen <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
