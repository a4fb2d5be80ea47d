"""Two platform nodes behind nginx, sharing one PostgreSQL, one Redis and one media folder.

A province deploys several ``shuangsuiji serve`` processes behind a load balancer (issue 21 §6,
docs/deployment.md). This starts that arrangement on one machine, without root and without
touching any server the machine runs, for the two-node test (tests/test_two_nodes.py) and for a
person who wants to click through it::

    uv run python -m shuangsuiji_demo.nodes            # its own throwaway PostgreSQL, empty
    uv run python -m shuangsuiji_demo.nodes --demo     # … with the demo bureaus and accounts
    uv run python -m shuangsuiji_demo.nodes --database-url postgres://…  # an existing database

Everything lives in one temporary folder, removed at the end:

- ``redis-server`` on a free loopback port, nothing saved to disk (``--save '' --appendonly no``):
  the nodes' cache (``CACHE_URL=redis://…/1``);
- the database migrated once, then two ``shuangsuiji serve --trusted-proxy 127.0.0.1`` processes
  on free ports in production mode (``DJANGO_ENV=production``) with the same ``DATABASE_URL``,
  ``CACHE_URL``, ``SHUANGSUIJI_DATA_DIR`` (so one media folder: the uploads), secret key and
  field key. Node A starts first: it collects the static files into the shared folder, and node B
  finds them current instead of collecting them at the same moment;
- ``shuangsuiji worker`` for the background tasks, when the installed CLI has that command;
- nginx with a generated configuration: HTTPS on a free port (a self-signed certificate made
  here; production mode sets secure-only cookies and redirects plain HTTP), round robin over the
  nodes, ``X-Forwarded-Proto``/``X-Forwarded-For`` for ``--trusted-proxy``, its pid, logs and
  temporary files under the folder, ``daemon off`` so it stays a child of this process.

Two things exist only for tests and are not part of a production configuration
(docs/deployment.md has that one): every answer names the node that produced it in
``X-Shuangsuiji-Upstream`` (nginx's ``$upstream_addr``), and a request carrying
``X-Shuangsuiji-Node: a`` (or ``b``) goes to that node instead of the next in turn, so a test
can say "log in on A, read on B" and not depend on the order of earlier requests.

In Python::

    with running_nodes() as nodes:      # or running_nodes(database_url)
        nodes.url                       # https://127.0.0.1:PORT, nginx
        nodes.certificate               # verify TLS against this file
        nodes.manage("shell", "-c", …)  # a management command with the nodes' settings
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

__all__ = [
    "PIN_HEADER",
    "UPSTREAM_HEADER",
    "Node",
    "Nodes",
    "NodesUnavailable",
    "missing_programs",
    "running_nodes",
]

#: A request header naming the node (``a``, ``b``) that must answer it: tests only.
PIN_HEADER = "X-Shuangsuiji-Node"
#: The answer's header naming the node that produced it (``127.0.0.1:PORT``): tests only.
UPSTREAM_HEADER = "X-Shuangsuiji-Upstream"
#: How long a piece may take to come up, at most (a node that collects the static files on a
#: busy machine takes minutes), before the start is given up.
PATIENCE = 300
#: Settings of the caller's environment that must not leak into the nodes'.
FOREIGN = ("DATABASE_URL", "CACHE_URL", "SHUANGSUIJI_DATA_DIR", "SHUANGSUIJI_FIELD_KEYS")


class NodesUnavailable(RuntimeError):
    """A program is missing or a piece would not start; the message says which, in Chinese."""


def _program(name: str, *places: str) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found)
    # /usr/sbin is not on an ordinary user's PATH, and Debian installs nginx there.
    return next((Path(p) for p in places if Path(p).exists()), None)


def _redis_server() -> Path | None:
    return _program("redis-server", "/usr/bin/redis-server")


def _nginx() -> Path | None:
    return _program("nginx", "/usr/sbin/nginx")


def missing_programs() -> list[str]:
    """The Debian packages this needs that the machine lacks (scripts/system-packages.sh --test)."""
    missing = []
    if _redis_server() is None:
        missing.append("redis-server")
    if _nginx() is None:
        missing.append("nginx-light")
    return missing


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        """As nginx names it in ``X-Shuangsuiji-Upstream``."""
        return f"127.0.0.1:{self.port}"


@dataclass
class Nodes:
    url: str
    certificate: Path
    env: dict[str, str]
    redis_url: str
    root: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    #: Every process started, in start order (stopped in the reverse order).
    processes: list[tuple[str, subprocess.Popen, Path]] = field(default_factory=list)

    def manage(self, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """``shuangsuiji manage …`` with the nodes' settings; raises with its output on failure."""
        return _run([sys.executable, "-m", "shuangsuiji.cli", "manage", *arguments],
                    env=self.env, cwd=cwd)  # fmt: skip

    def node_of(self, headers) -> str:
        """The name of the node that produced an answer, from its headers."""
        address = headers.get(UPSTREAM_HEADER, "")
        for node in self.nodes.values():
            if node.address == address:
                return node.name
        raise AssertionError(f"答复未注明由哪个节点产生（{UPSTREAM_HEADER}: {address!r}）")

    def logs(self, lines: int = 40) -> str:
        """The last lines of every piece's log, to explain a failure."""
        parts = []
        for name, _process, log in self.processes:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {name}（{log}）---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)


