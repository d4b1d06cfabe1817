"""Open311 GeoReport v2: Aduan's complaints for every app that already speaks the standard.

`formats` writes the spec's JSON and XML, `services` maps categories to services and complaints
to service requests, `requests` reads what a client posts or asks for.
"""
