package account

import "github.com/liaison-dev/liaison/internal/jsonw"

// AppendJSON writes /me's answer as encoding/json would, without
// reflection (internal/jsonw; TestMeJSON compares the bytes). A field added
// to Me, auth.User, Membership, Ref, auth.MeImpersonation or
// auth.MeImpersonator must be added here.
func (m Me) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"user":{"id":`...)
	b = jsonw.String(b, m.User.ID)
	b = append(b, `,"email":`...)
	b = jsonw.String(b, m.User.Email)
	b = append(b, `,"name":`...)
	b = jsonw.String(b, m.User.Name)
	b = append(b, `,"is_operator":`...)
	b = jsonw.Bool(b, m.User.IsOperator)
	b = append(b, `,"created_at":`...)
	if b, err = jsonw.Time(b, m.User.CreatedAt); err != nil {
		return b, err
	}
	b = append(b, `},"memberships":`...)
	if m.Memberships == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, ms := range m.Memberships {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"account":{"id":`...)
			b = jsonw.String(b, ms.Account.ID)
			b = append(b, `,"kind":`...)
			b = jsonw.String(b, ms.Account.Kind)
			b = append(b, `,"name":`...)
			b = jsonw.String(b, ms.Account.Name)
			b = append(b, `},"role":`...)
			b = jsonw.String(b, ms.Role)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if m.CurrentAcctID != "" { // omitempty
		b = append(b, `,"current_account_id":`...)
		b = jsonw.String(b, m.CurrentAcctID)
	}
	b = append(b, `,"email_verified":`...)
	b = jsonw.Bool(b, m.EmailVerified)
	b = append(b, `,"impersonation":`...)
	if m.Impersonation == nil {
		b = append(b, "null"...)
		return append(b, '}'), nil
	}
	im := m.Impersonation
	b = append(b, `{"id":`...)
	b = jsonw.String(b, im.ID)
	b = append(b, `,"client_id":`...)
	b = jsonw.String(b, im.ClientID)
	b = append(b, `,"client_name":`...)
	b = jsonw.String(b, im.ClientName)
	b = append(b, `,"agency_id":`...)
	b = jsonw.String(b, im.AgencyID)
	b = append(b, `,"agency_name":`...)
	b = jsonw.String(b, im.AgencyName)
	b = append(b, `,"impersonator":{"id":`...)
	b = jsonw.String(b, im.Impersonator.ID)
	b = append(b, `,"name":`...)
	b = jsonw.String(b, im.Impersonator.Name)
	b = append(b, `,"email":`...)
	b = jsonw.String(b, im.Impersonator.Email)
	b = append(b, `},"started_at":`...)
	if b, err = jsonw.Time(b, im.StartedAt); err != nil {
		return b, err
	}
	b = append(b, `,"expires_at":`...)
	if b, err = jsonw.Time(b, im.ExpiresAt); err != nil {
		return b, err
	}
	b = append(b, `,"idle_seconds":`...)
	b = jsonw.Int(b, int64(im.IdleSeconds))
	b = append(b, `,"return_to":`...)
	b = jsonw.String(b, im.ReturnTo)
	return append(b, "}}"...), nil
}
