package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/liaison-dev/liaison/internal/webhook"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// Webhook pages (Settings → Webhooks, issue 21): the agency's endpoints, a
// form to add one (its secret shown once), and an endpoint's page with its
// settings, its secret's rotation and its latest deliveries, each with a
// resend. Agency admins only (authz.AgencyManage on the agency); every
// read and write goes through internal/webhook scoped to the agency.

const webhooksPath = "/app/settings/webhooks"

type webhooksData struct {
	Endpoints []webhook.Endpoint
	Types     []eventChoice
	// Secret is set once, on the page answering the creation.
	Secret, SecretFor string
}

// eventChoice is one event type's checkbox.
type eventChoice struct {
	Type, Label string
	Checked     bool
}

// eventLabels say what each event type is, for the checkboxes.
var eventLabels = map[string]string{
	outbox.LinkRequested:       "A link is requested",
	outbox.LinkAccepted:        "A link is accepted",
	outbox.LinkDisconnected:    "A link is disconnected",
	outbox.ClientStatusChanged: "A client is turned off or on, revoked or restored",
	outbox.InvitationSent:      "An invitation is sent",
	outbox.InvitationAccepted:  "An invitation is accepted",
	outbox.UserAdded:           "A user joins the agency or a client",
	outbox.UserRemoved:         "A user is removed",
	outbox.LoginAsStarted:      "Login As starts",
	outbox.LoginAsEnded:        "Login As ends",
	outbox.ReportDataPushed:    "Report data is pushed",
	outbox.BillingBrandStarted: "A brand starts being billed",
	outbox.BillingBrandStopped: "A brand stops being billed",
}

func choices(checked []string) []eventChoice {
	out := make([]eventChoice, 0, len(outbox.Types))
	for _, t := range outbox.Types {
		out = append(out, eventChoice{Type: t, Label: eventLabels[t], Checked: slices.Contains(checked, t)})
	}
	return out
}

func (h *handler) webhooks(c *call) { h.showWebhooks(c, http.StatusOK, nil, "", "") }

func (h *handler) showWebhooks(c *call, status int, checked []string, secret, secretFor string) {
	list, err := h.deps.Webhooks.List(c.ctx(), c.rel, c.acc.ID)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Webhooks"
	c.p.Data = webhooksData{Endpoints: list, Types: choices(checked), Secret: secret, SecretFor: secretFor}
	c.render(status, "webhooks")
}

// webhookInput reads the endpoint form; events are its ticked boxes.
func webhookInput(c *call, withEnabled bool) webhook.Input {
	c.form("url", "description", "enabled")
	u, d := c.p.Values["url"], c.p.Values["description"]
	evs := c.r.PostForm["events"]
	if evs == nil {
		evs = []string{}
	}
	in := webhook.Input{URL: &u, Description: &d, Events: &evs}
	if withEnabled {
		on := c.p.Values["enabled"] == "on"
		in.Enabled = &on
	}
	return in
}

var webhookFields = map[string]string{"url": "url", "description": "description", "events": "events"}

func (h *handler) webhookCreate(c *call) {
	in := webhookInput(c, false)
	e, err := h.deps.Webhooks.Create(c.ctx(), c.a, c.rel, c.acc.ID, in)
	if err != nil {
		c.invalid(err, webhookFields, func(st int) { h.showWebhooks(c, st, *in.Events, "", "") })
		return
	}
	// Shown on this answer only, never through a redirect or a cookie.
	c.p.Values = map[string]string{}
	h.showWebhooks(c, http.StatusCreated, nil, e.Secret, e.URL)
}

type webhookData struct {
	Endpoint   webhook.Endpoint
	Types      []eventChoice
	Deliveries []webhook.Delivery
	Secret     string
}

func (h *handler) webhookPage(c *call) { h.showWebhook(c, http.StatusOK, nil, "") }

// showWebhook renders an endpoint's page; form, when set, is the refused
// edit to show again instead of the stored values.
func (h *handler) showWebhook(c *call, status int, form *webhook.Input, secret string) {
	id := c.r.PathValue("webhook_id")
	e, err := h.deps.Webhooks.Get(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	ds, err := h.deps.Webhooks.Deliveries(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	checked := e.Events
	if form != nil {
		checked = *form.Events
	} else {
		c.p.Values["url"], c.p.Values["description"] = e.URL, e.Description
		if e.Enabled {
			c.p.Values["enabled"] = "on"
		}
	}
	c.p.Title = "Webhook " + e.URL
	c.p.Data = webhookData{Endpoint: e, Types: choices(checked), Deliveries: ds, Secret: secret}
	c.render(status, "webhook")
}

func (h *handler) webhookUpdate(c *call) {
	in := webhookInput(c, true)
	id := c.r.PathValue("webhook_id")
	if _, err := h.deps.Webhooks.Update(c.ctx(), c.a, c.rel, id, in); err != nil {
		c.invalid(err, webhookFields, func(st int) { h.showWebhook(c, st, &in, "") })
		return
	}
	c.done("Webhook saved.", webhooksPath+"/"+id)
}

func (h *handler) webhookRotate(c *call) {
	id := c.r.PathValue("webhook_id")
	e, err := h.deps.Webhooks.Rotate(c.ctx(), c.a, c.rel, id)
	if err != nil {
		c.refused(err, webhooksPath+"/"+id)
		return
	}
	h.showWebhook(c, http.StatusOK, nil, e.Secret)
}

func (h *handler) webhookDelete(c *call) {
	id := c.r.PathValue("webhook_id")
	e, err := h.deps.Webhooks.Get(c.ctx(), c.rel, id)
	if err == nil {
		err = h.deps.Webhooks.Delete(c.ctx(), c.a, c.rel, id)
	}
	if err != nil {
		c.refused(err, webhooksPath+"/"+id)
		return
	}
	c.done("Webhook to "+e.URL+" deleted, with its deliveries.", webhooksPath)
}

func (h *handler) webhookResend(c *call) {
	id := c.r.PathValue("webhook_id")
	d, err := h.deps.Webhooks.Resend(c.ctx(), c.a, c.rel, id, c.r.PathValue("delivery_id"))
	if err != nil {
		c.refused(err, webhooksPath+"/"+id)
		return
	}
	c.done("Delivery of "+strings.ReplaceAll(d.EventType, "_", " ")+" queued again.", webhooksPath+"/"+id+"#deliveries")
}
