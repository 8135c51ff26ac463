"""The domain core: no framework imports.

The kernel (``messages``, ``model``, ``ports``, ``callbacks``, ``parsing``) is shared by
the packages: ``content``, ``matching``, ``policy``, ``handlers``, ``jobs`` and ``reports``.
"""
