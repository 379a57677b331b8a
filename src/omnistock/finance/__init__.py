"""Finance: the chart of accounts, the journal posted by business events, receivables and payables, channel settlement reconciliation and profit."""
