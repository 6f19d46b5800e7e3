"""The WBB web service (thin: it calls ``matcher``)."""
