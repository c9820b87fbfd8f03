"""Deterministic labelled log sets shaped like real system logs, as Cloud Logging entries.

Each set is ~2,000 ``LogEntry`` objects whose ``labels.truth`` names the true group (the
template, as a human would write it, every variable a ``<*>``).  The shapes follow well-known
public logs (HDFS, OpenSSH, Linux syslog, Apache error, Zookeeper, Hadoop/Spark, BGL, Proxifier)
and cloud services (web backend, database, auth, batch jobs, Kubernetes events, a JVM service
with stack traces).  Group sizes are skewed (a few huge groups, many small ones), variables
include values without digits (user names, file and host names, states), and some sets carry
the raw line with its header while others carry only the message, as real sources do.

    python benchmarks/datasets.py --out DIR    # writes DIR/<set>.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SIZE = 2000

_NAMES = [
    "root",
    "admin",
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
    "peggy",
    "trent",
    "victor",
    "walter",
    "oracle",
    "test",
    "guest",
    "postgres",
    "deploy",
    "ubuntu",
    "nagios",
    "ftpuser",
    "support",
]
_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]
_HOSTS = [
    "web-frontend",
    "db-primary",
    "db-replica",
    "cache-east",
    "search-west",
    "payments-api",
    "ledger",
    "gateway",
    "auth-core",
    "mailer",
    "scheduler",
    "inventory",
    "billing",
    "reports",
]
_FILES = [
    "report.csv",
    "notes.txt",
    "index.html",
    "favicon.ico",
    "robots.txt",
    "config.yaml",
    "data.json",
    "image.png",
    "backup.tar.gz",
    "app.log",
    "users.db",
    "style.css",
    "main.js",
    "README.md",
]
_STATES = [
    "NEW",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "KILLED",
    "PENDING",
    "ASSIGNED",
    "UNASSIGNED",
    "COMMIT_PENDING",
]
_PROCS = [
    "chrome.exe",
    "firefox.exe",
    "Dropbox.exe",
    "Skype.exe",
    "outlook.exe",
    "svchost.exe",
    "Teams.exe",
]
_DOMAINS = [
    "www.google.com",
    "api.github.com",
    "cdn.jsdelivr.net",
    "login.live.com",
    "proxy.cse.cuhk.edu.hk",
    "update.microsoft.com",
    "mail.yahoo.com",
    "s.youtube.com",
    "clients.dropbox.com",
]
_TABLES = [
    "users",
    "orders",
    "payments",
    "sessions",
    "invoices",
    "events",
    "audit_log",
    "products",
    "carts",
]
_REASONS = (
    "connection reset by peer",
    "no route to host",
    "broken pipe",
    "timeout",
    "host unreachable",
)
_CLASSES = ["UserService", "OrderController", "PaymentGateway", "InventoryRepository", "ReportJob"]


class _Slots:
    """Random values for template slots, all drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, template: str) -> str:
        out = []
        for literal, field, _, _ in string.Formatter().parse(template):
            out.append(literal)
            if field is not None:
                out.append(str(getattr(self, field.rstrip("0123456789"))()))
        return "".join(out)

    def n(self) -> int:
        return self.rng.choice((self.rng.randrange(10), self.rng.randrange(100_000)))

    def small(self) -> int:
        return self.rng.randrange(1, 64)

    def big(self) -> int:
        return self.rng.randrange(10**9, 10**13)

    def neg(self) -> int:
        return self.rng.randrange(-(10**18), 10**18)

    def ip(self) -> str:
        return ".".join(str(self.rng.randrange(1, 255)) for _ in range(4))

    def port(self) -> int:
        return self.rng.randrange(1024, 65535)

    def hex(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def addr(self) -> str:
        return f"0x{self.rng.getrandbits(40):010x}"

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def user(self) -> str:
        return self.rng.choice(_NAMES)

    def mostly_root(self) -> str:
        return "root" if self.rng.random() < 0.85 else self.rng.choice(_NAMES)

    def session_user(self) -> str:  # four users, most sessions are root's
        return self.rng.choices(("root", "cyrus", "news", "test"), (90, 5, 3, 2))[0]

    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def host(self) -> str:
        return self.rng.choice(_HOSTS)

    def file(self) -> str:
        return self.rng.choice(_FILES)

    def state(self) -> str:
        return self.rng.choice(_STATES)

    def proc(self) -> str:
        return self.rng.choice(_PROCS)

    def domain(self) -> str:
        return self.rng.choice(_DOMAINS)

    def table(self) -> str:
        return self.rng.choice(_TABLES)

    def reason(self) -> str:
        return self.rng.choice(_REASONS)

    def ms(self) -> str:
        return f"{self.rng.randrange(1, 30_000)}ms"

    def secs(self) -> str:
        return f"{self.rng.random() * 60:.3f}"

    def size(self) -> str:
        return f"{self.rng.random() * 900:.1f}"

    def email(self) -> str:
        return f"{self.rng.choice(_NAMES)}.{self.rng.choice(_WORDS)}@example.com"

    def path(self) -> str:
        return f"/var/lib/{self.rng.choice(_WORDS)}/{self.rng.choice(_FILES)}"

    def blk(self) -> str:
        return f"blk_{self.rng.randrange(-(10**19), 10**19)}"

    def job(self) -> str:
        return f"job_{self.rng.randrange(10**12, 10**13)}_{self.rng.randrange(10**4):04d}"

    def attempt(self) -> str:
        return f"attempt_{self.rng.randrange(10**12, 10**13)}_{self.rng.randrange(10**4):04d}_m_{self.rng.randrange(10**6):06d}_0"

    def pod(self) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        rs = "".join(self.rng.choice(alphabet) for _ in range(10))
        suffix = "".join(self.rng.choice(alphabet) for _ in range(5))
        return f"{self.rng.choice(('api', 'worker', 'frontend', 'billing'))}-{rs}-{suffix}"

    def node(self) -> str:
        return f"R{self.rng.randrange(80):02d}-M{self.rng.randrange(2)}-N{self.rng.randrange(16)}-C:J{self.rng.randrange(18):02d}-U{self.rng.randrange(2)}1"

    def cls(self) -> str:
        return self.rng.choice(_CLASSES)

    level = "notice"

    def method(self) -> str:
        return self.rng.choice(("GET", "GET", "GET", "POST", "PUT", "DELETE"))

    def route(self) -> str:
        return self.rng.choice(
            (f"/api/v1/orders/{self.n()}", "/api/v1/checkout", f"/api/v1/users/{self.user()}")
        )

    def status(self) -> int:
        return self.rng.choice((200, 200, 200, 201, 204, 400, 404, 500))

    def channel(self) -> str:
        return self.rng.choice(("sms", "email", "push"))

    def ts(self) -> str:
        moment = START + timedelta(seconds=self.rng.randrange(86_400))
        return moment.strftime("%a %b %d %H:%M:%S %Y")

    def version(self) -> str:
        return f"{self.rng.randrange(1, 5)}.{self.rng.randrange(20)}.{self.rng.randrange(50)}"


# Each set: (templates with weights, how an entry carries the text, resource type).
# A weight of w makes that group about w times as frequent as a weight-1 group.
_SETS: dict[str, list[tuple[str, float]]] = {
    "hdfs": [
        ("Receiving block {blk} src: /{ip}:{port} dest: /{ip2}:{port2}", 30),
        ("PacketResponder {small} for block {blk} terminating", 30),
        ("Received block {blk} of size {big} from /{ip}", 28),
        (
            "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:{port} is added to {blk} size {big}",
            28,
        ),
        (
            "BLOCK* NameSystem.allocateBlock: /user/{user}/rand/_temporary/_task_{big}_r_{n}_0/part-{n2}. {blk}",
            10,
        ),
        ("Verification succeeded for {blk}", 6),
        ("Deleting block {blk} file /mnt/hadoop/dfs/data/current/subdir{small}/{blk2}", 8),
        ("BLOCK* NameSystem.delete: {blk} is added to invalidSet of {ip}:{port}", 8),
        ("{ip}:{port} Served block {blk} to /{ip2}", 5),
        ("{ip}:{port}:Got exception while serving {blk} to /{ip2}:", 2),
        ("writeBlock {blk} received exception java.io.IOException: Connection reset by peer", 1),
        (
            "Exception in receiveBlock for block {blk} java.io.IOException: Connection reset by peer",
            1,
        ),
        ("BLOCK* ask {ip}:{port} to delete {blk}", 3),
        ("BLOCK* ask {ip}:{port} to replicate {blk} to datanode(s) {ip2}:{port2}", 1),
        ("Starting thread to transfer block {blk} to {ip}:{port}", 1),
    ],
    "openssh": [
        (
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
            20,
        ),
        (
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}",
            12,
        ),
        ("Failed password for {user} from {ip} port {port} ssh2", 30),
        ("Failed password for invalid user {user} from {ip} port {port} ssh2", 15),
        ("Invalid user {user} from {ip}", 15),
        ("input_userauth_request: invalid user {user} [preauth]", 15),
        ("Received disconnect from {ip}: 11: Bye Bye [preauth]", 12),
        ("Connection closed by {ip} [preauth]", 8),
        ("pam_unix(sshd:auth): check pass; user unknown", 10),
        ("Accepted password for {user} from {ip} port {port} ssh2", 3),
        ("pam_unix(sshd:session): session opened for user {user} by (uid=0)", 3),
        ("pam_unix(sshd:session): session closed for user {user}", 3),
        (
            "reverse mapping checking getaddrinfo for {host}.example.net [{ip}] failed - POSSIBLE BREAK-IN ATTEMPT!",
            6,
        ),
        (
            "message repeated {small} times: [ Failed password for {user} from {ip} port {port} ssh2]",
            3,
        ),
        ("Did not receive identification string from {ip}", 2),
        (
            "error: Received disconnect from {ip}: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
            2,
        ),
        (
            "PAM {small} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
            2,
        ),
    ],
    "linux": [
        ("session opened for user {user} by (uid=0)", 20),
        ("session closed for user {user}", 20),
        (
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host}.example.com",
            15,
        ),
        (
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host}.example.com  user={user}",
            10,
        ),
        ("check pass; user unknown", 8),
        ("connection from {ip} () at {ts}", 6),
        ("ANONYMOUS FTP LOGIN FROM {ip}, (anonymous)", 4),
        ("Kerberos authentication failed", 3),
        ("ROOT LOGIN ON tty{small}", 1),
        ("klogd {version}, log source = /proc/kmsg started.", 1),
        ("Out of Memory: Killed process {n} ({word}).", 2),
        ("alloc_pages: {small}-order allocation failed (gfp=0x{small}/0)", 1),
        ("{word}: unable to qualify my own domain name ({host}) -- using short name", 2),
        ("audit(1122475266.4294965305:0): initialized", 1),
        ("cupsd shutdown succeeded", 2),
        ("cupsd startup succeeded", 2),
        ("syslogd startup succeeded", 1),
        ("gpm shutdown failed", 1),
    ],
    "apache": [
        ("jk2_init() Found child {n} in scoreboard slot {small}", 30),
        ("workerEnv.init() ok /etc/httpd/conf/workers2.properties", 28),
        ("mod_jk child workerEnv in error state {small}", 20),
        ("[client {ip}] Directory index forbidden by rule: /var/www/html/", 8),
        ("[client {ip}] File does not exist: /var/www/html/{file}", 8),
        ("jk2_init() Can't find child {n} in scoreboard", 4),
        ("mod_jk child init {small} {n}", 3),
        ("[client {ip}] script not found or unable to stat: /var/www/cgi-bin/{word}", 3),
        ("Digest: generating secret for digest authentication ...", 1),
        ("Digest: done", 1),
        ("caught SIGTERM, shutting down", 1),
        ("Apache/2.0.49 (Fedora) configured -- resuming normal operations", 1),
        ("[client {ip}] user {user} not found: /{word}/", 2),
    ],
    "zookeeper": [
        ("Accepted socket connection from /{ip}:{port}", 25),
        ("Closed socket connection for client /{ip}:{port} which had sessionid 0x{hex}", 20),
        (
            "Closed socket connection for client /{ip}:{port} (no session established for client)",
            10,
        ),
        ("Client attempting to establish new session at /{ip}:{port}", 18),
        ("Established session 0x{hex} with negotiated timeout {n} for client /{ip}:{port}", 18),
        ("Expiring session 0x{hex}, timeout of {n}ms exceeded", 8),
        ("Processed session termination for sessionid: 0x{hex}", 8),
        ("caught end of stream exception", 6),
        ("Connection broken for id {small}, my id = {small2}, error =", 3),
        ("Interrupting SendWorker", 2),
        ("Send worker leaving thread", 2),
        ("Notification time out: {n}", 3),
        ("Cannot open channel to {small} at election address /{ip}:{port}", 4),
        ("Received connection request /{ip}:{port}", 4),
        ("Have smaller server identifier, so dropping the connection: ({small}, {small2})", 2),
        ("FOLLOWING - LEADER ELECTION TOOK - {n}", 1),
        ("LEADING - LEADER ELECTION TOOK - {n}", 1),
    ],
    "hadoop": [
        ("{attempt} TaskAttempt Transitioned from {state} to {state2}", 25),
        ("{job}Job Transitioned from {state} to {state2}", 3),
        ("Progress of TaskAttempt {attempt} is : {secs}", 20),
        ("Address change detected. Old: {host}/{ip}:{port} New: {host2}:{port2}", 8),
        (
            "Retrying connect to server: {host}:{port}. Already tried {small} time(s); maxRetries={small2}",
            10,
        ),
        ("Assigned container container_{big}_{n}_01_{n2} to {attempt}", 8),
        ("Num completed Tasks: {small}", 6),
        ("Received completed container container_{big}_{n}_01_{n2}", 6),
        (
            "After Scheduling: PendingReds:{small} ScheduledMaps:{small2} ScheduledReds:0 AssignedMaps:{n} AssignedReds:0 CompletedMaps:{n2} CompletedReds:0 ContainersAllocated:{n3} ContainersReleased:{n4} HostLocal:{n5} RackLocal:{n6}",
            6,
        ),
        (
            "Diagnostics report from {attempt}: Error: java.net.NoRouteToHostException: No Route to Host",
            3,
        ),
        ("ERROR IN CONTACTING RM.", 3),
        ("Task succeeded with attempt {attempt}", 4),
        ("Launching {attempt}", 4),
        ("Shuffle port returned by ContainerManager for {attempt} : {port}", 3),
        ("KILLING {attempt}", 1),
    ],
    "spark": [
        ("Found block rdd_{small}_{n} locally", 25),
        ("Got assigned task {n}", 15),
        ("Running task {secs} in stage {secs2} (TID {n})", 15),
        ("Finished task {secs} in stage {secs2} (TID {n}). {n2} bytes result sent to driver", 15),
        ("Started reading broadcast variable {small}", 6),
        (
            "Block broadcast_{small}_piece0 stored as bytes in memory (estimated size {size} KB, free {size2} KB)",
            6,
        ),
        ("Reading broadcast variable {small} took {n} ms", 6),
        ("Partition rdd_{small}_{n} not found, computing it", 5),
        ("Changing view acls to: {user}", 2),
        ("Changing modify acls to: {user}", 2),
        (
            "SecurityManager: authentication disabled; ui acls disabled; users with view permissions: Set({user}); users with modify permissions: Set({user2})",
            2,
        ),
        ("Registered signal handlers for [TERM, HUP, INT]", 1),
        ("Successfully started service 'sparkExecutorActorSystem' on port {port}.", 1),
        (
            "Removed broadcast_{small}_piece0 on {ip}:{port} in memory (size: {size} KB, free: {size2} MB)",
            3,
        ),
        ("Driver commanded a shutdown", 1),
    ],
    "bgl": [
        ("instruction cache parity error corrected", 20),
        ("data TLB error interrupt", 8),
        ("generating core.{n}", 20),
        ("{n} double-hummer alignment exceptions", 10),
        ("CE sym {small}, at 0x{hex}, mask 0x{small2}", 10),
        (
            "ciod: failed to read message prefix on control stream (CioStream socket to {ip}:{port}",
            8,
        ),
        (
            "ciod: Error loading /g/g{small}/{user}/{word}/run{small2}: invalid or missing program image, No such file or directory",
            4,
        ),
        ("total of {n} ddr error(s) detected and corrected", 5),
        ("ddr: activating redundant bit steering: rank={small} symbol={small2}", 3),
        ("machine check interrupt (bit=0x{small}): L2 dcache unit data parity error", 2),
        ("program interrupt: fp cr field .............{small}", 2),
        ("Lustre mount FAILED : {node} : block_id : location", 2),
        ("NFS Mount failed on {node}, slept {small} seconds, retrying ({small2})", 2),
        (
            "idoproxydb hit ASSERT condition: ASSERT expression=0 Source file=idotransportmgr.cpp Source line={n} Function=int IdoTransportMgr::SendPacket(IdoUdpMgr*, BglCtlPavTrace*)",
            1,
        ),
        (
            "rts: kernel terminated for reason {n}rts: bad message header: invalid cpu, type={n2}, cpu={small}, index={n3}, total={small2}",
            1,
        ),
    ],
    "proxifier": [
        ("{proc} - {domain}:{port} open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS", 30),
        (
            "{proc} - {domain}:{port} close, {n} bytes sent, {n2} bytes received, lifetime {small}:{small2}",
            30,
        ),
        (
            "{proc} - {domain}:{port} close, {n} bytes ({size} KB) sent, {n2} bytes ({size2} KB) received, lifetime {small}:{small2}",
            10,
        ),
        (
            "{proc} - {domain}:{port} error : Could not connect to proxy proxy.cse.cuhk.edu.hk:5070 - connection attempt failed with error {n}",
            5,
        ),
        ("{proc} - {domain}:{port} open through proxy proxy.cse.cuhk.edu.hk:5070 SOCKS5", 5),
        ("open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS", 1),
    ],
    "web-backend": [
        ("request completed method={method} path={route} status={status} duration={ms}", 50),
        ("Upstream {host} returned 503 after {ms}, retrying ({small}/3)", 10),
        ("User {user} exceeded rate limit on /api/v1/search", 8),
        ("Template {file} not found, using default", 5),
        ("Session {uuid} expired for user {user}", 8),
        ("Slow request: GET /api/v1/reports/{n} took {secs}s", 6),
        ("Cache miss for key product:{n}", 10),
        ("Cache hit ratio {secs}% below threshold", 3),
        ("Feature flag {word} evaluated to false for user {email}", 5),
        ("SSOT WARNING: Found other WebSocket Manager classes: {cls}, {cls2}", 4),
        ("SERVICE_ID contained whitespace, sanitized to '{word}'", 3),
        ("Failed to send email to {email}: {reason}", 3),
        ("Worker {word} started", 2),
        ("Worker {word} stopped", 2),
    ],
    "database": [
        ("duration: {secs} ms  statement: SELECT * FROM {table} WHERE id = {n}", 25),
        ("checkpoint starting: time", 6),
        (
            "checkpoint complete: wrote {n} buffers ({secs}%); {small} WAL file(s) added, {small2} removed, {small3} recycled; write={secs2} s, sync={secs3} s, total={secs4} s",
            6,
        ),
        ("connection received: host={ip} port={port}", 20),
        ("connection authorized: user={user} database={table}", 18),
        (
            "disconnection: session time: {small}:{small2}:{secs} user={user} database={table} host={ip} port={port}",
            15,
        ),
        ("could not receive data from client: Connection reset by peer", 4),
        ("deadlock detected", 2),
        ("Process {n} waits for ShareLock on transaction {n2}; blocked by process {n3}.", 2),
        ('automatic vacuum of table "app.public.{table}": index scans: {small}', 5),
        ('automatic analyze of table "app.public.{table}"', 5),
        ('relation "{table}_archive" does not exist', 2),
        ('password authentication failed for user "{user}"', 4),
        (
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            2,
        ),
        ('temporary file: path "base/pgsql_tmp/pgsql_tmp{n}.{small}", size {big}', 2),
    ],
    "auth": [
        ("Login succeeded for {email} from {ip}", 25),
        ("Login failed for {email} from {ip}: invalid password", 15),
        ("Login failed for {email} from {ip}: account locked", 4),
        ("Issued access token for client {word} scope=read:{table} expires_in=3600", 15),
        ("Refresh token {hex} revoked by user {user}", 5),
        ("MFA challenge sent to {email} via {channel}", 12),
        ("Password reset requested for {email}", 4),
        ("JWT validation failed: token expired at {ts}", 6),
        ("JWT validation failed: signature mismatch for kid {hex}", 2),
        (
            "OIDC discovery document fetched from https://{domain}/.well-known/openid-configuration in {ms}",
            3,
        ),
        ("User {user} added to group {word}", 3),
        ("User {user} removed from group {word}", 3),
        ("SAML assertion from idp {host} rejected: audience mismatch", 2),
    ],
    "batch": [
        ("Job {word}-export started with {n} rows", 6),
        (
            "Job {word}-export finished in {secs}s, {n} rows written to gs://exports/{word2}/{n2}.parquet",
            6,
        ),
        ("Processed batch {n} of {n2} ({secs}%)", 30),
        ("Retrying task {uuid} (attempt {small} of 5): {reason}", 8),
        ("Skipping malformed record at offset {n} in {file}", 8),
        ("Task {uuid} exceeded memory limit: {n} MiB used of {n2} MiB", 3),
        ("Checkpoint saved to gs://checkpoints/{word}/{n}.ckpt", 8),
        ("Downloaded {file} ({size} MB) in {secs}s", 8),
        ("Container terminated with exit code {small}", 3),
        ("Scheduled next run of {word} at {ts}", 4),
        ("Lock on {table} held by {host}, waiting {small}s", 4),
    ],
    "k8s-events": [
        ("Successfully assigned default/{pod} to gke-prod-pool-{hex}", 12),
        ('Pulling image "gcr.io/acme/{word}:{version}"', 10),
        ('Successfully pulled image "gcr.io/acme/{word}:{version}" in {secs}s', 10),
        ("Created container {word}", 12),
        ("Started container {word}", 12),
        ("Back-off restarting failed container {word} in pod {pod}_default({uuid})", 8),
        ('Liveness probe failed: Get "http://{ip}:{port}/healthz": context deadline exceeded', 6),
        ("Readiness probe failed: HTTP probe failed with statuscode: {n}", 6),
        ("Container {word} failed liveness probe, will be restarted", 4),
        ("Scaled up replica set {pod} to {small}", 4),
        ("Scaled down replica set {pod} to {small}", 4),
        (
            "0/{small} nodes are available: {small2} Insufficient cpu, {small3} node(s) had taint {{node.kubernetes.io/unreachable: }}, that the pod didn't tolerate.",
            3,
        ),
        ("Killing container with id docker://{hex}:Need to kill Pod", 3),
        (
            "Memory cgroup out of memory: Killed process {n} ({word}) total-vm:{n2}kB, anon-rss:{n3}kB",
            2,
        ),
        (
            'MountVolume.SetUp failed for volume "{word}-secret" : secret "{word2}-secret" not found',
            2,
        ),
    ],
    # --- our own sets for the failure classes of issue 13 (see _OWN_SETS) ---
    "proxy-protocols": [
        ("{proc} - {domain}:{port} open through proxy proxy.example.net:5070 HTTPS", 20),
        ("{proc} - {domain}:{port} open through proxy proxy.example.net:5070 SOCKS5", 10),
        ("{proc} - {domain}:{port} open through proxy proxy.example.net:5070 SOCKS4", 4),
        ("{proc} - {domain}:{port} open directly HTTP/1.1", 3),
        ("{proc} - {domain}:{port} open directly HTTP/2", 2),
        (
            "{proc} - {domain}:{port} error : Could not connect through proxy "
            "proxy.example.net:5070 - Proxy server cannot establish a connection with the "
            "target, status code {n}",
            3,
        ),
        (
            "{proc} - {domain}:{port} close, {n} bytes sent, {n2} bytes received, lifetime {small}:{small2}",
            20,
        ),
        (
            "{proc} - {domain}:{port} close, {n} bytes ({size} KB) sent, {n2} bytes ({size2} KB) received, lifetime {small}:{small2}",
            10,
        ),
        (
            "{proc} - {domain}:{port} close, {n} bytes ({size} KB) sent, {n2} bytes received, lifetime {small}:{small2}",
            5,
        ),
    ],
    "clients": [
        ("Session: {big}_{n} initialized by client WindowsUpdateAgent, version: 7.6.7600.320", 30),
        ("Session: {big}_{n} initialized by client CcmExec, version: 7.6.7600.320", 8),
        ("Session: {big}_{n} initialized by client AutomaticUpdates, version: 7.6.7600.320", 4),
        ("Health check from {ip} by agent GoogleHC/1.0 answered in {ms}", 20),
        ("Health check from {ip} by agent kube-probe/1.29 answered in {ms}", 10),
        ("Health check from {ip} by agent ELB-HealthChecker/2.0 answered in {ms}", 5),
        ("Client {user} connected from {ip} using protocol version {small}", 15),
        ("Failed password for {mostly_root} from {ip} port {port} ssh2", 25),
        ("session opened for user {session_user} by (uid=0)", 20),
        ("Request throttled for client {user} after {n} calls", 8),
        ("Agent Datadog reported {n} metrics", 5),
        ("Agent Fluentbit reported {n} metrics", 5),
    ],
    "units": [
        ("Sent {n} bytes to {ip}", 15),
        ("Sent {n} bytes ({size} KB) to {ip}", 15),
        ("Uploaded {n} MB in {secs} s", 8),
        ("Uploaded {n} MB ({big} bytes) in {secs} s", 8),
        ("Cache holds {n} entries ({size} MB)", 8),
        ("Cache holds {n} entries", 8),
        ("Freed {n} KB (~{small}%) of heap after collection", 6),
        ("Freed {n} KB of heap after collection", 6),
        ("Received {n} bytes from {ip}", 10),
        ("Disk {word} at {small}% capacity ({size} GB free)", 6),
        ("Health check of {host} failed after {ms}", 6),
        ("Health check of {host} failed after {ms} (will retry)", 6),
        ("Replica {n} is lagging behind the primary (read-only mode)", 4),
    ],
    "digit-words": [
        ("Falling back to IPv4 for {host}", 10),
        ("Falling back to IPv6 for {host}", 10),
        ("Mounted filesystem ext4 on {path}", 8),
        ("Mounted filesystem xfs on {path}", 6),
        ("Mounted filesystem btrfs on {path}", 3),
        ("Decoding payload as utf8 for table {table}", 10),
        ("Decoding payload as latin1 for table {table}", 4),
        ("log4j configuration reloaded from {path}", 5),
        ("Worker node{small} lost heartbeat after {ms}", 12),
        ("Using SOCKS5 tunnel to {host} on port {port}", 6),
        ("Using HTTP/1.1 tunnel to {host} on port {port}", 6),
        ("Loaded k8s manifest {file} for namespace {word}", 5),
    ],
}

