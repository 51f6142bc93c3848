"""Sales orders: placement with price and promise date, cancellation, tracking."""
