"""The audit log page: who changed what, scoped to the reader's university."""
