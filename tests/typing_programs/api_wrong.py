"""A program using oscwire's object API wrongly: each line marked "error" fails mypy."""

from __future__ import annotations

from oscwire import Client, Form, Received, Server

server = Server("127.0.0.1", 0)


def python_osc_shaped(address: str, value: float) -> None:
    print(address, value)


def returns_a_number(address: str) -> int:
    return 1


def wants_context(message: Received) -> None:
    print(message)


server.add_method("/ctx", python_osc_shaped, form=Form.CONTEXT)  # error: not a context handler
server.add_method("/n", returns_a_number)  # error: a handler returns a reply or None
server.add_method("/s", wants_context, form="context")  # error: the form is a Form
server.method("/c", form=Form.CONTEXT)(python_osc_shaped)  # error: decorator, wrong form

client = Client("127.0.0.1", "9000")  # error: the port is an int
client.send("/x", object())  # error: not an OSC value
client.send("/x", 1, types=3)  # error: type tags are a str
value: int = client.query("/x").args[0]  # error: an argument is any OSC value
Server("127.0.0.1", 0, transport="sctp")  # error: no such transport
