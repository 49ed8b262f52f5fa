"""A cheap webhook receiver for the bench, in a process of its own (so its work neither holds
the bench's GIL nor hides in the bench's CPU time): asyncio, HTTP/1.1 kept alive, every POST
answered 200 and counted; `GET` answers the count so far as JSON.

    .venv/bin/python -m bench.receiver PORT

It neither keeps nor verifies what it receives: the delivery tests' receiver
(`bench.webhooks.Receiver`) does, with a plan of answers. It reads just enough HTTP for what
`events.transport` sends (a Content-Length body, no chunked bodies).
"""

from __future__ import annotations

import asyncio
import json
import sys

_OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Counter:
    posts = 0


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if head.startswith(b"POST "):
                Counter.posts += 1
                writer.write(_OK)
            else:
                body = json.dumps({"posts": Counter.posts}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError,
            ValueError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