# Text-only sets carry a syslog/application header in the payload, as file-shipped logs do.
_HEADERS: dict[str, Callable[[_Slots, datetime], str]] = {
    "hdfs": lambda s, t: f"{t:%y%m%d} {t:%H%M%S} {s.n()} INFO dfs.DataNode: ",
    "linux": lambda s, t: (
        f"{t:%b} {t.day:2d} {t:%H:%M:%S} combo {s.rng.choice(('sshd(pam_unix)', 'ftpd', 'su(pam_unix)'))}[{s.n()}]: "
    ),
    "openssh": lambda s, t: f"{t:%b} {t.day:2d} {t:%H:%M:%S} LabSZ sshd[{s.n()}]: ",
    "apache": lambda s, t: f"[{t:%a %b %d %H:%M:%S %Y}] [{s.level}] ",
}

_JVM_FRAMES = {
    "checkout": ("com.acme.shop.checkout.CheckoutService", "placeOrder"),
    "payments": ("com.acme.shop.payments.PaymentClient", "charge"),
    "inventory": ("com.acme.shop.inventory.StockRepository", "reserve"),
    "reports": ("com.acme.shop.reports.ReportJob", "render"),
}
_JVM_ERRORS = (
    ("java.net.SocketTimeoutException", "Read timed out after {ms}", "payments", 20),
    (
        "java.lang.NullPointerException",
        'Cannot invoke "Order.getId()" because "order" is null',
        "checkout",
        15,
    ),
    (
        "java.sql.SQLTransientConnectionException",
        "HikariPool-1 - Connection is not available, request timed out after {n}ms.",
        "inventory",
        15,
    ),
    ("java.lang.IllegalStateException", "Stock for sku {n} would go negative", "inventory", 8),
    ("java.lang.IllegalStateException", "Report {uuid} already rendering", "reports", 5),
    ("java.util.ConcurrentModificationException", "", "reports", 4),
    ("java.net.SocketTimeoutException", "Read timed out after {ms}", "inventory", 6),
)
_JVM_MESSAGES = (
    ("Started {cls} in {secs} seconds (JVM running for {secs2})", 4),
    ("HikariPool-1 - Starting...", 3),
    ("HikariPool-1 - Start completed.", 3),
    ("Order {n} placed by {email} total={size} EUR", 20),
    ("Payment authorized for order {n} in {ms}", 15),
    ("Request to payments took {ms}, above SLO", 8),
)


