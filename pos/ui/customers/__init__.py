"""The customers screen: find, view and edit contact details, and the customer's orders."""
