"""Demo data and development tools for Shuangsuiji. Never imported by the product.

``python -m shuangsuiji_demo`` builds the demo bureaus, registers, accounts and year that
``make demo`` serves; ``python -m shuangsuiji_demo data`` writes one county's demo register
workbooks. The wheel ships only ``shuangsuiji``; this package lives beside it in ``src/``.
"""
