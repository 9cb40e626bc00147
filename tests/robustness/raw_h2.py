"""Just enough HTTP/2, by hand, to be a peer that gRPC's clients never are: one
that opens streams and never sends on them, ignores the server's limits,
never acknowledges pings, or never reads. Frames per RFC 9113; header blocks
use HPACK literals only (RFC 7541 §6.2.2), which every decoder must accept.
"""
import socket
import struct
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_INITIAL_WINDOW_SIZE = 0x3, 0x4
REFUSED_STREAM = 0x7


def frame(kind, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream_id) + payload


def settings(values=None):
    """A SETTINGS frame; `values` maps setting ids to values."""
    return frame(SETTINGS, 0, 0,
                 b"".join(struct.pack(">HI", key, value) for key, value in (values or {}).items()))


def _integer(value, prefix_bits):
    """An HPACK integer (RFC 7541 §5.1) with a prefix of `prefix_bits`."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    encoded, value = bytearray([limit]), value - limit
    while value >= 128:
        encoded.append(value % 128 + 128)
        value //= 128
    return bytes(encoded + bytes([value]))


def _literal(name, value):
    """A header field as a literal without indexing, new name, no Huffman."""
    def string(text):
        data = text.encode()
        return _integer(len(data), 7) + data
    return b"\x00" + string(name) + string(value)


def grpc_headers(stream_id, path, end_stream=False, timeout=None, metadata=()):
    """The HEADERS frame that starts a gRPC call of `path` on `stream_id`,
    with a deadline `timeout` seconds away if given, and `metadata` (pairs)."""
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "ledger"),
              ("content-type", "application/grpc"), ("te", "trailers")]
    if timeout is not None:
        fields.append(("grpc-timeout", f"{int(timeout * 1000)}m"))
    fields += list(metadata)
    block = b"".join(_literal(name, value) for name, value in fields)
    return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream_id, block)


def grpc_message(stream_id, message, end_stream=False):
    """A DATA frame carrying one gRPC message (uncompressed, length-prefixed)."""
    return frame(DATA, END_STREAM if end_stream else 0, stream_id,
                 b"\x00" + struct.pack(">I", len(message)) + message)


class Connection:
    """A raw HTTP/2 connection to 127.0.0.1:port. `window` is the
    SETTINGS_INITIAL_WINDOW_SIZE this peer announces for its streams."""

    def __init__(self, port, window=None, handshake=True):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        if handshake:
            values = {} if window is None else {SETTINGS_INITIAL_WINDOW_SIZE: window}
            self.send(PREFACE + settings(values))

    def send(self, data):
        self.socket.sendall(data)

    def read_frame(self, timeout):
        """The next frame as (kind, flags, stream_id, payload); None once the
        server has closed the connection (EOF or reset)."""
        try:
            self.socket.settimeout(timeout)
        except OSError:  # closed by this side, from another thread
            return None
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    head, self.buffer = self.buffer[:9 + length], self.buffer[9 + length:]
                    return (head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7fffffff,
                            head[9:])
            try:
                data = self.socket.recv(65536)
            except TimeoutError:
                raise
            except OSError:  # reset by the server, or closed by this side
                data = b""
            if not data:
                return None
            self.buffer += data

    def server_settings(self, timeout=10):
        """Reads up to the server's first SETTINGS, acknowledges it (from then on
        the server holds this peer to it), and returns its values."""
        while True:
            got = self.read_frame(timeout)
            assert got is not None, "the server closed the connection before its SETTINGS"
            kind, flags, _, payload = got
            if kind == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))
                return {struct.unpack(">H", payload[i:i + 2])[0]:
                        struct.unpack(">I", payload[i + 2:i + 6])[0]
                        for i in range(0, len(payload), 6)}

    def answer_pings(self):
        """From now on a thread reads every frame, keeping them in `frames`,
        and acknowledges the server's pings (so keepalive finds this peer
        alive) but grants no flow-control window; `closed` is set when the
        server closes the connection."""
        self.frames = []
        self.closed = threading.Event()

        def run():
            while (got := self.read_frame(None)) is not None:
                self.frames.append(got)
                kind, flags, _, payload = got
                if kind == PING and not flags & ACK:
                    self.send(frame(PING, ACK, 0, payload))
            self.closed.set()
        threading.Thread(target=run, daemon=True).start()

    def close(self):
        try:
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes a thread answering pings
        except OSError:
            pass  # the server closed it first
        self.socket.close()


def grpc_status(frames, stream_id):
    """The grpc-status the server's first trailers on `stream_id` carry, or
    None. Only reads what HPACK's literals and gRPC's own encoder produce for
    trailers (gRPC 1.51 sends them as non-indexed literals)."""
    for kind, flags, stream, payload in frames:
        if kind == HEADERS and stream == stream_id and flags & END_STREAM:
            at = payload.find(b"grpc-status")
            if at >= 0:
                length = payload[at + 11]
                return int(payload[at + 12:at + 12 + length])
    return None
