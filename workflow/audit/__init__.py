"""The tamper-evident audit trail: hash chains, the Merkle log with signed checkpoints, export, verify."""
