"""clickto: behavioural targeting for online shops.

The product lives in the top-level packages ``rules`` (engine), ``sdk`` (tag and service),
``proxy`` (mitmproxy addon) and ``demo_shop``; this package only holds the console script
and helpers shared by tests.
"""

__version__ = "0.1.0"
