package clientlist

import "github.com/liaison-dev/liaison/internal/jsonw"

// AppendJSON writes the page as encoding/json would, without reflection
// (internal/jsonw; TestClientPageJSON compares the bytes). A field added to
// these types must be added here too: the test fills every field.
func (p ClientPage) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"clients":`...)
	if p.raw != nil {
		b = append(b, '[')
		for i, it := range p.raw {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
		b = append(b, ']')
	} else if p.Clients == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Clients {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = p.Clients[i].AppendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"headline_metrics":`...)
	b = jsonw.Strings(b, p.HeadlineMetrics)
	b = append(b, `,"next_cursor":`...)
	b = jsonw.String(b, p.NextCursor)
	b = append(b, `,"counts":`...)
	b = p.ClientCounts.appendJSON(b)
	return append(b, '}'), nil
}

// AppendJSON writes one row of the list.
func (c *ClientListItem) AppendJSON(b []byte) ([]byte, error) {
	if c.raw != nil {
		return append(b, c.raw...), nil
	}
	var err error
	b = append(b, `{"id":`...)
	b = jsonw.String(b, c.ID)
	b = append(b, `,"name":`...)
	b = jsonw.String(b, c.Name)
	b = append(b, `,"email":`...)
	b = jsonw.StringPtr(b, c.Email)
	b = append(b, `,"status":`...)
	b = jsonw.String(b, c.Status)
	b = append(b, `,"health":`...)
	if c.Health == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"score":`...)
		b = jsonw.Int(b, int64(c.Health.Score))
		b = append(b, `,"band":`...)
		b = jsonw.String(b, c.Health.Band)
		b = append(b, '}')
	}
	b = append(b, `,"last_active_at":`...)
	if b, err = jsonw.TimePtr(b, c.LastActiveAt); err != nil {
		return b, err
	}
	b = append(b, `,"brands":`...)
	if c.Brands == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, br := range c.Brands {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = jsonw.String(b, br.ID)
			b = append(b, `,"name":`...)
			b = jsonw.String(b, br.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"users":`...)
	b = jsonw.Int(b, int64(c.Users))
	b = append(b, `,"seats":`...)
	b = jsonw.Int(b, int64(c.Seats))
	b = append(b, `,"enabled":`...)
	b = jsonw.Bool(b, c.Enabled)
	b = append(b, `,"metrics":`...)
	if b, err = jsonw.FloatMap(b, c.Metrics); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (c ClientCounts) appendJSON(b []byte) []byte {
	for _, f := range [...]struct {
		k string
		n int
	}{{`{"all":`, c.All}, {`,"pending":`, c.Pending}, {`,"link_invite":`, c.LinkInvite}, {`,"active":`, c.Active},
		{`,"at_risk":`, c.AtRisk}, {`,"churned":`, c.Churned}, {`,"revoked":`, c.Revoked}} {
		b = append(b, f.k...)
		b = jsonw.Int(b, int64(f.n))
	}
	return append(b, '}')
}