def _jvm_trace(rng: random.Random, error: tuple[str, str, str, float], slots: _Slots) -> str:
    exc_type, value, site, _ = error
    module, function = _JVM_FRAMES[site]
    lines = [f"{exc_type}: {slots.fill(value)}" if value else exc_type]
    lines.append(
        f"\tat {module}.{function}({module.rsplit('.', 1)[1]}.java:{rng.randrange(40, 400)})"
    )
    lines.append(
        f"\tat com.acme.shop.web.ApiController.handle(ApiController.java:{rng.randrange(20, 90)})"
    )
    lines.append(
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)"
    )
    lines.append("\tat java.base/java.lang.Thread.run(Thread.java:833)")
    return "\n".join(lines)


# Templates that are one event with another: a number's optional unit conversion does not make
# another event ("34527 bytes sent" and "48853 bytes (298.6 KB) sent").
_SAME_TRUTH = {
    ("proxifier", 2): 1,
    ("proxy-protocols", 7): 6,
    ("proxy-protocols", 8): 6,
    ("units", 1): 0,
    ("units", 3): 2,
    ("units", 5): 4,
    ("units", 7): 6,
    ("units", 11): 10,
}


# Templates whose last word is one of a few words, each repeated over many records: an
# enumeration of events, one group per word (issue 13: a position becomes a variable only when
# it shows many distinct values; three channels are three events).
_BY_LAST_WORD = {("auth", 5)}


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> int:
    total = sum(w for _, w in weighted)
    point = rng.random() * total
    for index, (_, weight) in enumerate(weighted):
        point -= weight
        if point < 0:
            return index
    return len(weighted) - 1


