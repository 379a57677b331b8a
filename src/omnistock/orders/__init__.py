"""Orders: channels, customers and sales orders from every channel (the order pool)."""
