"""A program using oscwire's object API correctly: passes ``mypy --strict``."""

from __future__ import annotations

import asyncio
import time

import oscwire
from oscwire import Client, Form, Received, Server
from oscwire.oscbuildparse import OSCBundle, OSCMessage

server = Server("127.0.0.1", 0)


@server.method("/mixer/*/fader")
def on_fader(address: str, value: float) -> None:
    print(address, value)


@server.method("/ping", form=Form.CONTEXT)
def on_ping(message: Received) -> tuple[str, int]:
    print(message.source, message.timetag, message.server)
    message.reply("/seen", *message.args)
    return ("/pong", len(message.args))


@server.method("/values", form=Form.ARGS)
def on_values(*values: oscwire.OSCArgument) -> list[OSCMessage]:
    return [OSCMessage("/value", None, [value]) for value in values]


async def on_later(address: str, delay: float) -> OSCBundle:
    await asyncio.sleep(delay)
    return OSCBundle(oscwire.oscbuildparse.unixtime2timetag(), [])


server.add_method("/later", on_later)
method = server.add_method("/plain", print, form=Form.ARGS)
server.remove_method(method)


def send_things(client: Client) -> tuple[oscwire.OSCArgument, ...]:
    client.send("/mixer/1/fader", 0.5)
    client.send("/synth", 1, "two", 3.0, b"four", True, None, [5, 6], types="isfbTN[ii]")
    client.send(OSCMessage("/packet", None, [1]))
    with client.bundle(at=time.time() + 1) as bundle:
        bundle.add("/a", 1).add("/b", "x")
    with client.batch():
        for index in range(10):
            client.send("/many", index)
    reply = client.query("/ping", 1, reply="/pong", timeout=0.5)
    address: str = reply.address
    print(address, reply.time)
    return reply.args


async def amain() -> None:
    async with Server("127.0.0.1", 0, transport="tcp") as tcp_server:
        async with Client("127.0.0.1", tcp_server.port, transport="tcp", framing="slip") as c:
            reply = await c.query("/anything", timeout=0.1)
            print(reply.args)
        await tcp_server.serve()


def main() -> None:
    with server, Client("127.0.0.1", server.port) as client:
        send_things(client)
    asyncio.run(amain())
