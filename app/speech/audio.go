package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// EncodeWAV wraps PCM in a canonical 44-byte RIFF header.
func EncodeWAV(a Audio) []byte {
	ch := a.Channels
	if ch <= 0 {
		ch = 1
	}
	var b bytes.Buffer
	b.Grow(44 + len(a.PCM))
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + len(a.PCM)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(ch))
	w(uint32(a.SampleRate))
	w(uint32(a.SampleRate * ch * 2))
	w(uint16(ch * 2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(len(a.PCM)))
	b.Write(a.PCM)
	return b.Bytes()
}

// DecodeWAV reads a 16-bit PCM WAV, walking chunks so that LIST/fact chunks
// written by other tools do not shift the data.
func DecodeWAV(data []byte) (Audio, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return Audio{}, errors.New("decode wav: not a RIFF/WAVE file")
	}
	var a Audio
	var haveFmt bool
	p := 12
	for p+8 <= len(data) {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := p + 8
		end := body + size
		if end > len(data) || size < 0 {
			// Streams written without knowing their length (espeak-ng --stdout)
			// put 0x7fffffff or similar here: take what is there.
			end = len(data)
		}
		switch id {
		case "fmt ":
			if end-body < 16 {
				return Audio{}, errors.New("decode wav: short fmt chunk")
			}
			f := data[body:end]
			if format := binary.LittleEndian.Uint16(f[0:2]); format != 1 && format != 0xFFFE {
				return Audio{}, fmt.Errorf("decode wav: format %d is not PCM", format)
			}
			a.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
			a.SampleRate = int(binary.LittleEndian.Uint32(f[4:8]))
			if bits := binary.LittleEndian.Uint16(f[14:16]); bits != 16 {
				return Audio{}, fmt.Errorf("decode wav: %d bits per sample, want 16", bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Audio{}, errors.New("decode wav: data before fmt")
			}
			pcm := data[body:end]
			pcm = pcm[:len(pcm)&^1]
			a.PCM = append([]byte(nil), pcm...)
			return a, nil
		}
		p = end + size&1
		if end == len(data) {
			break
		}
	}
	return Audio{}, errors.New("decode wav: no data chunk")
}

// ReadWAV decodes a WAV from a reader.
func ReadWAV(r io.Reader) (Audio, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Audio{}, fmt.Errorf("read wav: %w", err)
	}
	return DecodeWAV(b)
}

// Samples views s16le PCM as int16 samples.
func Samples(pcm []byte) []int16 {
	out := make([]int16, len(pcm)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	return out
}

// PCMBytes is the inverse of Samples.
func PCMBytes(s []int16) []byte {
	out := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// Resample converts mono PCM between rates by linear interpolation. Good
// enough for speech between 8, 16 and 22.05 kHz, where the recognizers and
// phone codecs throw the top band away anyway.
func Resample(a Audio, rate int) Audio {
	if a.SampleRate == rate || a.SampleRate <= 0 || rate <= 0 || len(a.PCM) < 4 {
		return Audio{SampleRate: rate, Channels: 1, PCM: a.PCM}
	}
	in := Samples(a.PCM)
	n := int(int64(len(in)) * int64(rate) / int64(a.SampleRate))
	out := make([]int16, n)
	step := float64(a.SampleRate) / float64(rate)
	// Downsampling needs a low-pass first or the top band folds back as noise.
	if rate < a.SampleRate {
		in = lowPass(in, float64(rate)/2*0.9, float64(a.SampleRate))
	}
	for i := range out {
		pos := float64(i) * step
		j := int(pos)
		if j+1 >= len(in) {
			out[i] = in[len(in)-1]
			continue
		}
		f := pos - float64(j)
		out[i] = int16(math.Round(float64(in[j])*(1-f) + float64(in[j+1])*f))
	}
	return Audio{SampleRate: rate, Channels: 1, PCM: PCMBytes(out)}
}

// lowPass is a short windowed-sinc FIR filter.
func lowPass(in []int16, cutoff, rate float64) []int16 {
	const taps = 31
	fc := cutoff / rate
	h := make([]float64, taps)
	var sum float64
	for i := range h {
		m := float64(i - taps/2)
		if m == 0 {
			h[i] = 2 * fc
		} else {
			h[i] = math.Sin(2*math.Pi*fc*m) / (math.Pi * m)
		}
		h[i] *= 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(taps-1))
		sum += h[i]
	}
	out := make([]int16, len(in))
	for i := range in {
		var acc float64
		for k := range h {
			j := i + k - taps/2
			if j >= 0 && j < len(in) {
				acc += h[k] / sum * float64(in[j])
			}
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(acc))))
	}
	return out
}

// Silence returns ms of digital silence at rate.
func Silence(rate, ms int) []byte {
	return make([]byte, rate*ms/1000*2)
}

// RecognizeRecording runs utterance mode: FreeSWITCH recorded the answer
// (record with silence detection, stock modules only) and waihu recognizes
// the WAV. Stereo is downmixed; rates other than 8/16 kHz are resampled to
// 16 kHz. Utterance mode cannot barge in: the recording ends before
// recognition starts.
func RecognizeRecording(ctx context.Context, rec FileRecognizer, wav []byte, opts RecognizeOptions) (Result, error) {
	a, err := DecodeWAV(wav)
	if err != nil {
		return Result{}, err
	}
	if a.Channels > 1 {
		s := Samples(a.PCM)
		out := make([]int16, 0, len(s)/a.Channels)
		for i := 0; i+a.Channels <= len(s); i += a.Channels {
			sum := 0
			for c := range a.Channels {
				sum += int(s[i+c])
			}
			out = append(out, int16(sum/a.Channels))
		}
		a = Audio{SampleRate: a.SampleRate, Channels: 1, PCM: PCMBytes(out)}
	}
	if a.SampleRate != 8000 && a.SampleRate != 16000 {
		a = Resample(a, 16000)
	}
	opts.SampleRate = a.SampleRate
	t0 := time.Now()
	r, err := rec.Recognize(ctx, a, opts)
	if err == nil && r.Latency == 0 {
		r.Latency = time.Since(t0)
	}
	return r, err
}
