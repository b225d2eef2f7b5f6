"""Deterministic media bytes: real (decodable) JPEGs and mp4-looking files.

The archiver stores what it downloads and may sniff or measure it, so photos are
valid baseline JPEGs of the advertised size (a flat grey image is a few KB even
at 4096 px: every 8x8 block is two bits), made distinct per key by a COM
segment. Videos are an ``ftyp`` box, then an ``mdat`` of filler, of a set size.
"""

from __future__ import annotations

import functools
import hashlib
import struct


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


@functools.lru_cache(maxsize=256)
def jpeg(width: int, height: int, comment: str = "") -> bytes:
    """A greyscale baseline JPEG, ``width`` x ``height``, uniform mid-grey."""
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + b"\x01" * 64
    sof = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    # One-symbol Huffman tables: DC category 0 and AC end-of-block, each coded "0".
    counts = b"\x01" + b"\x00" * 15
    dht_dc = b"\x00" + counts + b"\x00"
    dht_ac = b"\x10" + counts + b"\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = blocks * 2
    scan = bytearray((bits + 7) // 8)
    if bits % 8:
        scan[-1] = (1 << (8 - bits % 8)) - 1  # pad the last byte with 1-bits
    return b"".join([
        b"\xff\xd8", _segment(0xE0, jfif), _segment(0xFE, comment.encode()[:60000]),
        _segment(0xDB, dqt), _segment(0xC0, sof), _segment(0xC4, dht_dc),
        _segment(0xC4, dht_ac), _segment(0xDA, sos), bytes(scan), b"\xff\xd9",
    ])


def jpeg_size(blob: bytes) -> tuple[int, int]:
    """(width, height) from the SOF0 segment of a JPEG made by :func:`jpeg`."""
    at = blob.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", blob[at + 5: at + 9])
    return width, height


@functools.lru_cache(maxsize=64)
def mp4(seed: str, size: int) -> bytes:
    """``size`` bytes: an ftyp box and an mdat box of filler derived from ``seed``."""
    ftyp = struct.pack(">I", 32) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    size = max(size, len(ftyp) + 8)
    fill_len = size - len(ftyp) - 8
    unit = hashlib.sha256(seed.encode()).digest()
    filler = (unit * (fill_len // len(unit) + 1))[:fill_len]
    return ftyp + struct.pack(">I", fill_len + 8) + b"mdat" + filler
