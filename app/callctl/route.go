package callctl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/waihu/waihu/app/store"
)

// Trunk number formats (store.Trunk.Format): how the callee's number is
// written in the Request-URI the carrier receives.
const (
	FormatE164     = "e164"     // +8613800138000
	FormatNational = "national" // 13800138000 (mobile), 075512345678 (landline)
	FormatDigits   = "digits"   // 8613800138000
)

// DialNumber renders an E.164 number the way trunk t expects it, with its
// prefix. Chinese carriers mostly want national format: mobiles bare,
// landlines with the 0 trunk prefix and area code.
func DialNumber(e164 string, t *store.Trunk) (string, error) {
	num, err := phonenumbers.Parse(e164, "CN")
	if err != nil {
		return "", fmt.Errorf("number %q: %w", e164, err)
	}
	var out string
	switch t.Format {
	case FormatE164:
		out = phonenumbers.Format(num, phonenumbers.E164)
	case FormatDigits:
		out = strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")
	case FormatNational, "":
		if num.GetCountryCode() != 86 {
			// International calls: 00 + country code, as dialled from China.
			out = "00" + strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")
		} else {
			out = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, phonenumbers.Format(num, phonenumbers.NATIONAL))
		}
	default:
		return "", fmt.Errorf("trunk %s: unknown number format %q", t.Name, t.Format)
	}
	return t.Prefix + out, nil
}

// NodeLoad is what the picker knows about a node right now.
type NodeLoad struct {
	ID        uint64
	Healthy   bool // connected, authenticated, heartbeat recent
	State     string
	Simulated bool
	MaxCalls  int
	Calls     int // calls waihu has in flight on it
	// CPSFree reports whether a call may start now under the node's max
	// calls per second.
	CPSFree bool
}

// PickNode chooses the node for a new call: healthy, enabled (not draining),
// under its call limit and CPS, of the right kind (the simulator serves only
// simulated trunks and the reverse), fewest calls first, lowest ID on a tie
// so the choice is stable. ok is false when no node can take the call.
func PickNode(nodes []NodeLoad, simulated bool) (id uint64, ok bool) {
	cands := make([]NodeLoad, 0, len(nodes))
	for _, n := range nodes {
		if n.Healthy && n.State == store.NodeEnabled && n.Simulated == simulated && n.Calls < n.MaxCalls && n.CPSFree {
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return 0, false
	}
	sort.Slice(cands, func(i, j int) bool {
		// Compare load as a fraction of capacity, so a big node takes more.
		li := float64(cands[i].Calls) / float64(cands[i].MaxCalls)
		lj := float64(cands[j].Calls) / float64(cands[j].MaxCalls)
		if li != lj {
			return li < lj
		}
		return cands[i].ID < cands[j].ID
	})
	return cands[0].ID, true
}
