#!/usr/bin/python3
"""Writes the fuzzer's seed corpus (tests/fuzz/corpus/): a few inputs that
already reach every RPC, the ownership rules, retries, hostile values and the
store's pages, so a fuzzing run starts from there instead of from noise.

The bytes follow the choices FuzzRun and hostile_values.cc make, in order;
any byte string is a valid input, so a seed that no longer decodes as meant
after a change there still runs, it just reaches less. Run it again then:

    tests/fuzz/make_seeds.py tests/fuzz/corpus
"""
import pathlib
import struct
import sys

# FuzzRun::Play
OPEN, GET, TRANSFER, LIST, IMPORT, STREAM, AUDIT, BURST = range(8)
# PickCaller
ADMIN, ROOT, ALICE, BOB, NOBODY = range(5)
NO_STOP, CANCELLED, PAST_DEADLINE = 2, 0, 1


def account(name):
    """PickAccountId: 'a'..'d', or a hostile id by name."""
    if name in "abcd" and len(name) == 1:
        return bytes([0, ord(name) - ord("a")])
    hostile = {"": 7, "m" * 64: 8, "m" * 65: 9, "a\xff": 11, "a\0b": 12, "é": 13,
               "x" * 4096: 14, "Z-9.x_": 15}
    return bytes([hostile[name]])


def raw_account(data):
    return bytes([10, len(data)]) + data


