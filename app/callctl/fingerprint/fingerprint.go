// Package fingerprint recognises known carrier announcements (空号识别
// layer 2) without a speech recognizer: the early audio of a call is
// fingerprinted and compared with reference clips the operator uploaded
// ("您拨打的电话已关机" recorded from a carrier, …).
//
// The method is spectral-peak landmark hashing (the idea of Wang's 2003
// Shazam paper; this is our own implementation): the 8 kHz audio is cut into
// 64 ms Hann frames every 16 ms, the telephone band 300–3400 Hz of each
// frame's power spectrum is searched for local maxima that stand well above
// their frame's median, and each peak is paired with a few later peaks. A
// pair hashes (anchor frequency, frequency step, time step) into 22 bits
// and remembers its anchor time. Two recordings of the same announcement
// share many hashes at one constant time difference; unrelated audio
// shares few and at scattered differences.
//
// Why it survives the channel: peaks are chosen relative to the frame's own
// level (gain does not matter), only the telephone band is used (band
// limiting removes nothing used), G.711 and light noise add a noise floor
// well below the peaks of speech, and matching histograms the time
// differences, so the announcement may start anywhere in the clip.
package fingerprint

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
)

// Parameters of the analysis. They are part of the stored fingerprints'
// meaning: changing one means recomputing references (Version).
const (
	// Version is stored with each fingerprint; a fingerprint of another
	// version is recomputed from its audio.
	Version = 1

	SampleRate = 8000
	frameSize  = 512 // 64 ms: 15.6 Hz bins separate speech harmonics
	hop        = 128 // 16 ms
	loBin      = 300 * frameSize / SampleRate
	hiBin      = 3400 * frameSize / SampleRate

	peakDT = 3 // a peak is the maximum within ±3 frames …
	peakDF = 5 // … and ±5 bins
	// peakOverMedian: a peak stands 12 dB (log10 power 1.2) over its
	// frame's median in the band, so a noise floor does not make peaks.
	peakOverMedian = 1.2
	// peakUnderMax: and no more than 55 dB under the loudest frame.
	peakUnderMax = 5.5
	// silencePower is the power (per bin, Hann window, int16 scale) below
	// which a frame is silence whatever its shape (digital silence, G.711's
	// idle code).
	silencePower = 1e3

	fanOut    = 6  // pairs per anchor
	maxPairDT = 48 // frames (768 ms)
	maxPairDF = 63 // bins
)

// Landmark is one hashed peak pair at its anchor's frame.
type Landmark struct {
	Hash uint32
	T    int32
}

// Print is the fingerprint of one clip.
type Print struct {
	Landmarks []Landmark
	// Frames is the clip's length in analysis frames (16 ms each).
	Frames int
}

// Duration of the fingerprinted clip in milliseconds.
func (p Print) DurationMs() int { return p.Frames * hop * 1000 / SampleRate }

// Compute fingerprints 8 kHz mono samples.
func Compute(samples []int16) Print {
	spec := spectrogram(samples)
	peaks := findPeaks(spec)
	return Print{Landmarks: pair(peaks), Frames: len(spec)}
}

type peak struct {
	t, f int
}

// spectrogram returns log10 power per frame for bins loBin..hiBin (nil
// rows for silent frames).
func spectrogram(samples []int16) [][]float32 {
	if len(samples) < frameSize {
		return nil
	}
	n := (len(samples)-frameSize)/hop + 1
	out := make([][]float32, n)
	win := hann()
	re := make([]float64, frameSize)
	im := make([]float64, frameSize)
	for t := 0; t < n; t++ {
		off := t * hop
		var mean float64
		for i := 0; i < frameSize; i++ {
			mean += float64(samples[off+i])
		}
		mean /= frameSize
		for i := 0; i < frameSize; i++ {
			re[i] = (float64(samples[off+i]) - mean) * win[i]
			im[i] = 0
		}
		fft(re, im)
		row := make([]float32, hiBin-loBin+1)
		var total float64
		for k := loBin; k <= hiBin; k++ {
			p := re[k]*re[k] + im[k]*im[k]
			total += p
			row[k-loBin] = float32(math.Log10(p + 1))
		}
		if total/float64(len(row)) < silencePower {
			continue
		}
		out[t] = row
	}
	return out
}

