package api_test

import (
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/authz"
)

// refusedAsClient is SPEC §6 and issue 7 written out apart from the api
// package: what nobody may do while logged in as a client (403), whatever
// the target. Every other User route but these three is refused too.
var refusedAsClient = map[string]bool{
	"POST /api/v1/agencies/{id}/clients/{client_id}/impersonate": true,
	"POST /api/v1/links/{id}/accept":                             true,
	"POST /api/v1/links/{id}/decline":                            true,
	"DELETE /api/v1/links/{id}":                                  true,
	// Issue 21: end dates are the link's admins' (authz.LinkDisconnect).
	"PUT /api/v1/links/{id}/end":               true,
	"POST /api/v1/links/{id}/end/extend":       true,
	"POST /api/v1/tokens":                      true,
	"GET /api/v1/accounts/{id}/impersonations": true,
	"GET /api/v1/accounts/{id}/security":       true,
	"PUT /api/v1/accounts/{id}/security":       true,
	// SPEC §6: nobody changes client users' passwords during Login As.
	"POST /api/v1/accounts/{id}/users/{user_id}/password-reset": true,
}

var openAsClient = map[string]bool{"GET /api/v1/me": true, "POST /api/v1/logout": true, "POST /api/v1/impersonation/end": true,
	"POST /api/v1/activity": true} // recorded with the impersonator, never as the client's own

// fill substitutes the route's path parameters: the named ones from params,
// any other with an ID that exists nowhere.
func fill(path string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}') + i
		b.WriteString(path[:i])
		if v, ok := params[path[i+1:j]]; ok {
			b.WriteString(v)
		} else {
			b.WriteString("x_doesnotexist")
		}
		path = path[j+1:]
	}
}

func body(method string) any {
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		return map[string]any{}
	}
	return nil
}

// target is one resource a route is tried on, with the expected outcome
// for a persona: visible (else 404) and allowed (else 403).
type target struct {
	params map[string]string
	expect func(p persona) (visible, allowed bool)
}

// linkRule is SPEC §2 in plain words, written apart from authz so that the
// walk does not agree with the code by construction: members of either side
// see a link; the receiving side's admins decide; the sender's admins (and an
// agency's account managers) cancel; either side's admins disconnect.
func linkRule(action authz.Action, agencyRole, clientRole authz.Role, initiatedBy string) (visible, allowed bool) {
	if agencyRole == "" && clientRole == "" {
		return false, false
	}
	admin := func(r authz.Role) bool { return r == authz.AgencyAdmin || r == authz.ClientAdmin }
	receiving, sending := clientRole, agencyRole
	if initiatedBy == "client" {
		receiving, sending = agencyRole, clientRole
	}
	switch action {
	case authz.LinkDecide:
		return true, admin(receiving)
	case authz.LinkCancel:
		return true, admin(sending) || sending == authz.AgencyAccountManager
	case authz.LinkDisconnect:
		return true, admin(agencyRole) || admin(clientRole)
	case authz.AgencyManage: // the agency's sharing of the client (issue 18)
		return true, agencyRole == authz.AgencyAdmin
	}
	return true, true
}

// brandRule is SPEC §1 and §12 on a brand, written apart from authz: every
// user of the brand's agency sees it (the role decides the action); a user
// of a client granted the brand sees its data and reports only, and may
// read and export them, nothing more; anyone else sees nothing.
func brandRule(action authz.Action, agencyRole, clientRole authz.Role, granted bool) (visible, allowed bool) {
	agencyMay := map[authz.Role]bool{}
	switch action {
	case authz.BrandDataRead, authz.BrandReportExport, authz.AgencyRead, authz.ReportSharingRead:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true, authz.AgencyViewer: true}
	case authz.BrandDataWrite, authz.ReportShare:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true}
	case authz.BrandDataDelete:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true}
	case authz.AgencyManage:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true}
	case authz.ReportTemplateRead: // issue 17: templates are the agency's
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true, authz.AgencyViewer: true}
	case authz.ReportTemplateManage, authz.ReportScheduleManage: // SPEC §1: admins and account managers
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true}
	}
	if strings.HasPrefix(string(agencyRole), "agency:") {
		return true, agencyMay[agencyRole]
	}
	dataAction := action == authz.BrandDataRead || action == authz.BrandDataWrite || action == authz.BrandDataDelete || action == authz.BrandReportExport
	if granted && dataAction && strings.HasPrefix(string(clientRole), "client:") {
		return true, action == authz.BrandDataRead || action == authz.BrandReportExport
	}
	return false, false
}

