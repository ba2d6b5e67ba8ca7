package callctl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// Channel variables waihu sets on every originate. FreeSWITCH copies them
// into the CDR's <variables>, which is how a CDR finds its attempt even when
// waihu was down when the call ended.
const (
	VarAttempt    = "waihu_attempt"
	VarTenant     = "waihu_tenant"
	VarNode       = "waihu_node"
	VarCampaign   = "waihu_campaign"
	VarRecordPath = "waihu_record_path"
)

// maxCDRBytes bounds one CDR post. Real ones are 15–25 KB (the traces'
// answered call is 19 KB URL-encoded); 1 MiB leaves room for long calls
// with many variables and still refuses garbage.
const maxCDRBytes = 1 << 20

// xmlCDR is the part of mod_xml_cdr's document waihu reads: every channel
// variable, URL-encoded as FreeSWITCH writes them (mod_xml_cdr.c with
// encode=true encodes the whole form field; switch_ivr.c's
// switch_ivr_generate_xml_cdr URL-encodes each variable's value).
type xmlCDR struct {
	XMLName   xml.Name `xml:"cdr"`
	CoreUUID  string   `xml:"core-uuid,attr"`
	Variables struct {
		Items []xmlVar `xml:",any"`
	} `xml:"variables"`
}

type xmlVar struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// ParseXMLCDRForm reads the body of a mod_xml_cdr POST
// (application/x-www-form-urlencoded, one field `cdr=<url-encoded XML>`,
// see freeswitch-traces/cdr-post.txt) into a CDR row.
func ParseXMLCDRForm(body []byte) (*store.CDR, error) {
	if len(body) > maxCDRBytes {
		return nil, &apperr.ValidationError{Fields: map[string]string{"cdr": fmt.Sprintf("larger than %d bytes", maxCDRBytes)}}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &apperr.ValidationError{Fields: map[string]string{"cdr": "body is not form-encoded: " + err.Error()}}
	}
	doc := form.Get("cdr")
	if doc == "" {
		return nil, &apperr.ValidationError{Fields: map[string]string{"cdr": "required"}}
	}
	return ParseXMLCDR([]byte(doc))
}

// ParseXMLCDR reads one mod_xml_cdr XML document.
func ParseXMLCDR(doc []byte) (*store.CDR, error) {
	var x xmlCDR
	dec := xml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&x); err != nil {
		return nil, &apperr.ValidationError{Fields: map[string]string{"cdr": "not a FreeSWITCH XML CDR: " + err.Error()}}
	}
	vars := make(map[string]string, len(x.Variables.Items))
	for _, v := range x.Variables.Items {
		val, err := url.QueryUnescape(v.Value)
		if err != nil {
			// A value FreeSWITCH did not encode (encode=false in the CDR
			// config) is kept as written rather than refusing the CDR.
			val = v.Value
		}
		vars[v.XMLName.Local] = val
	}
	c, err := cdrFromVars(vars)
	if err != nil {
		return nil, err
	}
	c.Raw = string(doc)
	return c, nil
}

func cdrFromVars(v map[string]string) (*store.CDR, error) {
	uuid := v["uuid"]
	if uuid == "" {
		return nil, &apperr.ValidationError{Fields: map[string]string{"variables.uuid": "required"}}
	}
	if len(uuid) > 36 || strings.ContainsAny(uuid, " \r\n") {
		return nil, &apperr.ValidationError{Fields: map[string]string{"variables.uuid": "not a channel UUID"}}
	}
	c := &store.CDR{
		UUID:          uuid,
		AttemptUUID:   clip(v[VarAttempt], 36),
		Direction:     clip(v["direction"], 16),
		CallerNumber:  clip(firstNonEmpty(v["origination_caller_id_number"], v["caller_id_number"], v["effective_caller_id_number"]), 32),
		DestNumber:    clip(firstNonEmpty(v["waihu_number"], v["destination_number"], v["callee_id_number"]), 32),
		DurationSec:   atoi(v["duration"]),
		BillSec:       atoi(v["billsec"]),
		HangupCause:   clip(v["hangup_cause"], 64),
		Q850:          atoi(v["hangup_cause_q850"]),
		SIPTermStatus: ParseSIPStatus(v["sip_term_status"]),
		Disposition:   clip(v["sip_hangup_disposition"], 32),
		RecordPath:    clip(v[VarRecordPath], 512),
		ReceivedAt:    time.Now().UTC(),
	}
	c.TenantID, _ = strconv.ParseUint(v[VarTenant], 10, 64)
	c.NodeID, _ = strconv.ParseUint(v[VarNode], 10, 64)
	c.StartAt = epoch(v["start_epoch"])
	c.AnswerAt = epoch(v["answer_epoch"])
	c.EndAt = epoch(v["end_epoch"])
	if c.BillSec < 0 || c.DurationSec < 0 {
		return nil, &apperr.ValidationError{Fields: map[string]string{"variables.billsec": "negative"}}
	}
	return c, nil
}

// epoch turns FreeSWITCH's *_epoch variables (seconds; "0" when the event
// never happened, e.g. answer_epoch of a busy call) into a time.
func epoch(s string) *time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// errDuplicateCDR reports a CDR already stored (FreeSWITCH retried a post
// whose answer it did not see); the post is acknowledged and nothing changes.
var errDuplicateCDR = errors.New("duplicate CDR")