def _run(command: list[str], *, env: dict[str, str], cwd: Path | None = None):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NodesUnavailable(
            f"命令失败（退出码 {result.returncode}）：{' '.join(command[2:5])} …\n"
            f"{result.stdout}{result.stderr}"
        )
    return result


def _until(ready, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while not ready():
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        if process.poll() is not None:
            raise NodesUnavailable(f"{what}未能启动（退出码 {process.returncode}）：\n{tail}")
        if time.monotonic() > deadline:
            raise NodesUnavailable(f"等待超时：{what}在 {PATIENCE} 秒内未就绪：\n{tail}")
        time.sleep(0.1)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_redis(folder: Path, *, maxmemory: str = "1gb") -> Iterator[str]:
    """A ``redis-server`` of its own on a free loopback port, kept in memory only and evicting
    the least recently used keys at ``maxmemory`` (as docs/deployment.md configures the
    province's); yields its ``CACHE_URL``. For the benchmarks, which measure the cache as
    deployed."""
    program = _redis_server()
    if program is None:
        raise NodesUnavailable("缺少系统软件包：redis-server（scripts/system-packages.sh --test）")
    port = _free_port()
    log = folder / "redis.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(program), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(folder),
             "--maxmemory", maxmemory, "--maxmemory-policy", "allkeys-lru"],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        _until(lambda: _redis_answers(port), "Redis ", process, log)
        yield f"redis://127.0.0.1:{port}/1"
    finally:
        _stop(process)


