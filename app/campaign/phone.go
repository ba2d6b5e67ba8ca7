package campaign

import (
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Number is a normalized callee number.
type Number struct {
	E164     string // +8613800138000
	TZ       string // IANA zone of the callee, for calling windows
	AreaCode string // CN landline area code (10, 755…), for local caller IDs
}

// Phone rejection reasons (also the reasons in the import error report).
const (
	ReasonInvalidPhone = "invalid_phone"
	ReasonEmptyPhone   = "empty_phone"
	ReasonDuplicate    = "duplicate"
	ReasonDNC          = "dnc"
	ReasonFormula      = "formula"
	ReasonTooLong      = "too_long"
)

const chinaTZ = "Asia/Shanghai"

// mobilePrefixValid caches phonenumbers' verdict per 5-digit CN mobile
// prefix: the library's mobile patterns never look past the fifth digit,
// and parsing every row of a million-row file through it would dominate
// the import.
var mobilePrefixValid sync.Map // string -> bool

// NormalizePhone turns what people type into E.164. Numbers without a
// country are Chinese: 11-digit mobiles, landlines with their 0 area code
// (010-12345678, 0755 8888 6666), +86 and 0086 prefixes; other countries
// need + or 00 and their country code.
func NormalizePhone(raw string) (Number, string) {
	s := cleanDigits(raw)
	if s == "" {
		return Number{}, ReasonEmptyPhone
	}
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case len(s) == 13 && strings.HasPrefix(s, "86") && s[2] == '1':
		s = "+" + s // 8613800138000 written without the plus
	}
	// Fast path: a Chinese mobile, the bulk of every list.
	d := strings.TrimPrefix(s, "+86")
	if (d != s || !strings.HasPrefix(s, "+")) && len(d) == 11 && d[0] == '1' && isDigits(d) {
		if mobileValid(d) {
			return Number{E164: "+86" + d, TZ: chinaTZ}, ""
		}
		return Number{}, ReasonInvalidPhone
	}
	num, err := phonenumbers.Parse(s, "CN")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return Number{}, ReasonInvalidPhone
	}
	n := Number{E164: phonenumbers.Format(num, phonenumbers.E164)}
	if zones, err := phonenumbers.GetTimezonesForNumber(num); err == nil && len(zones) > 0 && zones[0] != "Etc/Unknown" {
		n.TZ = zones[0]
	}
	if num.GetCountryCode() == 86 {
		if n.TZ == "" {
			n.TZ = chinaTZ
		}
		if l := phonenumbers.GetLengthOfGeographicalAreaCode(num); l > 0 {
			n.AreaCode = phonenumbers.GetNationalSignificantNumber(num)[:l]
		}
	}
	return n, ""
}

func mobileValid(d string) bool {
	key := d[:5]
	if v, ok := mobilePrefixValid.Load(key); ok {
		return v.(bool)
	}
	num, err := phonenumbers.Parse(key+"000000", "CN")
	ok := err == nil && phonenumbers.IsValidNumber(num) && phonenumbers.GetNumberType(num) == phonenumbers.MOBILE
	mobilePrefixValid.Store(key, ok)
	return ok
}

// cleanDigits keeps a leading + and the digits, dropping the separators
// people and spreadsheets put in numbers (spaces, dashes, dots, brackets,
// a trailing ".0" from a numeric Excel cell is handled by the caller).
func cleanDigits(raw string) string {
	raw = strings.TrimSpace(raw)
	var b strings.Builder
	b.Grow(len(raw))
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits from Chinese input methods
			b.WriteRune('0' + (r - '０'))
		case (r == '+' || r == '＋') && i == 0:
			b.WriteByte('+')
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '\u00a0' || r == '\t' || r == '－':
		default:
			return "x" // letters and the like: never a phone number
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
