"""The sell screen and its dialogs: scan, cart, payment, returns, parked carts, customers."""
