package id

// Prefixes of report templates, schedules and their deliveries (issue 17).
const (
	ReportTemplate = "rtp"
	Schedule       = "sch"
	Delivery       = "dlv"
)
