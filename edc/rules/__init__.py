"""Pure clinical and date rules: dates, numbers and protocol dataclasses in and out."""
