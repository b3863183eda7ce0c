"""``advanced_packet_control``: osc4py3 wraps the packet in a /packet message carrying a
checksum, a signature and an encrypted body, produced and checked by functions given in
``oob``."""

import hashlib

from osc4py3.oscbuildparse import *


def checksum(data, protocol, oob):
    return hashlib.md5(bytes(data)).digest()


def check_checksum(data, cksum, protocol, oob):
    if hashlib.md5(bytes(data)).digest() != bytes(cksum):
        raise OSCCorruptedRawError("bad checksum")


def encrypt(data, protocol, oob):
    return bytes(b ^ 0x5A for b in data)


def decrypt(data, protocol, oob):
    return bytes(b ^ 0x5A for b in data)


oob = {
    "advanced_packet_control": True,
    "packet_mkchecksum_fct": checksum,
    "packet_checksum_prot": "md5",
    "packet_ckcheksum_fct": check_checksum,
    "packet_encrypt_fct": encrypt,
    "packet_decrypt_fct": decrypt,
    "packet_crypt_prot": "xor",
}
raw = encode_packet(OSCMessage("/secret", ",si", ["hidden", 42]), oob)
plain = decode_packet(raw)
print(
    "wire:", plain.addrpattern, plain.typetags, plain.arguments[0], plain.arguments[4], flush=True
)
print("decoded:", decode_packet(raw, oob), flush=True)
tampered = bytearray(raw)
tampered[-5] ^= 1
try:
    decode_packet(bytes(tampered), oob)
    print("tampered: accepted", flush=True)
except OSCCorruptedRawError:
    print("tampered: OSCCorruptedRawError caught", flush=True)
