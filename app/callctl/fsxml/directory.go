package fsxml

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
)

// DirectoryUser is one SIP account as FreeSWITCH's directory describes it
// (https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Configuration/Directory/).
type DirectoryUser struct {
	ID string // the SIP user id (sip_auth_username, user/<id>@domain)
	// A1Hash is md5("id:realm:password"), which sofia compares with the
	// digest instead of a plaintext password (sofia_reg.c reads the
	// "a1-hash" param), so the password never reaches FreeSWITCH.
	A1Hash    string
	Variables map[string]string // channel variables set when the user calls or is called
}

// A1Hash computes the SIP digest HA1 (RFC 2617 §3.2.2.2) for a user.
func A1Hash(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// DialString is the domain's dial-string of freeswitch-conf/directory:
// `bridge user/<id>@domain` reaches wherever the user registered.
const DialString = "{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}"

// Directory renders the directory document for one user of one domain,
// the answer to a user lookup (sip_auth, user_call, user_data). The
// domain carries the dial-string because FreeSWITCH takes the domain from
// this document, not from the static one, for this lookup.
func Directory(domain string, u DirectoryUser) ([]byte, error) {
	if domain == "" || u.ID == "" || u.A1Hash == "" {
		return nil, fmt.Errorf("directory: domain, user id and a1-hash are required")
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n")
	b.WriteString(`<document type="freeswitch/xml">` + "\n")
	b.WriteString(`  <section name="directory" description="waihu agents">` + "\n")
	fmt.Fprintf(&b, "    <domain name=\"%s\">\n", esc(domain))
	b.WriteString("      <params>\n")
	param(&b, 8, "dial-string", DialString)
	b.WriteString("      </params>\n")
	b.WriteString("      <groups>\n        <group name=\"agents\">\n          <users>\n")
	fmt.Fprintf(&b, "            <user id=\"%s\">\n", esc(u.ID))
	b.WriteString("              <params>\n")
	param(&b, 16, "a1-hash", u.A1Hash)
	b.WriteString("              </params>\n")
	b.WriteString("              <variables>\n")
	for _, k := range sortedKeys(u.Variables) {
		fmt.Fprintf(&b, "                <variable name=\"%s\" value=\"%s\"/>\n", esc(k), esc(u.Variables[k]))
	}
	b.WriteString("              </variables>\n")
	b.WriteString("            </user>\n")
	b.WriteString("          </users>\n        </group>\n      </groups>\n")
	b.WriteString("    </domain>\n")
	b.WriteString("  </section>\n")
	b.WriteString("</document>\n")
	return b.Bytes(), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// UserLookup reports the user a directory request looks up, if any: a
// SIP REGISTER/INVITE digest check (action=sip_auth, sip_auth_username),
// a `bridge user/…` (action=user_call) or `user_data` (key=id, user=…),
// all with domain=… (freeswitch-traces/xml-curl-requests.txt, requests
// 29 and 30). Gateway and network-list fetches (purpose=…) look up no
// user. realm is the digest realm the a1-hash must be computed with: the
// challenge realm when FreeSWITCH checks a digest, else the domain.
func (r Request) UserLookup() (user, domain, realm string, ok bool) {
	if r.Section != "directory" || r.Purpose != "" {
		return "", "", "", false
	}
	user, domain = r.User, r.Domain
	if user == "" {
		user = r.AuthUser
	}
	if domain == "" {
		domain = r.KeyValue
	}
	realm = domain
	if r.Action == "sip_auth" && r.AuthRealm != "" {
		realm = r.AuthRealm
	}
	return user, domain, realm, user != "" && domain != ""
}