def _entry(name: str, index: int, moment: datetime, truth: str, severity: str) -> dict[str, Any]:
    return {
        "insertId": f"{name}-{index:06d}",
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
        "severity": severity,
        "logName": f"projects/bench/logs/{name}",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "service_name": name,
                "revision_name": f"{name}-00001-abc",
                "location": "europe-west1",
            },
        },
        "labels": {"truth": truth},
    }


def generate(name: str, size: int = SIZE, seed: int = 20240501) -> Iterator[dict[str, Any]]:
    """``size`` labelled entries of the set ``name``; the same for the same arguments."""
    rng = random.Random(f"{name}:{seed}")
    slots = _Slots(rng)
    step = 3600 / size
    for index in range(size):
        moment = START + timedelta(seconds=index * step)
        if name in _SPECIAL:
            yield _SPECIAL[name](rng, slots, index, moment)
            continue
        templates = _SETS[name]
        choice = _pick(rng, templates)
        template = templates[choice][0]
        # A template logs at one level, as real code does (the level is part of the line).
        slots.level = ("notice", "error", "warn")[choice % 3]
        message = slots.fill(template)
        truth: object = _SAME_TRUTH.get((name, choice), choice)
        if (name, choice) in _BY_LAST_WORD:
            truth = f"{truth}/{message.rsplit(' ', 1)[1]}"
        entry = _entry(name, index, moment, f"{name}/{truth}", "WARNING")
        header = _HEADERS.get(name)
        if header is not None:
            entry["textPayload"] = header(slots, moment) + message
        elif index % 2:
            entry["textPayload"] = message
        else:
            entry["jsonPayload"] = {"message": message, "logger": f"{name}.app"}
            entry["jsonPayload"].pop("logger")  # one logger per set: grouping must not lean on it
        yield entry


