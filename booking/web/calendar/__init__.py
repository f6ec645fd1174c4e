"""Calendar exports and imports: .ics downloads, subscription feeds, academic-calendar closure import."""
