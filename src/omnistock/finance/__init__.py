"""Finance: journal, receivables and payables, channel settlement reconciliation, profit."""
