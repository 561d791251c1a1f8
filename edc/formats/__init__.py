"""Pure, deterministic outputs (iCalendar, SVG), checked against golden files."""
