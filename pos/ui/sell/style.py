"""The sell screen's look: big, high-contrast figures a cashier reads at a glance (colours as style.qss)."""

SELL_STYLE = """
QLineEdit#scanField {
    font-size: 16pt; padding: 8px 10px; border: 2px solid #1f6f5c; border-radius: 4px; background: #ffffff;
}
QLabel#sellMessage { font-size: 11pt; padding: 6px 8px; border-radius: 4px; }
QLabel#sellMessage[state="error"] { background: #fbe9e7; color: #b3261e; font-weight: 600; }
QLabel#sellMessage[state="success"] { background: #e6f2ee; color: #1f6f5c; font-weight: 600; }
QLabel#sellMessage[state="info"] { color: #4a5553; }
QLabel#sellMessage[state="warning"] { background: #fdf1dc; color: #8a5a12; font-weight: 600; }
QLabel#noShift {
    font-size: 12pt; font-weight: 600; padding: 8px 10px; border-radius: 4px;
    background: #fff4e0; color: #8a5a12; border: 1px solid #e0c48f;
}
QLabel#customerLabel { font-size: 11pt; color: #1d2424; padding: 0 8px; }
QTableView#cartTable {
    font-size: 12pt; background: #ffffff; alternate-background-color: #f1f4f2;
    selection-background-color: #1f6f5c; selection-color: #ffffff;
}
QFrame#totalsPanel { background: #ffffff; border: 1px solid #cfdad5; border-radius: 4px; }
QLabel#totalsName, QLabel#totalsValue { font-size: 11pt; color: #1d2424; }
QLabel#priceBasis, QLabel#itemCount { color: #4a5553; }
QLabel#totalDueName { font-size: 16pt; font-weight: 600; color: #1d2424; }
QLabel#totalDue { font-size: 24pt; font-weight: 700; color: #1f6f5c; }
QPushButton#functionKey {
    padding: 6px 8px; border: 1px solid #9aa5a1; border-radius: 4px; background: #e8f3ef; color: #1d2424;
}
QLabel#dialogError { color: #b3261e; font-weight: 600; }
QLabel#paymentDue { font-size: 18pt; font-weight: 700; color: #1d2424; }
QLabel#paymentRemaining { font-size: 14pt; font-weight: 600; color: #8a5a12; }
QLabel#changeDue { font-size: 28pt; font-weight: 700; color: #1f6f5c; }
QLabel#paidBanner { font-size: 16pt; font-weight: 700; color: #1f6f5c; }
QLineEdit#amountEdit { font-size: 16pt; padding: 6px 8px; }
"""