func findPeaks(spec [][]float32) []peak {
	var max float32 = -1
	for _, row := range spec {
		for _, v := range row {
			if v > max {
				max = v
			}
		}
	}
	floor := max - peakUnderMax
	var peaks []peak
	med := make([]float32, 0, hiBin-loBin+1)
	for t, row := range spec {
		if row == nil {
			continue
		}
		med = append(med[:0], row...)
		sort.Slice(med, func(i, j int) bool { return med[i] < med[j] })
		thr := med[len(med)/2] + peakOverMedian
		if thr < floor {
			thr = floor
		}
		for f, v := range row {
			if v < thr || !isMax(spec, t, f, v) {
				continue
			}
			peaks = append(peaks, peak{t, f})
		}
	}
	return peaks
}

// isMax reports whether v at (t, f) is the largest value in its
// neighbourhood; ties go to the earliest, lowest cell so a flat plateau
// yields one peak.
func isMax(spec [][]float32, t, f int, v float32) bool {
	for dt := -peakDT; dt <= peakDT; dt++ {
		tt := t + dt
		if tt < 0 || tt >= len(spec) || spec[tt] == nil {
			continue
		}
		row := spec[tt]
		for df := -peakDF; df <= peakDF; df++ {
			ff := f + df
			if ff < 0 || ff >= len(row) || (dt == 0 && df == 0) {
				continue
			}
			w := row[ff]
			if w > v || (w == v && (dt < 0 || (dt == 0 && df < 0))) {
				return false
			}
		}
	}
	return true
}

// pair hashes each peak with the next fanOut peaks in its target zone.
func pair(peaks []peak) []Landmark {
	// peaks are in time order (found frame by frame).
	var out []Landmark
	for i, a := range peaks {
		n := 0
		for j := i + 1; j < len(peaks) && n < fanOut; j++ {
			b := peaks[j]
			dt := b.t - a.t
			if dt == 0 {
				continue
			}
			if dt > maxPairDT {
				break
			}
			df := b.f - a.f
			if df < -maxPairDF || df > maxPairDF {
				continue
			}
			h := uint32(a.f)<<14 | uint32(df+64)<<7 | uint32(dt)
			out = append(out, Landmark{Hash: h, T: int32(a.t)})
			n++
		}
	}
	return out
}

var hannWin []float64

func hann() []float64 {
	if hannWin == nil {
		w := make([]float64, frameSize)
		for i := range w {
			w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(frameSize-1))
		}
		hannWin = w
	}
	return hannWin
}

func init() { hann(); twiddles() }

var cosT, sinT []float64

func twiddles() {
	cosT = make([]float64, frameSize/2)
	sinT = make([]float64, frameSize/2)
	for i := range cosT {
		a := -2 * math.Pi * float64(i) / frameSize
		cosT[i], sinT[i] = math.Cos(a), math.Sin(a)
	}
}

// fft is an in-place iterative radix-2 FFT of frameSize points.
func fft(re, im []float64) {
	n := len(re)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				wr, wi := cosT[k*step], sinT[k*step]
				a, b := start+k, start+k+half
				xr := re[b]*wr - im[b]*wi
				xi := re[b]*wi + im[b]*wr
				re[b], im[b] = re[a]-xr, im[a]-xi
				re[a], im[a] = re[a]+xr, im[a]+xi
			}
		}
	}
}

// Marshal encodes a print for storage: version, frames, then (hash, t)
// pairs, little endian.
func (p Print) Marshal() []byte {
	b := make([]byte, 0, 8+8*len(p.Landmarks))
	b = binary.LittleEndian.AppendUint32(b, Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Frames))
	for _, l := range p.Landmarks {
		b = binary.LittleEndian.AppendUint32(b, l.Hash)
		b = binary.LittleEndian.AppendUint32(b, uint32(l.T))
	}
	return b
}

// ErrVersion: the stored print was made by another version of the
// analysis and must be recomputed from its audio.
var ErrVersion = errors.New("fingerprint: stored with another analysis version")

// Unmarshal decodes Marshal's output.
func Unmarshal(b []byte) (Print, error) {
	if len(b) < 8 || (len(b)-8)%8 != 0 {
		return Print{}, errors.New("fingerprint: corrupt stored print")
	}
	if binary.LittleEndian.Uint32(b) != Version {
		return Print{}, ErrVersion
	}
	p := Print{Frames: int(binary.LittleEndian.Uint32(b[4:]))}
	p.Landmarks = make([]Landmark, (len(b)-8)/8)
	for i := range p.Landmarks {
		o := 8 + 8*i
		p.Landmarks[i] = Landmark{Hash: binary.LittleEndian.Uint32(b[o:]), T: int32(binary.LittleEndian.Uint32(b[o+4:]))}
	}
	return p, nil
}
