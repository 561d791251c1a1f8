"""The reads: every SELECT a page, a feed or the CLI needs, a fixed number of queries each.

No Flask here; the views call these with the request's session and render what they return.
Whatever could show the arm or the allocation's audit rows takes the viewer's role and goes
through edc.read.blinding, the one place that decides. Services never import this package, nor
it them: a service loads what it writes itself.
"""
