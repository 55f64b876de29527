"""pay1st-mock: a local emulator of Carry1st's Pay1st payment gateway.

The signing functions are public so partners can reuse them in their own tests::

    from pay1st_mock import sign_request, verify_request, sign_summary, verify_summary
"""

from pay1st_mock.signing import sign_request, sign_summary, verify_request, verify_summary

__version__ = "0.1.0"

__all__ = ["__version__", "sign_request", "sign_summary", "verify_request", "verify_summary"]
