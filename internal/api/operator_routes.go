package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/mail"
)

type outboxIn struct {
	Cursor string `query:"cursor" maxLength:"200"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
}

type outboxOut struct {
	Body struct {
		Messages   []mail.Message `json:"messages"`
		NextCursor string         `json:"next_cursor"`
	}
}

type mailOut struct{ Body mail.Message }

// operatorRoutes are for the instance operator: the local outbox, where
// e-mails are kept when no SMTP server is configured.
func (a *API) operatorRoutes() {
	opr := Access{Kind: Operator}
	add(a, opr, op(http.MethodGet, "/api/v1/outbox", "outbox-list", "E-mails sent by this server, newest first (operator)", "operator"),
		func(ctx context.Context, in *outboxIn) (*outboxOut, error) {
			out := &outboxOut{}
			limit := in.Limit
			if limit == 0 {
				limit = 50
			}
			var err error
			out.Body.Messages, out.Body.NextCursor, err = a.deps.Mailer.List(ctx, limit, in.Cursor)
			if out.Body.Messages == nil {
				out.Body.Messages = []mail.Message{}
			}
			return out, err
		})
	add(a, opr, op(http.MethodGet, "/api/v1/outbox/{id}", "outbox-get", "One e-mail as it would arrive (operator)", "operator"),
		func(ctx context.Context, in *idPath) (*mailOut, error) {
			m, err := a.deps.Mailer.Get(ctx, in.ID)
			return &mailOut{Body: m}, err
		})
}
