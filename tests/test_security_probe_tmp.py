import pytest
from tests.conftest import PASSWORD
def test_probe(client):
    r = client.post("/login", query_string={"next": "/\t/evil.example"}, data={"username": "nurse", "password": PASSWORD})
    print(repr(r.headers.get("Location")), r.headers.to_wsgi_list())