def _healthy(url: str, context: ssl.SSLContext | None = None, headers=None) -> bool:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a week."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shuangsuiji nodes")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_config(*, folder: Path, port: int, nodes: Sequence[Node], cert: Path, key: Path) -> str:
    """The configuration: HTTPS on ``port``, round robin over ``nodes``, files in ``folder``."""
    servers = "".join(f"        server {node.address};\n" for node in nodes)
    pinned = "".join(
        f"    upstream node_{node.name} {{ server {node.address}; }}\n" for node in nodes
    )
    choices = "".join(f"        {node.name} node_{node.name};\n" for node in nodes)
    return f"""\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format nodes '$remote_addr [$time_local] "$request" $status $upstream_addr';
    access_log {folder}/access.log nodes;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # Above SHUANGSUIJI_IMPORT_MAX_BYTES (10 MB), so the platform itself refuses a larger
    # register file with its Chinese message rather than nginx with its own page.
    client_max_body_size 64m;

    upstream shuangsuiji {{
{servers}        keepalive 16;
    }}
{pinned}    map $http_x_shuangsuiji_node $shuangsuiji_upstream {{
        default shuangsuiji;
{choices}    }}

    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://$shuangsuiji_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # Set, not appended: the nodes trust this proxy's word on the client's address.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Shuangsuiji-Node "";
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""


def _start(
    nodes: Nodes, name: str, command: list[str], *, env: dict[str, str] | None = None
) -> subprocess.Popen:
    log = nodes.root / f"{name}.log"
    with log.open("wb") as output:
        # Its own session: Ctrl+C reaches this process only, which stops the pieces in order.
        process = subprocess.Popen(
            command, env=env if env is not None else nodes.env, stdout=output,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    nodes.processes.append((name, process, log))
    return process


def _stop(process: subprocess.Popen, signum: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _node_env(database_url: str, redis_port: int, data: Path, nginx_port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in FOREIGN
    }
    return {
        **env,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{nginx_port},https://localhost:{nginx_port}",
        "SHUANGSUIJI_FIELD_KEYS": Fernet.generate_key().decode(),
        "SHUANGSUIJI_DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
    }


def _has_worker_command(env: dict[str, str]) -> bool:
    """Whether the installed CLI has ``shuangsuiji worker`` (issue 21 §5 brings it): a checkout
    from before it has no background tasks to run, and the nodes start without one."""
    probe = subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", "worker", "--help"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
    return probe.returncode == 0


@contextlib.contextmanager
def running_nodes(
    database_url: str | None = None, *, count: int = 2, demo: bool = False
) -> Iterator[Nodes]:
    """Start Redis, ``count`` nodes and nginx (and a worker, when the CLI has one), yield them;
    stop everything and delete the folder afterwards. Without ``database_url``, a throwaway
    PostgreSQL cluster is started too. ``demo``: build the demo data before the nodes start."""
    missing = missing_programs()
    if missing:
        raise NodesUnavailable(
            f"缺少系统软件包：{'、'.join(missing)}（scripts/system-packages.sh --test）"
        )
    if database_url is None:
        with throwaway_cluster() as url, running_nodes(url, count=count, demo=demo) as nodes:
            yield nodes
        return
    root = Path(tempfile.mkdtemp(prefix="shuangsuiji-nodes-"))
    if os.geteuid() == 0:
        # nginx's workers drop root for "nobody": they must be able to reach their temp files.
        root.chmod(0o711)
    web = root / "nginx"
    web.mkdir()
    web.chmod(0o755)
    redis_port, nginx_port = _free_port(), _free_port()
    env = _node_env(database_url, redis_port, root / "data", nginx_port)
    cert, key = _certificate(web)
    nodes = Nodes(
        url=f"https://127.0.0.1:{nginx_port}",
        certificate=cert,
        env=env,
        redis_url=env["CACHE_URL"],
        root=root,
    )
    try:
        redis = _start(nodes, "redis", [
            str(_redis_server()), "--port", str(redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(root),
        ])  # fmt: skip
        _until(lambda: _redis_answers(redis_port), "Redis ", redis, root / "redis.log")

        nodes.manage("migrate", "--no-input")
        if demo:
            print("正在生成演示数据……", file=sys.stderr, flush=True)
            built = _run([sys.executable, "-m", "shuangsuiji_demo"], env=env)
            print(built.stdout, end="", flush=True)

        for index in range(count):
            name = "abcdefghijklmnopqrstuvwxyz"[index]
            port = _free_port()
            process = _start(nodes, f"node-{name}", [
                sys.executable, "-m", "shuangsuiji.cli", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--trusted-proxy", "127.0.0.1",
            ])  # fmt: skip
            node = Node(name, port, process, root / f"node-{name}.log")
            nodes.nodes[name] = node
            # Straight to the node, as nginx would forward an HTTPS request (no redirect).
            health = f"http://{node.address}/healthz"
            _until(lambda h=health: _healthy(h, headers={"X-Forwarded-Proto": "https"}),
                   f"节点 {name} ", process, node.log)  # fmt: skip

        if _has_worker_command(env):
            _start(nodes, "worker", [sys.executable, "-m", "shuangsuiji.cli", "worker"])

        config = web / "nginx.conf"
        members = list(nodes.nodes.values())
        config.write_text(
            nginx_config(folder=web, port=nginx_port, nodes=members, cert=cert, key=key)
        )
        nginx = _start(nodes, "nginx", [
            str(_nginx()), "-p", f"{web}/", "-c", str(config), "-e", str(web / "error.log"),
            "-g", "daemon off;",
        ])  # fmt: skip
        context = ssl.create_default_context(cafile=str(cert))
        _until(lambda: _healthy(f"{nodes.url}/healthz", context), "nginx ", nginx,
               root / "nginx.log")  # fmt: skip
        yield nodes
    finally:
        for _name, process, _log in reversed(nodes.processes):
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    from shuangsuiji.cli import ChineseArgumentParser

    parser = ChineseArgumentParser(
        prog="python -m shuangsuiji_demo.nodes",
        description="在本机启动两个平台节点（共用一个 PostgreSQL、一个 Redis 和上传文件目录），"
        "前面是 nginx；Ctrl+C 全部停止并删除临时目录。",
    )
    parser.add_argument(
        "--database-url", default=None,
        help="使用已有的 PostgreSQL 库（默认：启动一个临时集群，结束时删除）",
    )  # fmt: skip
    parser.add_argument("--nodes", type=int, default=2, help="节点数（默认 2）")
    parser.add_argument("--demo", action="store_true", help="启动前生成演示单位、名录和账号")
    args = parser.parse_args(argv)
    if not 1 <= args.nodes <= 26:
        parser.error("--nodes 应为 1–26。")

    def interrupted(signum, _frame):
        # Once: a second Ctrl+C (or a SIGTERM to the whole process group, as `timeout` sends)
        # would otherwise cut the clean-up short and leave processes and files behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        with running_nodes(args.database_url, count=args.nodes, demo=args.demo) as nodes:
            print(f"平台地址：{nodes.url}/（自签名证书：{nodes.certificate}）")
            for node in nodes.nodes.values():
                print(f"节点 {node.name}：http://{node.address}/（日志 {node.log}）")
            print(
                f"Redis：{nodes.redis_url}；上传文件目录：{nodes.env['SHUANGSUIJI_DATA_DIR']}/media"
            )
            print(f"nginx 访问日志（最后一列是答复的节点）：{nodes.root}/nginx/access.log")
            print("管理命令需要同样的环境变量，例如建立单位和账号：")
            shown = (
                "DJANGO_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SHUANGSUIJI_FIELD_KEYS",
                "SHUANGSUIJI_DATA_DIR", "DATABASE_URL", "CACHE_URL",
            )  # fmt: skip
            exports = " ".join(f"{name}='{nodes.env[name]}'" for name in shown)
            print(f"  env {exports} shuangsuiji org list")
            print("按 Ctrl+C 停止。", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\n已停止。")
    except (NodesUnavailable, PostgresUnavailable) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
