"""A Concord node for the Python checks: `concord init`, an analyst token, `concord serve` on 127.0.0.1."""
import socket
import subprocess
import time
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One running node; use as a context manager so the server stops whatever happens."""

    def __init__(self, binary, directory, organisation="Check Centre", jurisdiction="TH"):
        self.binary, self.directory = binary, directory
        subprocess.run(
            [binary, "init", "--data-dir", directory, "--organisation", organisation, "--jurisdiction", jurisdiction],
            check=True,
            capture_output=True,
        )
        self.token = self.make_token("analyst")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def make_token(self, role):
        out = subprocess.run(
            [self.binary, "token", "create", "--data-dir", self.directory, "--role", role, "--label", f"check {role}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.strip().splitlines()[-1]

    def __enter__(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data-dir", self.directory, "--port", str(self.port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/readyz", timeout=2)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"the node exited with {self.process.returncode}")
                time.sleep(0.2)
        raise SystemExit("the node did not become ready within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def request(self, method, path, body=None, content_type="application/json", token=None, headers=None):
        """(status, headers, body bytes) of one request; errors are answers too."""
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {token or self.token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=600) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
