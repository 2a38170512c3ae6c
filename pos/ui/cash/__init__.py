"""The shift: float count, pay-ins, pay-outs, drops, X report, blind close and the Z report."""
