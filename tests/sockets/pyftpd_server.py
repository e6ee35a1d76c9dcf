"""pyftpdlib 2.2 for the real-socket suite: 127.0.0.1 only, an anonymous read-only user and a
writable account demo:demo, both rooted at the same directory, a passive range.

    python pyftpd_server.py '{"root": "/tmp/x", "port": 2121, "pmin": 40000, "pmax": 40099}'
"""

import json
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer


def main() -> None:
    config = json.loads(sys.argv[1])
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(config["root"], perm="elr")
    authorizer.add_user("demo", "demo", config["root"], perm="elradfmw")
    handler = FTPHandler
    handler.authorizer = authorizer
    handler.passive_ports = range(config["pmin"], config["pmax"] + 1)
    handler.permit_foreign_addresses = False
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    server = ThreadedFTPServer(("127.0.0.1", config["port"]), handler)
    server.max_cons = 256
    server.serve_forever()


if __name__ == "__main__":
    main()
