"""``python -m tests.fakeweb``: run the fake web by hand and point a shell at it.

Prints ``export`` lines for the archiver's settings; paste them into another
shell to try the CLI against the fake web by hand (e.g. ``archiver archive URL``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from tests.fakeweb.server import FakeWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeweb", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop after this many seconds (default: until Ctrl-C)")
    args = parser.parse_args(argv)
    with FakeWeb(host=args.host) as web:
        for name, value in web.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# fake web on https://{args.host}:{web.https_port} and "
              f"http://{args.host}:{web.http_port}; paste the exports in another shell, "
              "then e.g. archiver archive https://news.example/2020/10/01/nagorno-karabakh.html;"
              " Ctrl-C stops.",
              flush=True)
        try:
            if args.seconds is None:
                while True:
                    time.sleep(3600)
            else:
                time.sleep(args.seconds)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