def _jvm_entry(rng: random.Random, slots: _Slots, index: int, moment: datetime) -> dict[str, Any]:
    if rng.random() < 0.5:
        choice = _pick(rng, [(e, e[3]) for e in _JVM_ERRORS])
        error = _JVM_ERRORS[choice]
        entry = _entry("jvm", index, moment, f"jvm/error/{choice}", "ERROR")
        handler = rng.choice(("POST /api/orders", "GET /api/stock", "POST /api/reports"))
        entry["jsonPayload"] = {
            "message": f"Request processing failed: {handler}",
            "stack_trace": _jvm_trace(rng, error, slots),
            "logger": "com.acme.shop.web.ApiController",
        }
        return entry
    choice = _pick(rng, list(_JVM_MESSAGES))
    entry = _entry("jvm", index, moment, f"jvm/message/{choice}", "INFO")
    entry["jsonPayload"] = {
        "message": slots.fill(_JVM_MESSAGES[choice][0]),
        "logger": "com.acme.shop",
    }
    return entry


# --- request logs: several methods and statuses; truth = method, route, status class ---------

_REQUESTS = (
    ("GET", "/api/v1/users/{n}", (200,), 20),
    ("GET", "/api/v1/users/{n}", (404,), 6),
    ("POST", "/api/v1/chat/messages", (502, 503, 504), 8),
    ("POST", "/api/v1/chat/messages", (200, 201), 15),
    ("GET", "/api/v1/chat/messages", (200,), 10),
    ("DELETE", "/api/v1/orders/{uuid}", (204,), 4),
    ("PUT", "/api/v1/orders/{uuid}", (409,), 3),
    ("PUT", "/api/v1/orders/{uuid}", (200,), 5),
    ("GET", "/health", (503,), 3),
    ("GET", "/health", (200,), 10),
    ("POST", "/api/v1/login", (401, 403), 5),
    ("POST", "/api/v1/login", (500,), 2),
)


