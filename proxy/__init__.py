"""The clickto proxy: a mitmproxy addon that injects the clickto tag into HTML documents (docs/proxy.md).

``proxy/addon.py`` is the addon (also loadable with ``mitmdump -s``), ``proxy/cli.py`` is ``clickto proxy``.
"""
