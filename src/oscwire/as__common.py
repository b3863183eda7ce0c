"""osc4py3's ``as__common``: the functions every ``as_*`` façade shares.

In osc4py3 1.0.8 this module only carries the docstrings of the façade functions (their
bodies do nothing) and :func:`apply_docs`, which copies them onto an ``as_*`` module's
functions. Here its names are the shared façade functions themselves, acting on the
default system — the very functions ``oscwire.as_eventloop``, ``as_comthreads`` and
``as_allthreads`` export — except ``osc_startup``, which needs a policy: call the one of
the ``as_*`` module you use.

osc4py3's docstrings here give ``(name, address, port)`` for the channel functions; its
``as_*`` modules, and oscwire's, take ``(address, port, name)``.
"""

from __future__ import annotations

from typing import Any

from oscwire import _facade
from oscwire._facade import (
    osc_broadcast_client,
    osc_broadcast_server,
    osc_method,
    osc_multicast_client,
    osc_multicast_server,
    osc_send,
    osc_terminate,
    osc_udp_client,
    osc_udp_server,
)
from oscwire._unsupported import unsupported

__all__ = [
    "osc_broadcast_client",
    "osc_broadcast_server",
    "osc_method",
    "osc_multicast_client",
    "osc_multicast_server",
    "osc_process",
    "osc_send",
    "osc_startup",
    "osc_terminate",
    "osc_udp_client",
    "osc_udp_server",
]


@unsupported(
    "as__common.osc_startup",
    "starting needs a policy, which each as_* module chooses",
    "oscwire.as_eventloop.osc_startup(), oscwire.as_comthreads.osc_startup() or "
    "oscwire.as_allthreads.osc_startup()",
)
def osc_startup(**kwargs: Any) -> None:
    """Start OSC processing: call the ``osc_startup`` of an ``as_*`` module instead."""


def osc_process(timeout: float = 0.0) -> None:
    """Do the caller's share of the default system's work, whatever its policy: what the
    ``osc_process`` of the ``as_*`` module that started it does."""
    _facade.process(timeout)


def apply_docs(namespace: dict[str, Any]) -> None:
    """Copy the docstrings of this module's functions onto the functions of the same
    names in *namespace* (a module's ``globals()``), as osc4py3's ``as_*`` modules do."""
    for name in __all__:
        namespace[name].__doc__ = globals()[name].__doc__
