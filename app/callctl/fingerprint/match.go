package fingerprint

import "sort"

// Reference is a known announcement: its fingerprint and what it means.
type Reference struct {
	ID      uint64
	Name    string
	Outcome string
	Print   Print
}

// Match is the best reference for a clip.
type Match struct {
	Reference *Reference
	// Score is how many landmarks agree on one time offset (±1 frame).
	Score int
	// OffsetMs is where in the clip the reference's start falls (negative:
	// the clip began after the announcement had started).
	OffsetMs int
	// Coverage is the share of the reference the clip matched (0..1).
	Coverage float64
}

// Thresholds of a match: at least MinScore landmarks aligned at one
// offset, at least MinShare of the landmarks the clip and the reference
// could have in common, and aligned landmarks in at least MinCoverage of
// the reference's 256 ms stretches that the clip spans. Measured on the
// test corpus (espeak-ng / flite announcements through gain, band
// limiting, G.711, noise and offsets): true matches scored 134–759 with
// 22–95 % of their landmarks and coverage 0.93–1.0; unrelated speech,
// ringback and music scored at most 19; an announcement checked against
// the others (same opening and closing words) reached coverage 0.56 at
// best, at any offset.
const (
	MinScore    = 30
	MinShare    = 0.1
	MinCoverage = 0.8
)

type posting struct {
	ref int
	t   int32
}

// Index holds references for matching; it is read-only once built, so
// calls share it without locks.
type Index struct {
	refs  []*Reference
	table map[uint32][]posting
}

// NewIndex indexes references.
func NewIndex(refs []Reference) *Index {
	ix := &Index{table: map[uint32][]posting{}}
	for i := range refs {
		r := refs[i]
		ix.refs = append(ix.refs, &r)
		for _, l := range r.Print.Landmarks {
			ix.table[l.Hash] = append(ix.table[l.Hash], posting{ref: len(ix.refs) - 1, t: l.T})
		}
	}
	return ix
}

// Len is the number of references.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.refs)
}

// Match returns the reference the clip contains, or ok=false.
func (ix *Index) Match(clip Print) (Match, bool) {
	if ix.Len() == 0 || len(clip.Landmarks) == 0 {
		return Match{}, false
	}
	// votes[ref][offset] where offset = tRef - tClip.
	votes := make([]map[int32]int, len(ix.refs))
	for _, l := range clip.Landmarks {
		for _, p := range ix.table[l.Hash] {
			m := votes[p.ref]
			if m == nil {
				m = map[int32]int{}
				votes[p.ref] = m
			}
			m[p.t-l.T]++
		}
	}
	type cand struct {
		ref   int
		score int
		off   int32
	}
	var cands []cand
	for ri, m := range votes {
		if m == nil {
			continue
		}
		// Deterministic order so equal scores resolve the same way.
		offs := make([]int32, 0, len(m))
		for o := range m {
			offs = append(offs, o)
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		// The best few offsets of this reference: a shared opening and a
		// shared closing line up at different offsets.
		var top []cand
		for _, o := range offs {
			// A start offset that is not a whole hop splits a pair's
			// frames between neighbouring offsets: count the three.
			s := m[o-1] + m[o] + m[o+1]
			if s < MinScore {
				continue
			}
			top = append(top, cand{ri, s, o})
		}
		sort.SliceStable(top, func(i, j int) bool { return top[i].score > top[j].score })
		if len(top) > 3 {
			top = top[:3]
		}
		cands = append(cands, top...)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var clipTimes map[uint32][]int32
	best := Match{}
	for _, c := range cands {
		r := ix.refs[c.ref]
		if best.Reference == nil {
			best = Match{Reference: r, Score: c.score}
		}
		possible := len(r.Print.Landmarks)
		if len(clip.Landmarks) < possible {
			possible = len(clip.Landmarks)
		}
		if float64(c.score) < MinShare*float64(possible) {
			continue
		}
		if clipTimes == nil {
			clipTimes = map[uint32][]int32{}
			for _, l := range clip.Landmarks {
				clipTimes[l.Hash] = append(clipTimes[l.Hash], l.T)
			}
		}
		cov := coverage(r.Print, clip.Frames, clipTimes, c.off)
		if cov < MinCoverage {
			continue
		}
		return Match{Reference: r, Score: c.score, Coverage: cov, OffsetMs: -int(c.off) * hop * 1000 / SampleRate}, true
	}
	return best, false
}

// coverage is the share of the reference's stretches (of segFrames each,
// those that have landmarks and fall inside the clip at this offset) in
// which the clip has an aligned landmark. Announcements of one carrier
// share an opening (您拨打的…) and a closing (请稍后再拨): those align only
// part of the reference, the announcement itself all of it.
func coverage(ref Print, clipFrames int, clipTimes map[uint32][]int32, off int32) float64 {
	const segFrames = 16 // 256 ms
	have := map[int32]bool{}
	hit := map[int32]bool{}
	for _, l := range ref.Landmarks {
		tc := l.T - off
		if tc < 0 || int(tc) >= clipFrames {
			continue
		}
		seg := l.T / segFrames
		have[seg] = true
		if hit[seg] {
			continue
		}
		for _, t := range clipTimes[l.Hash] {
			if d := t - tc; d >= -1 && d <= 1 {
				hit[seg] = true
				break
			}
		}
	}
	if len(have) == 0 {
		return 0
	}
	return float64(len(hit)) / float64(len(have))
}
