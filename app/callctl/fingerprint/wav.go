package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// MaxClipSeconds bounds an uploaded reference or a call's early audio.
const MaxClipSeconds = 60

// DecodeWAV reads a WAV file (16-bit PCM, G.711 A-law or µ-law; any
// channel count and sample rate, as operators upload what they have) and
// returns 8 kHz mono samples: channels are mixed, other rates resampled.
func DecodeWAV(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF/WAVE file")
	}
	var format, channels, bits int
	var rate int
	haveFmt := false
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body, end := p+8, p+8+size
		if size < 0 || end > len(data) {
			// Streamed WAVs (espeak-ng --stdout, a recording cut short)
			// carry a placeholder length: take what is there.
			end = len(data)
		}
		switch id {
		case "fmt ":
			if end-body < 16 {
				return nil, errors.New("short fmt chunk")
			}
			f := data[body:end]
			format = int(binary.LittleEndian.Uint16(f[0:2]))
			channels = int(binary.LittleEndian.Uint16(f[2:4]))
			rate = int(binary.LittleEndian.Uint32(f[4:8]))
			bits = int(binary.LittleEndian.Uint16(f[14:16]))
			if format == 0xFFFE && end-body >= 26 {
				format = int(binary.LittleEndian.Uint16(f[24:26]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, errors.New("data chunk before fmt chunk")
			}
			return decodeSamples(data[body:end], format, channels, bits, rate)
		}
		p = end + size&1
	}
	return nil, errors.New("no data chunk")
}

func decodeSamples(b []byte, format, channels, bits, rate int) ([]int16, error) {
	if channels < 1 || channels > 8 {
		return nil, fmt.Errorf("%d channels", channels)
	}
	if rate < 8000 || rate > 96000 {
		return nil, fmt.Errorf("sample rate %d Hz, want 8000–96000", rate)
	}
	var width int
	var dec func([]byte) float64
	switch {
	case format == 1 && bits == 16:
		width, dec = 2, func(x []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(x))) }
	case format == 6 && bits == 8:
		width, dec = 1, func(x []byte) float64 { return float64(alaw(x[0])) }
	case format == 7 && bits == 8:
		width, dec = 1, func(x []byte) float64 { return float64(ulaw(x[0])) }
	default:
		return nil, fmt.Errorf("format %d with %d bits: want 16-bit PCM, A-law or µ-law", format, bits)
	}
	frame := width * channels
	n := len(b) / frame
	if n > (MaxClipSeconds+1)*rate {
		return nil, fmt.Errorf("longer than %d s", MaxClipSeconds)
	}
	mono := make([]float64, n)
	for i := 0; i < n; i++ {
		var s float64
		for c := 0; c < channels; c++ {
			s += dec(b[i*frame+c*width:])
		}
		mono[i] = s / float64(channels)
	}
	if rate != SampleRate {
		mono = resample(mono, rate)
	}
	out := make([]int16, len(mono))
	for i, v := range mono {
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v))))
	}
	return out, nil
}

// resample converts to 8 kHz with a Hann-windowed sinc low-pass at
// 3.6 kHz, enough for fingerprints that only look at 300–3400 Hz.
func resample(in []float64, rate int) []float64 {
	ratio := float64(rate) / SampleRate
	n := int(float64(len(in)) / ratio)
	out := make([]float64, n)
	const half = 16 // taps each side, in output samples
	cut := 3600.0 / float64(rate)
	width := int(math.Ceil(half * ratio))
	for i := range out {
		c := float64(i) * ratio
		lo, hi := int(c)-width, int(c)+width
		var acc, norm float64
		for j := lo; j <= hi; j++ {
			if j < 0 || j >= len(in) {
				continue
			}
			x := float64(j) - c
			w := 0.5 + 0.5*math.Cos(math.Pi*x/float64(width+1))
			var s float64
			if x == 0 {
				s = 2 * cut
			} else {
				s = math.Sin(2*math.Pi*cut*x) / (math.Pi * x)
			}
			acc += in[j] * s * w
			norm += s * w
		}
		if norm != 0 {
			out[i] = acc / norm
		}
	}
	return out
}

// alaw and ulaw expand G.711 codes (ITU-T G.711 tables).
func alaw(a byte) int16 {
	a ^= 0x55
	t := int16(a&0x0f) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return t
	}
	return -t
}

func ulaw(u byte) int16 {
	u = ^u
	t := (int16(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}
