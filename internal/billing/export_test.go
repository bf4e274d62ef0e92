package billing

// LedgerQuery is the preview's read of the spans, for the plan test.
const LedgerQuery = ledgerQuery