def _request_entry(
    rng: random.Random, slots: _Slots, index: int, moment: datetime
) -> dict[str, Any]:
    choice = _pick(rng, [(r, r[3]) for r in _REQUESTS])
    method, route, statuses, _ = _REQUESTS[choice]
    status = rng.choice(statuses)
    path = slots.fill(route)
    entry = _entry("requests", index, moment, f"requests/{choice}", "ERROR")
    url = f"https://shop-api-abc123-ew.a.run.app{path}?trace={slots.hex()}"
    shape = index % 3
    if shape == 0:  # a Cloud Run request log: httpRequest only
        entry["httpRequest"] = {"requestMethod": method, "requestUrl": url, "status": status}
    elif shape == 1:  # an empty payload object beside the request
        entry["jsonPayload"] = {}
        entry["httpRequest"] = {"requestMethod": method, "requestUrl": url, "status": status}
    else:  # an access-log request line
        entry["textPayload"] = f"{method} {path} HTTP/1.1 {status} {slots.ms()}"
    return entry


# --- tracebacks logged with escaped newlines (literal backslash-n) and with real ones --------

_TRACES = (
    (
        "python",
        'Traceback (most recent call last):\n  File "/app/shop/api.py", line {small}, in reserve\n'
        '    stock.take(sku)\n  File "/app/shop/stock.py", line {small2}, in take\n'
        "    raise KeyError(sku)\nKeyError: 'sku-{n}'",
        10,
    ),
    (
        "python",
        'Traceback (most recent call last):\n  File "/app/shop/api.py", line {small}, in pay\n'
        '    client.charge(order)\n  File "/app/shop/payments.py", line {small2}, in charge\n'
        "    raise TimeoutError(f'provider')\nTimeoutError: provider did not answer in {ms}",
        8,
    ),
    (
        "java",
        "java.lang.IllegalStateException: pool {word} closed\n\tat "
        "com.acme.db.Pool.get(Pool.java:{small})\n\tat com.acme.api.Orders.list(Orders.java:{small2})",
        8,
    ),
    (
        "go",
        "panic: runtime error: index out of range [{small}] with length {small2}\n\n"
        "goroutine {n} [running]:\nmain.handle(0x{hex})\n\t/app/main.go:{small} +0x1d\n"
        "main.main()\n\t/app/main.go:{small2} +0x25",
        5,
    ),
    (
        "node",
        "TypeError: Cannot read properties of undefined (reading '{word}')\n    at render "
        "(/app/src/views/thread.js:{small}:5)\n    at handle (/app/src/server.js:{small2}:3)",
        6,
    ),
    ("message", "Worker {word} finished batch {n} in {ms}", 10),
)