def balance(value):
    """PickInitialBalance."""
    named = {0: 0, 2**63 - 1: 4, 2**62: 5, -1: 6, -2**63: 7, 1: 9}
    if value in named:
        return bytes([named[value]])
    if value % 1000 == 0 and value // 1000 < 256:
        return bytes([2, value // 1000])
    return bytes([8]) + struct.pack("<q", value)


def amount(kind, value=0):
    """PickAmount: small (1..256) or an edge by name."""
    edges = {"zero": 4, "min": 6, "max": 7, "empty_payer": 9, "payer_plus_one": 10,
             "fill_payee": 11, "overflow_payee": 12}
    if kind == "small":
        return bytes([0, value - 1])
    if kind == "negative":
        return bytes([5, value])
    return bytes([edges[kind]])


def request_id(kind="fresh", data=b""):
    """RequestIds::Pick."""
    return {"fresh": bytes([0]), "reuse": bytes([5, data[0] if data else 0]), "empty": bytes([8]),
            "longest": bytes([9]), "too_long": bytes([10]),
            "raw": bytes([11, len(data)]) + data}[kind]


def new_transfer(rid, from_id, to_id, how_much):
    """PickTransferRequest: a new request (not one sent before)."""
    return bytes([7]) + rid + from_id + to_id + how_much


def resend(index, mutation=0):
    """PickTransferRequest: request `index` sent before; mutation 0 exact, 1 amount + 1,
    2 from and to swapped."""
    return bytes([mutation, index])


def op(code, caller, *fields, stop=NO_STOP):
    return bytes([code, caller]) + b"".join(fields) + bytes([stop])


def open_account(caller, name, initial, stop=NO_STOP):
    return op(OPEN, caller, account(name), balance(initial), stop=stop)


def transfer(caller, request, stop=NO_STOP):
    return op(TRANSFER, caller, request, stop=stop)


def read(code, caller, name, stop=NO_STOP):
    return op(code, caller, account(name), stop=stop)


def list_transfers(caller, name, limit_choice, stop=NO_STOP, accept=None):
    reader = bytes([0, accept]) if accept is not None else bytes([1])
    return op(LIST, caller, account(name), limit_choice, reader, stop=stop)


def streamed(code, caller, requests, stop=NO_STOP):
    return op(code, caller, bytes([len(requests)]), *requests, stop=stop)


def burst(caller, stream, from_name, to_name, count):
    size = bytes([0, count - 250]) if count >= 250 else bytes([1, count - 1])
    return op(BURST, caller, bytes([0 if stream else 1]), account(from_name), account(to_name),
              bytes([0]), size)


LIMIT_ALL, LIMIT_PAGE_EDGE, LIMIT_MAX = bytes([0]), bytes([4, 2]), bytes([5])

SEEDS = {
    "empty": b"",
    # Money in, a transfer, its exact retry, its request_id reused for
    # another amount, then every read.
    "transfer_and_retry": b"".join([
        open_account(ADMIN, "a", 1000), open_account(ADMIN, "b", 0),
        transfer(ADMIN, new_transfer(request_id(), account("a"), account("b"), amount("small", 100))),
        transfer(ADMIN, resend(0)), transfer(ADMIN, resend(0, mutation=1)),
        read(GET, ADMIN, "a"), list_transfers(ADMIN, "b", LIMIT_ALL), read(AUDIT, ADMIN, "a"),
    ]),
    # Owners: alice opens an empty account (minting is admin's alone), is paid,
    # pays back; bob may neither debit nor read it; a caller with no
    # principal owns nothing it opens.
    "ownership": b"".join([
        open_account(ADMIN, "a", 500), open_account(ALICE, "c", 0), open_account(ALICE, "d", 7),
        transfer(ROOT, new_transfer(request_id(), account("a"), account("c"), amount("small", 50))),
        transfer(ALICE, new_transfer(request_id(), account("c"), account("a"), amount("small", 20))),
        transfer(BOB, new_transfer(request_id(), account("c"), account("a"), amount("small", 1))),
        read(GET, BOB, "c"), read(AUDIT, ALICE, "c"), list_transfers(BOB, "c", LIMIT_ALL),
        open_account(NOBODY, "d", 0), read(GET, NOBODY, "d"),
    ]),
    # Ids and amounts a hostile client sends, and balances at int64's edges.
    "hostile_values": b"".join([
        open_account(ADMIN, "", 1), open_account(ADMIN, "m" * 65, 1), open_account(ADMIN, "a\0b", 1),
        open_account(ADMIN, "m" * 64, 2**63 - 1), open_account(ADMIN, "Z-9.x_", 2**63 - 1),
        open_account(ADMIN, "a", -1), open_account(ADMIN, "b", -2**63),
        transfer(ADMIN, new_transfer(request_id(), account("m" * 64), account("Z-9.x_"),
                                     amount("small", 1))),
        transfer(ADMIN, new_transfer(request_id(), raw_account(b"\xff\xfe\x00"), account("a"),
                                     amount("min"))),
        transfer(ADMIN, new_transfer(request_id("raw", b"\xc3(\x00\xff"), account("m" * 64),
                                     account("Z-9.x_"), amount("overflow_payee"))),
        transfer(ADMIN, new_transfer(request_id("too_long"), account("m" * 64), account("Z-9.x_"),
                                     amount("zero"))),
        transfer(ADMIN, new_transfer(request_id("empty"), account("m" * 64), account("Z-9.x_"),
                                     amount("negative", 5))),
        transfer(ADMIN, new_transfer(request_id("longest"), account("m" * 64),
                                     account("Z-9.x_"), amount("max"))),
        read(GET, ADMIN, "a\xff"), read(AUDIT, ADMIN, "é"), list_transfers(ADMIN, "x" * 4096, LIMIT_MAX),
    ]),
    # Both client streams, with rule breakers among good requests, and calls
    # made already cancelled or past their deadline.
    "streams": b"".join([
        open_account(ADMIN, "a", 1000), open_account(ADMIN, "b", 10),
        streamed(IMPORT, ADMIN, [
            new_transfer(request_id(), account("a"), account("b"), amount("small", 3)),
            new_transfer(request_id(), account("a"), account("a"), amount("small", 3)),
            resend(0), new_transfer(request_id(), account("b"), account("c"), amount("small", 1)),
            new_transfer(request_id(), account("b"), account("a"), amount("payer_plus_one")),
        ]),
        streamed(STREAM, ALICE, [
            new_transfer(request_id(), account("a"), account("b"), amount("small", 1)),
            resend(0), resend(0, mutation=2),
            new_transfer(request_id(), account("b"), account("a"), amount("empty_payer")),
        ]),
        streamed(STREAM, ADMIN, [resend(0), resend(1)], stop=CANCELLED),
        streamed(IMPORT, ADMIN, [resend(0)], stop=PAST_DEADLINE),
        open_account(ADMIN, "c", 1, stop=CANCELLED), read(AUDIT, ADMIN, "b", stop=PAST_DEADLINE),
    ]),
    # Journals longer than the store's page of 256, read whole, to the page's
    # edge, and by a client that stops reading.
    "pages": b"".join([
        open_account(ADMIN, "a", 100000), open_account(ADMIN, "b", 0),
        burst(ADMIN, False, "a", "b", 300), burst(ADMIN, True, "b", "a", 20),
        list_transfers(ADMIN, "a", LIMIT_PAGE_EDGE), list_transfers(ADMIN, "b", LIMIT_ALL, accept=3),
        read(AUDIT, ADMIN, "b"),
    ]),
}


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
