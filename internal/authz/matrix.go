package authz

// Role is an actor's role as seen from the account being acted on. Agency
// staff acting on their own agency carry "agency:<role>", client users on
// their own account "client:<role>". Agency staff acting on a linked client
// carry "linked:<agency role>" (issue: linking), so the matrix can tell an
// agency admin on the agency from an agency admin looking at a client.
type Role string

const (
	AgencyAdmin          Role = "agency:admin"
	AgencyAccountManager Role = "agency:account_manager"
	AgencyMember         Role = "agency:member"
	AgencyViewer         Role = "agency:viewer"
	ClientAdmin          Role = "client:admin"
	ClientMember         Role = "client:member"
	LinkedAdmin          Role = "linked:admin"
	LinkedAccountManager Role = "linked:account_manager"
	LinkedMember         Role = "linked:member"
	LinkedViewer         Role = "linked:viewer"
)

// AgencyRoles and ClientRoles are the role names stored in memberships.
var (
	AgencyRoles = []string{"admin", "account_manager", "member", "viewer"}
	ClientRoles = []string{"admin", "member"}
)

// MemberRole turns a stored membership role into a Role.
func MemberRole(kind, role string) Role { return Role(kind + ":" + role) }

// ValidRole reports whether role is a stored role of an account of kind.
func ValidRole(kind, role string) bool {
	list := ClientRoles
	if kind == "agency" {
		list = AgencyRoles
	}
	for _, r := range list {
		if r == role {
			return true
		}
	}
	return false
}

// Action is something a route or domain function needs permission for.
type Action string

const (
	// Every member, and every agency user who sees a client.
	AccountRead Action = "account.read"
	AuditRead   Action = "audit.read"

	// SPEC §1, agency side, on a linked client.
	ClientView        Action = "client.view"
	ReportRead        Action = "report.read"
	ReportWrite       Action = "report.write"
	ClientImpersonate Action = "client.impersonate"
	ClientManage      Action = "client.manage" // users, seats, permissions, brands, enable
	ClientInvite      Action = "client.invite" // link requests, create clients, client invitations
	LinkDecide        Action = "link.decide"
	ClientDisconnect  Action = "client.disconnect"
	AgencyManage      Action = "agency.manage" // branding, domain, billing, members, groups, settings
	AgencyClientsList Action = "agency.clients.list"
	// AgencyRead: every agency member reads the organisation (members,
	// groups, brands, settings); changing it is AgencyManage.
	AgencyRead Action = "agency.read"

	// LinkSend and ClientCreate are ClientInvite without the linked roles:
	// only an account's own admins (and an agency's account managers) speak
	// for it when it asks to link or creates a client (SPEC §2).
	LinkSend     Action = "link.send"
	ClientCreate Action = "client.create"

	// Client side.
	ClientUsersManage    Action = "client.users.manage"
	ClientUsersRead      Action = "client.users.read" // the team sees its users, as do agency users who see the client
	ImpersonationLogRead Action = "client.impersonations.read"
	PortalUse            Action = "portal.use"

	// A client's billing details (SPEC §12): its admins while the client
	// permission manage_billing is on (gates, permission.go), and the agency
	// users who manage it. Members never.
	BillingDetailsRead  Action = "client.billing_details.read"
	BillingDetailsWrite Action = "client.billing_details.write"
	// A brand's data and reports (SPEC §1 "brands are the agency's own
	// work", §12): decided on the brand (CheckBrand). Every agency user
	// reads; admins, account managers and members push data and edit
	// reports; admins and account managers delete data. Client users of a
	// client granted the brand read and export (can_export decides the
	// export in internal/report).
	BrandDataRead     Action = "brand.data.read"
	BrandDataWrite    Action = "brand.data.write"
	BrandDataDelete   Action = "brand.data.delete"
	BrandReportExport Action = "brand.report.export"
	// Data sources (SPEC §12, issue 17) belong to the agency as a whole:
	// its admins and account managers create, map, pause and delete them
	// (§1); nobody else sees them, client users never.
	SourceManage Action = "source.manage"
)

// matrix is SPEC §1 as data: which roles may perform which action. A role
// missing from an action's row may not perform it.
var matrix = map[Action][]Role{
	AccountRead: {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer, ClientAdmin, ClientMember,
		LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer},
	AuditRead: {AgencyAdmin, ClientAdmin, LinkedAdmin, LinkedAccountManager},

	AgencyClientsList: {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer},
	AgencyRead:        {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer},
	ClientView:        {LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer},
	ReportRead:        {LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer, ClientAdmin, ClientMember},
	ReportWrite:       {LinkedAdmin, LinkedAccountManager, LinkedMember},
	ClientImpersonate: {LinkedAdmin, LinkedAccountManager},
	ClientManage:      {LinkedAdmin, LinkedAccountManager},
	ClientInvite:      {AgencyAdmin, AgencyAccountManager, LinkedAdmin, LinkedAccountManager, ClientAdmin},
	LinkDecide:        {AgencyAdmin, ClientAdmin},
	ClientDisconnect:  {LinkedAdmin, ClientAdmin},
	LinkDisconnect:    {AgencyAdmin, ClientAdmin},
	LinkRead:          {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer, ClientAdmin, ClientMember},
	AgencyManage:      {AgencyAdmin},

	LinkSend:     {AgencyAdmin, AgencyAccountManager, ClientAdmin},
	ClientCreate: {AgencyAdmin, AgencyAccountManager},
	// CheckLink decides cancelling on the sending side (with ClientInvite
	// there); this row makes the action known to the route table.
	LinkCancel: {AgencyAdmin, AgencyAccountManager, ClientAdmin},

	ClientUsersManage:    {ClientAdmin, LinkedAdmin, LinkedAccountManager},
	ClientUsersRead:      {ClientAdmin, ClientMember, LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer},
	ImpersonationLogRead: {ClientAdmin},
	ClientSecurityManage: {ClientAdmin},
	PortalUse:            {ClientAdmin, ClientMember},

	BillingDetailsRead:  {ClientAdmin, LinkedAdmin, LinkedAccountManager},
	BillingDetailsWrite: {ClientAdmin, LinkedAdmin, LinkedAccountManager},
	BrandDataRead:       {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer, ClientAdmin, ClientMember},
	BrandDataWrite:      {AgencyAdmin, AgencyAccountManager, AgencyMember},
	BrandDataDelete:     {AgencyAdmin, AgencyAccountManager},
	BrandReportExport:   {AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer, ClientAdmin, ClientMember},
	SourceManage:        {AgencyAdmin, AgencyAccountManager},
}

// Allowed reports whether role may perform action.
func Allowed(role Role, action Action) bool {
	for _, r := range matrix[action] {
		if r == role {
			return true
		}
	}
	return false
}

// Known reports whether the action is in the matrix (the route table test
// uses it to refuse routes naming an action nobody defined).
func Known(action Action) bool { _, ok := matrix[action]; return ok }
