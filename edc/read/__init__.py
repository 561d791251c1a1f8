"""Reads across children: SELECT only, plain rows, a fixed number of queries per page.

No Flask here; the views call these with the request's session and render what they return.
"""
