#!/usr/bin/env python3
"""tests/unit/common/ec_vectors.py: the known-answer vectors of test_ec.c, computed apart from
common/ec.c and from ISA-L: GF(2^8) from its definition (polynomial x^8 + x^4 + x^3 + x^2 + 1,
0x11d, multiplication by shift and xor, the inverse as a^254), the systematic Cauchy code from
its definition (parity row j, column c: 1 / ((K + j) xor c)), CRC32C bit by bit (reflected
polynomial 0x82f63b78), the fragment header from docs/STORAGE_FORMAT.md with struct, the
chunk id with hashlib. Standard library only. Run it and compare with the constants in
test_ec.c: python3 tests/unit/common/ec_vectors.py
"""
import hashlib
import struct

POLY = 0x11D


def gf_mul(a, b):
    """Carry-less multiply, reduced modulo POLY as it goes."""
    p = 0
    while b:
        if b & 1:
            p ^= a
        a <<= 1
        if a & 0x100:
            a ^= POLY
        b >>= 1
    return p


def gf_inv(a):
    """a^254 == a^-1 in GF(2^8)* (order 255)."""
    assert a != 0
    r, e, x = 1, 254, a
    while e:
        if e & 1:
            r = gf_mul(r, x)
        x = gf_mul(x, x)
        e >>= 1
    assert gf_mul(r, a) == 1
    return r


MUL = [[gf_mul(a, b) for b in range(256)] for a in range(256)]


def fill(n, seed):
    """The test's pattern: byte i is (i * 131 + seed + (i >> 8)) mod 256."""
    return bytes((i * 131 + seed + (i >> 8)) & 0xFF for i in range(n))


def encode(k, m, chunk):
    """The K + M fragments of chunk: data zero-padded to ceil(L / K), then parity."""
    f = (len(chunk) + k - 1) // k
    data = [chunk[i * f:(i + 1) * f].ljust(f, b"\0") for i in range(k)]
    parity = []
    for j in range(m):
        coef = [gf_inv((k + j) ^ c) for c in range(k)]
        out = bytearray(f)
        for c in range(k):
            row = MUL[coef[c]]
            d = data[c]
            for x in range(f):
                out[x] ^= row[d[x]]
        parity.append(bytes(out))
    return data + parity


def crc32c(b):
    c = 0xFFFFFFFF
    for byte in b:
        c ^= byte
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF


def frag_header(k, m, index, chunk_id, clock, chunk_len, payload):
    f = (chunk_len + k - 1) // k
    assert len(payload) == f
    h = struct.pack("<IBBBB16sQQII12x", 0x46454E43, 1, k, m, index, chunk_id, clock,
                    chunk_len, f, crc32c(payload))
    assert len(h) == 60 and h[:4] == b"CNEF"
    return h + struct.pack("<I", crc32c(h))


def main():
    assert crc32c(b"123456789") == 0xE3069283, "CRC32C check value"
    assert gf_mul(0x80, 2) == 0x1D and gf_mul(0x53, 0xCA) == 0x8F
    print("cauchy 4+2 rows", [[gf_inv((4 + j) ^ c) for c in range(4)] for j in range(2)])
    for k, m, n in ((4, 2, 37), (8, 3, 37), (1, 1, 5)):
        frags = encode(k, m, fill(n, 7))
        for j in range(m):
            print(f"k={k} m={m} len={n} parity {j}", frags[k + j].hex())
    for k, m in ((4, 2), (8, 3), (12, 4)):
        frags = encode(k, m, fill(65536 + 3, 7))
        print(f"k={k} m={m} len=65539 parity crc32c",
              ", ".join(f"0x{crc32c(p):08x}" for p in frags[k:]))
    key = b"\x01c/bkt/key/0000000000000001/000000"
    cid = hashlib.sha256(key).digest()[:16]
    print("chunk id", cid.hex())
    frags = encode(4, 2, fill(37, 7))
    print("header 4+2 index 5", frag_header(4, 2, 5, cid, 1732330000000000001, 37, frags[5]).hex())


if __name__ == "__main__":
    main()