func (w *world) targets(rt api.Route) []target {
	acc := rt.Access
	direct := func(r authz.Role) bool { return r != "" && !strings.HasPrefix(string(r), "linked:") }
	switch acc.Kind {
	case api.Account:
		var out []target
		perm, gated := clientGated[rt.Method+" "+rt.Path]
		for _, id := range []string{w.agencyA, w.agencyB, w.clientC} {
			out = append(out, target{map[string]string{acc.Param: id}, func(p persona) (bool, bool) {
				role, ok := p.roles[id]
				if gated && id == w.clientC && direct(role) && !w.perms[perm] {
					return ok, false
				}
				return ok, ok && authz.Allowed(role, acc.Action)
			}})
		}
		return out
	case api.AgencyClient:
		var out []target
		agencies := []string{w.agencyA, w.agencyB}
		if rt.Method == http.MethodGet {
			// D's own view of C: what it reads there is its own (issue 15).
			// Its writes take the same path as A's, and each success would
			// cost a fresh world, so only the reads are walked.
			agencies = append(agencies, w.agencyD)
		}
		for _, ag := range agencies {
			out = append(out, target{map[string]string{acc.Param: ag, acc.ClientParam: w.clientC}, func(p persona) (bool, bool) {
				// B's link is pending; A and D see C through their own.
				if !direct(p.roles[ag]) || ag == w.agencyB || p.via != ag {
					return false, false
				}
				role, ok := p.roles[w.clientC]
				return ok, ok && authz.Allowed(role, acc.Action)
			}})
		}
		return out
	case api.Brand:
		var out []target
		for _, pair := range [][2]string{{w.brandA, w.agencyA}, {w.brandB, w.agencyB}} {
			brand, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: brand}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Report:
		var out []target
		for _, tr := range [][3]string{{w.reportA, w.brandA, w.agencyA}, {w.reportB, w.brandB, w.agencyB}} {
			rep, brand, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: rep}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Source, api.SourceToken:
		// SPEC §1: sources belong to the agency as a whole; its admins and
		// account managers manage them, its other users are refused, and
		// nobody else (client users included) finds them. A source's push
		// takes its token only: every persona gets 401 (walk).
		var out []target
		for _, pair := range [][2]string{{w.sourceA, w.agencyA}, {w.sourceB, w.agencyB}} {
			src, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: src}, func(p persona) (bool, bool) {
				r := p.roles[ag]
				if !strings.HasPrefix(string(r), "agency:") || p.name == asClientPersona {
					return false, false
				}
				return true, r == authz.AgencyAdmin || r == authz.AgencyAccountManager
			}})
		}
		return out
	case api.Webhook:
		// Issue 21: an agency's webhooks are its admins' alone; its other
		// users are refused, nobody else (client users, the other agency
		// of a shared client, Login As) finds them.
		var out []target
		for _, tr := range [][3]string{{w.webhookA, w.deliveryA, w.agencyA}, {w.webhookB, w.deliveryB, w.agencyB}} {
			hook, delivery, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: hook, "delivery_id": delivery}, func(p persona) (bool, bool) {
				r := p.roles[ag]
				if !strings.HasPrefix(string(r), "agency:") || p.name == asClientPersona {
					return false, false
				}
				return true, r == authz.AgencyAdmin
			}})
		}
		return out
	case api.Schedule:
		var out []target
		for _, tr := range [][3]string{{w.scheduleA, w.brandA, w.agencyA}, {w.scheduleB, w.brandB, w.agencyB}} {
			sch, brand, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: sch}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Template:
		var out []target
		for _, pair := range [][2]string{{w.templateA, w.agencyA}, {w.templateB, w.agencyB}} {
			tpl, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: tpl}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], "", false)
			}})
		}
		return out
	case api.Link:
		var out []target
		for _, pair := range [][2]string{{w.linkAC, w.agencyA}, {w.linkBC, w.agencyB}} {
			link, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: link}, func(p persona) (bool, bool) {
				var agencyRole, clientRole authz.Role
				if r := p.roles[ag]; direct(r) {
					agencyRole = r
				}
				if r := p.roles[w.clientC]; direct(r) {
					clientRole = r
				}
				return linkRule(acc.Action, agencyRole, clientRole, "agency")
			}})
		}
		return out
	case api.Invitation:
		// Decided on the account the invitation is into: managing a
		// client's users, or an agency's members. Of the invitations into
		// C, an agency's user (linked, or in Login As) finds only those
		// their agency sent; C's own users find all.
		var out []target
		for _, inv := range [][4]string{{w.invC, w.clientC, string(authz.ClientUsersManage), w.agencyA},
			{w.invCbyD, w.clientC, string(authz.ClientUsersManage), w.agencyD},
			{w.invA, w.agencyA, string(authz.AgencyManage), ""}, {w.invB, w.agencyB, string(authz.AgencyManage), ""}} {
			id, account, action, sender := inv[0], inv[1], authz.Action(inv[2]), inv[3]
			out = append(out, target{map[string]string{acc.Param: id}, func(p persona) (bool, bool) {
				role, ok := p.roles[account]
				if ok && sender != "" && p.via != "" && p.via != sender {
					return false, false
				}
				return ok, ok && authz.Allowed(role, action)
			}})
		}
		return out
	}
	return []target{{params: map[string]string{}}}
}