def _trace_entry(rng: random.Random, slots: _Slots, index: int, moment: datetime) -> dict[str, Any]:
    choice = _pick(rng, [(t, t[2]) for t in _TRACES])
    text = slots.fill(_TRACES[choice][1])
    entry = _entry("tracebacks", index, moment, f"tracebacks/{choice}", "ERROR")
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    if index % 3 == 0:
        entry["textPayload"] = text  # real newlines: the same problem
    elif index % 3 == 1:
        entry["jsonPayload"] = {"message": escaped}
    else:
        entry["jsonPayload"] = {}
        entry["textPayload"] = escaped
    return entry


_SPECIAL: dict[str, Callable[[random.Random, _Slots, int, datetime], dict[str, Any]]] = {
    "jvm": _jvm_entry,
    "requests": _request_entry,
    "tracebacks": _trace_entry,
}

SET_NAMES = (*_SETS, *_SPECIAL)

OWN_SETS = (
    "requests",
    "proxy-protocols",
    "clients",
    "units",
    "digit-words",
    "tracebacks",
)
"""The sets written for issue 13's failure classes (over-merging and real payload quirks)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SET_NAMES:
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for entry in generate(name, args.size):
                handle.write(json.dumps(entry) + "\n")
    print(f"wrote {len(SET_NAMES)} sets to {args.out}")


if __name__ == "__main__":
    main()
