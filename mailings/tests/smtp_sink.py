"""A local SMTP sink in its own process (aiosmtpd): accepts every message and, with --log,
appends each message's Message-ID to a file (with --timestamps, after the time it arrived,
in seconds since the epoch). Used by the reliability tests and bench/mailing.py.

    python -m mailings.tests.smtp_sink --port 8025 [--log received.txt [--timestamps]]

Prints "READY <port>" once it accepts connections.
"""

import argparse
import re
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, log_path=None, timestamps=False):
        self.count = 0
        self.log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115
        self.timestamps = timestamps

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.log is not None:
            match = MESSAGE_ID.search(envelope.content[:4000])
            line = match.group(1).decode() if match else "-"
            if self.timestamps:
                line = f"{time.time():.3f} {line}"
            self.log.write(line + "\n")
        return "250 OK"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--log")
    parser.add_argument("--timestamps", action="store_true")
    args = parser.parse_args(argv)
    sink = Sink(args.log, timestamps=args.timestamps)
    controller = Controller(sink, hostname=args.host, port=args.port, data_size_limit=0)
    controller.start()
    print(f"READY {args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    if sink.log:
        sink.log.close()
    print(f"RECEIVED {sink.count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
