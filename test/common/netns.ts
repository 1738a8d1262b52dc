// A private network namespace with real socket-holding processes and nftables drops, used to hold TCP
// sockets in every state a sampler can observe. Root only: `ip netns` and `nft` need CAP_SYS_ADMIN and
// CAP_NET_ADMIN. Used by test/kernel/netns-states.test.ts, scripts/capture-fixtures.mjs and the benchmark.
//
// /proc/net/tcp and ss show the socket table of the reader's own network namespace, so anything that samples
// the namespace's sockets must itself run inside it. Commands enter it with `nsenter --net=/var/run/netns/NS`, which
// switches the network namespace only and execs in place (no pid namespace), so the pid of the spawned process
// is the pid that owns the sockets, as seen from anywhere on the host. Not `ip netns exec`: it also remounts
// /sys, which hides the cgroup2 mount, and `ss -e` then fails to resolve each socket's cgroup the slow way
// (measured: `ss -tanoeH` at 10k sockets, 0.5 s instead of 0.03 s), which is not what a real host sees.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type AddressFamily, type Endpoint, type SocketRecord, type TcpState } from '../../src/domain/types';

/** Diagram order of the states, re-exported for scripts/capture-fixtures.mjs (which loads only this bundle). */
export const DIAGRAM_ORDER = TCP_STATES;

const IP = '/usr/sbin/ip';
const NFT = '/usr/sbin/nft';
const NSENTER = '/usr/bin/nsenter';

/** Whether this process can build namespaces; `reason` says why not, for a test's skip message. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces are Linux only' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'needs root (ip netns add, nft)' };
  for (const tool of [IP, NFT, NSENTER]) if (!existsSync(tool)) return { ok: false, reason: `${tool} is not installed` };
  if (!findPython()) return { ok: false, reason: 'python3 is not installed (it holds the sockets)' };
  const probe = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, reason: `ip netns is unavailable: ${probe.stderr.trim() || probe.error?.message}` };
  return { ok: true };
}

function findPython(): string | null {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (existsSync(p)) return p;
  return null;
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

import { sleep, waitFor } from './wait';

export { sleep, waitFor };

/** Namespaces created by this process and not yet deleted: removed on exit even when a caller forgot. */
const live = new Set<NetNamespace>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const ns of live) ns.disposeSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const ns of live) ns.disposeSync();
      process.kill(process.pid, sig);
    });
  }
}

export class NetNamespace {
  private readonly children = new Set<ChildProcess>();
  private disposed = false;

  private constructor(readonly name: string) {}

  /** Creates `tcpsv-<random>` with its loopback up and an empty nftables ruleset. */
  static create(prefix = 'tcpsv'): NetNamespace {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    check(spawnSync(IP, ['netns', 'add', name], { encoding: 'utf8' }), `ip netns add ${name}`);
    const ns = new NetNamespace(name);
    live.add(ns);
    installExitHook();
    try {
      check(spawnSync(IP, ['-n', name, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' }), 'ip link set lo up');
    } catch (e) {
      ns.disposeSync();
      throw e;
    }
    return ns;
  }

  /** argv to run `cmd args` inside the namespace. */
  argv(cmd: string, args: readonly string[]): [string, string[]] {
    return [NSENTER, [`--net=/var/run/netns/${this.name}`, '--', cmd, ...args]];
  }

  /** Runs a command inside the namespace to completion and returns its stdout (throws on failure). */
  run(cmd: string, args: readonly string[], input?: string): string {
    const [c, a] = this.argv(cmd, args);
    return check(spawnSync(c, a, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 }), `${cmd} ${args.join(' ')} in ${this.name}`);
  }

  /** Starts a long-lived process inside the namespace; it is killed by dispose(). */
  spawn(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const [c, a] = this.argv(cmd, args);
    const child = spawn(c, a, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Replaces the namespace's whole nftables ruleset with one `inet` table whose input chain holds `rules`
   * (each an nft rule statement such as `tcp dport 5002 drop`). Loopback packets pass the input hook once,
   * on receipt, so a rule there drops a segment after the sender has counted it as sent.
   */
  setDropRules(rules: readonly string[]): void {
    const text = ['flush ruleset', 'table inet tcpsv {', '  chain input {', '    type filter hook input priority filter; policy accept;', ...rules.map((r) => `    ${r}`), '  }', '}', ''].join('\n');
    this.run(NFT, ['-f', '-'], text);
  }

  /** `ss -tanH` inside the namespace, as (state, local, remote) rows. */
  ssRows(): SsRow[] {
    return parseSsForHarness(this.run('/usr/bin/ss', ['-tanH']));
  }

  /** Starts a python3 process inside the namespace that opens sockets on command (see HOLDER_PY). */
  async startHolder(label: string): Promise<SocketHolder> {
    const python = findPython();
    if (!python) throw new Error('python3 not found');
    const child = this.spawn(python, ['-u', '-c', HOLDER_PY, label]);
    const holder = new SocketHolder(label, child);
    await holder.ready;
    return holder;
  }

  /** Kills every process started here (SIGKILL, then waits for them), then deletes the namespace. */
  async dispose(): Promise<void> {
    const waits = [...this.children].map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))));
    for (const c of this.children) c.kill('SIGKILL');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(waits), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    this.disposeSync();
  }

  /** Synchronous cleanup for exit hooks: kill what is left and delete the namespace. Idempotent. */
  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    for (const c of this.children) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    // Any process still inside (one we did not start, say) is killed by pid before the namespace goes:
    // `ip netns del` only unmounts the name, a namespace with live members would linger invisibly.
    const pids = spawnSync(IP, ['netns', 'pids', this.name], { encoding: 'utf8' });
    for (const p of (pids.stdout ?? '').split('\n').map(Number).filter((n) => n > 0)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // raced with its exit
      }
    }
    spawnSync(IP, ['netns', 'del', this.name], { encoding: 'utf8' });
  }
}

/**
 * Joins two namespaces with a veth pair, `a` at aAddr and `b` at bAddr (IPv4, one /24), both ends up: a peer
 * that is another host as far as either namespace's TCP is concerned (its segments and state changes are
 * counted in its own namespace only). The pair goes when either namespace is deleted.
 */
export function linkVeth(a: NetNamespace, b: NetNamespace, aAddr: string, bAddr: string): void {
  check(spawnSync(IP, ['link', 'add', 'tcpsv0', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'tcpsv1', 'netns', b.name], { encoding: 'utf8' }), 'ip link add veth');
  for (const [ns, dev, addr] of [
    [a, 'tcpsv0', aAddr],
    [b, 'tcpsv1', bAddr],
  ] as const) {
    check(spawnSync(IP, ['-n', ns.name, 'addr', 'add', `${addr}/24`, 'dev', dev], { encoding: 'utf8' }), `ip addr add ${addr}`);
    check(spawnSync(IP, ['-n', ns.name, 'link', 'set', dev, 'up'], { encoding: 'utf8' }), `ip link set ${dev} up`);
  }
}

export interface SsRow {
  state: TcpState;
  local: Endpoint;
  remote: Endpoint;
}

const SS_STATE: Record<string, TcpState> = {
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECV': 'SYN-RECEIVED',
  ESTAB: 'ESTABLISHED',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST-ACK',
  'TIME-WAIT': 'TIME-WAIT',
  UNCONN: 'CLOSED',
};

function ssEndpoint(s: string): Endpoint {
  const i = s.lastIndexOf(':');
  let address = s.slice(0, i);
  if (address.startsWith('[')) address = address.slice(1, -1);
  if (address === '*') address = '0.0.0.0';
  return { address, port: s.slice(i + 1) === '*' ? 0 : Number(s.slice(i + 1)) };
}

/**
 * Just enough of `ss -tanH` for the harness to know when a socket reached the state it was driven to.
 * Deliberately independent of the product's parser, which the tests then check against this.
 */
export function parseSsForHarness(text: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !(f[0] in SS_STATE)) continue;
    rows.push({ state: SS_STATE[f[0]], local: ssEndpoint(f[3]), remote: ssEndpoint(f[4]) });
  }
  return rows;
}

// The socket holder: one python3 process per side, driven by JSON lines on stdin so each socket call happens
// exactly when the scenario says. shutdown(SHUT_WR) rather than close() keeps the file descriptor, so a socket
// in FIN-WAIT-*, CLOSING or LAST-ACK still has an owner pid (a closed one would be an orphan with inode 0).
// The process exits when its stdin closes.
const HOLDER_PY = String.raw`
import json, os, select, socket, struct, sys, threading, time
socks = {}
def out(o):
    sys.stdout.write(json.dumps(o) + "\n")
    sys.stdout.flush()
def fam(f):
    return socket.AF_INET6 if f == 6 else socket.AF_INET
def describe(s):
    a = s.getsockname()
    return {"local": [a[0], a[1]], "inode": os.fstat(s.fileno()).st_ino}
out({"ready": True, "pid": os.getpid()})
for line in sys.stdin:
    req = json.loads(line)
    rid = req["id"]
    try:
        op = req["op"]
        if op == "listen":
            s = socket.socket(fam(req["family"]), socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if req["family"] == 6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if req.get("dualStack") else 1)
            s.bind((req["host"], req["port"]))
            s.listen(req.get("backlog", 16))
            socks[req["name"]] = s
            out(dict(describe(s), id=rid, ok=True))
        elif op == "connect":
            s = socket.socket(fam(req["family"]), socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((req["host"], req["port"]))
            if req.get("wait"):
                select.select([], [s], [], 5)
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
            socks[req["name"]] = s
            out(dict(describe(s), id=rid, ok=True, connectErrno=err))
        elif op == "accept":
            l = socks[req["listener"]]
            l.settimeout(5)
            c, _ = l.accept()
            socks[req["name"]] = c
            out(dict(describe(c), id=rid, ok=True))
        elif op == "shutdown":
            socks[req["name"]].shutdown(socket.SHUT_WR)
            out({"id": rid, "ok": True})
        elif op == "close":
            socks.pop(req["name"]).close()
            out({"id": rid, "ok": True})
        elif op == "abort":
            # SO_LINGER on with a zero timeout: close() sends a RST instead of a FIN (tcp_disconnect).
            s = socks.pop(req["name"])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            out({"id": rid, "ok": True})
        elif op == "send":
            s = socks[req["name"]]
            s.setblocking(True)
            s.sendall(b"x" * req["bytes"])
            out({"id": rid, "ok": True})
        elif op == "recv":
            # Whatever has arrived, without waiting.
            s = socks[req["name"]]
            s.setblocking(False)
            got = 0
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    got += len(d)
            except BlockingIOError:
                pass
            out({"id": rid, "ok": True, "received": got})
        elif op == "echo":
            # In the background: send back whatever arrives, until EOF (the peer's FIN) or an error.
            s = socks[req["name"]]
            s.setblocking(True)
            def echo(s=s):
                try:
                    while True:
                        d = s.recv(65536)
                        if not d:
                            return
                        s.sendall(d)
                except OSError:
                    return
            threading.Thread(target=echo, daemon=True).start()
            out({"id": rid, "ok": True})
        elif op == "exchange":
            # In the background: every everyMs, send "bytes" bytes and read the echo, for "seconds". Stands for
            # an editor's UI traffic (small request/response messages on one long-lived connection).
            s = socks[req["name"]]
            s.setblocking(True)
            def exchange(s=s, every=req["everyMs"] / 1000.0, until=time.time() + req["seconds"], n=req["bytes"]):
                try:
                    while time.time() < until:
                        s.sendall(b"u" * n)
                        got = 0
                        while got < n:
                            d = s.recv(n - got)
                            if not d:
                                return
                            got += len(d)
                        time.sleep(every)
                except OSError:
                    return
            threading.Thread(target=exchange, daemon=True).start()
            out({"id": rid, "ok": True})
        elif op == "churn":
            # Opens and closes connections to a listener of its own for a while, in the background: each close
            # leaves a TIME-WAIT row, so the table keeps changing while a sampler reads it.
            l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((req["host"], req["port"]))
            l.listen(128)
            socks[req["name"]] = l
            def run(l=l, until=time.time() + req["seconds"], host=req["host"], port=req["port"]):
                while time.time() < until:
                    try:
                        c = socket.create_connection((host, port))
                        a, _ = l.accept()
                        c.close()
                        a.close()
                    except OSError:
                        time.sleep(0.01)
            for _ in range(req.get("threads", 1)):
                threading.Thread(target=run, daemon=True).start()
            out({"id": rid, "ok": True})
        else:
            raise ValueError("unknown op " + op)
    except Exception as e:
        out({"id": rid, "ok": False, "error": repr(e)})
`;
import { TCP_STATES } from '../../src/domain/states';

export interface HolderReply {
  id: number;
  ok: boolean;
  error?: string;
  local?: [string, number];
  inode?: number;
  connectErrno?: number;
  received?: number;
}

export type HolderRequest =
  | { op: 'listen'; name: string; family: 4 | 6; host: string; port: number; backlog?: number; dualStack?: boolean }
  | { op: 'connect'; name: string; family: 4 | 6; host: string; port: number; wait?: boolean }
  | { op: 'accept'; name: string; listener: string }
  | { op: 'shutdown'; name: string }
  | { op: 'close'; name: string }
  | { op: 'abort'; name: string }
  | { op: 'send'; name: string; bytes: number }
  | { op: 'recv'; name: string }
  | { op: 'echo'; name: string }
  | { op: 'exchange'; name: string; everyMs: number; seconds: number; bytes: number }
  | { op: 'churn'; name: string; host: string; port: number; seconds: number; threads?: number };

/** A process inside the namespace that opens and closes sockets on request. */
export class SocketHolder {
  pid = 0;
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, (r: HolderReply) => void>();
  private stderr = '';

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (d) => (this.stderr += String(d)));
    const lines = createInterface({ input: child.stdout! });
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        const err = new Error(`socket holder ${label} exited (${code}): ${this.stderr.trim()}`);
        reject(err);
        for (const p of this.pending.values()) p({ id: 0, ok: false, error: err.message });
        this.pending.clear();
      });
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as HolderReply & { ready?: boolean; pid?: number };
        if (msg.ready) {
          this.pid = msg.pid ?? 0;
          resolve();
          return;
        }
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.(msg);
      });
    });
  }

  async request(req: HolderRequest): Promise<HolderReply> {
    const id = this.nextId++;
    const reply = await new Promise<HolderReply>((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(JSON.stringify({ ...req, id }) + '\n');
    });
    if (!reply.ok) throw new Error(`${this.label}: ${req.op} ${req.name}: ${reply.error}`);
    return reply;
  }
}

/** A row's whole identity: two rows of one sample alike in all of it are the same socket listed twice. */
export function rowKey(s: Pick<SocketRecord, 'family' | 'local' | 'remote' | 'state' | 'inode'>): string {
  return `${s.family} ${s.local.address}:${s.local.port} ${s.remote.address}:${s.remote.port} ${s.state} ${s.inode}`;
}

/** What netnsSampleMain.js prints when asked for several samples. */
export interface DuplicateReport {
  samples: number;
  withDuplicates: number;
  rows: number;
  /** rowKey of one row that was listed twice. */
  example: string | null;
}

/** One socket the scenario drove into a known state, as any sampler must report it. */
export interface ExpectedSocket {
  /** What the socket is for, e.g. `v4 closing: client`. */
  label: string;
  state: TcpState;
  family: AddressFamily;
  local: Endpoint;
  remote: Endpoint;
  /** The holder process with the socket's fd, or null when the socket has no fd (TIME-WAIT, request socket). */
  pid: number | null;
  /** Socket inode (fstat of the fd), or 0 when the socket has no fd. */
  inode: number;
}

interface Side {
  host: string;
  family: 4 | 6;
  /** Address as the sampler spells it (IPv4-mapped for a dual-stack IPv6 socket talking IPv4). */
  text: string;
}

/**
 * Drives sockets into all ten observable states (everything but CLOSED) for one address family, with
 * listeners on ports base+1 .. base+7:
 *   +1 LISTEN, and an ESTABLISHED pair
 *   +2 SYN-SENT: every segment to the port is dropped, so the SYN is never answered (tcp_syn_retries keeps
 *      the client trying for about two minutes)
 *   +3 SYN-RECEIVED: the handshake's final ACK is dropped; the listener's request socket (NEW_SYN_RECV,
 *      shown as SYN-RECV, no fd) waits, the client is ESTABLISHED
 *   +4 CLOSE-WAIT / FIN-WAIT-2: the client half-closes, the server never does
 *   +5 LAST-ACK / FIN-WAIT-2: then the server half-closes too and its FIN is dropped
 *   +6 CLOSING / FIN-WAIT-1: both FINs are dropped, then only the server's FIN is let through. It reaches the
 *      client in FIN-WAIT-1 without acknowledging the client's FIN (the server never saw it), so the client
 *      enters CLOSING (RFC 9293 3.10.7.4, Linux tcp_fin()); the client's FIN and ACKs stay dropped, so the
 *      server stays in FIN-WAIT-1 and the client in CLOSING while both retransmit.
 *   +7 TIME-WAIT: the client closes first, the server then closes; the client holds TIME-WAIT for 60 s
 *      (TCP_TIMEWAIT_LEN) with no fd.
 * Returns what each socket must look like. The drop rules accumulate in `rules` (the caller's list, shared
 * between families because setDropRules replaces the whole ruleset).
 */
export async function driveAllStates(
  ns: NetNamespace,
  server: SocketHolder,
  client: SocketHolder,
  opts: { family: 4 | 6; base: number; rules: string[] },
): Promise<ExpectedSocket[]> {
  const { family, base, rules } = opts;
  const host = family === 4 ? '127.0.0.1' : '::1';
  const fam: AddressFamily = family === 4 ? 'ipv4' : 'ipv6';
  const v = `v${family}`;
  const ep = (port: number): Endpoint => ({ address: host, port });
  const out: ExpectedSocket[] = [];
  const push = (label: string, state: TcpState, local: Endpoint, remote: Endpoint, pid: number | null, inode: number): void => {
    out.push({ label: `${v} ${label}`, state, family: fam, local, remote, pid, inode });
  };
  const any: Endpoint = { address: family === 4 ? '0.0.0.0' : '::', port: 0 };
  const listen = async (n: number): Promise<number> => (await server.request({ op: 'listen', name: `${v}l${n}`, family, host, port: base + n })).inode!;

  // +1: LISTEN and ESTABLISHED.
  const l1 = await listen(1);
  push('listener', 'LISTEN', ep(base + 1), any, server.pid, l1);
  const c1 = await client.request({ op: 'connect', name: `${v}c1`, family, host, port: base + 1, wait: true });
  const s1 = await server.request({ op: 'accept', name: `${v}s1`, listener: `${v}l1` });
  const c1port = c1.local![1];
  push('established: client', 'ESTABLISHED', ep(c1port), ep(base + 1), client.pid, c1.inode!);
  push('established: server', 'ESTABLISHED', ep(base + 1), ep(c1port), server.pid, s1.inode!);

  // +2: SYN-SENT. +3: SYN-RECEIVED. Rules first, then the connects.
  rules.push(`meta nfproto ipv${family} tcp dport ${base + 2} drop`);
  rules.push(`meta nfproto ipv${family} tcp dport ${base + 3} tcp flags & (fin | syn | rst | ack) == ack drop`);
  ns.setDropRules(rules);
  const c2 = await client.request({ op: 'connect', name: `${v}c2`, family, host, port: base + 2 });
  push('syn-sent: client', 'SYN-SENT', ep(c2.local![1]), ep(base + 2), client.pid, c2.inode!);
  const l3 = await listen(3);
  push('syn-recv listener', 'LISTEN', ep(base + 3), any, server.pid, l3);
  const c3 = await client.request({ op: 'connect', name: `${v}c3`, family, host, port: base + 3, wait: true });
  push('syn-recv: client', 'ESTABLISHED', ep(c3.local![1]), ep(base + 3), client.pid, c3.inode!);
  push('syn-recv: request socket', 'SYN-RECEIVED', ep(base + 3), ep(c3.local![1]), null, 0);

  // +4: CLOSE-WAIT / FIN-WAIT-2.
  const l4 = await listen(4);
  push('close-wait listener', 'LISTEN', ep(base + 4), any, server.pid, l4);
  const c4 = await client.request({ op: 'connect', name: `${v}c4`, family, host, port: base + 4, wait: true });
  const s4 = await server.request({ op: 'accept', name: `${v}s4`, listener: `${v}l4` });
  await client.request({ op: 'shutdown', name: `${v}c4` });
  push('close-wait: client', 'FIN-WAIT-2', ep(c4.local![1]), ep(base + 4), client.pid, c4.inode!);
  push('close-wait: server', 'CLOSE-WAIT', ep(base + 4), ep(c4.local![1]), server.pid, s4.inode!);

  // +5: LAST-ACK / FIN-WAIT-2.
  const l5 = await listen(5);
  push('last-ack listener', 'LISTEN', ep(base + 5), any, server.pid, l5);
  const c5 = await client.request({ op: 'connect', name: `${v}c5`, family, host, port: base + 5, wait: true });
  const s5 = await server.request({ op: 'accept', name: `${v}s5`, listener: `${v}l5` });
  const c5port = c5.local![1];
  await client.request({ op: 'shutdown', name: `${v}c5` });
  await waitForStates(ns, [{ local: ep(base + 5), remote: ep(c5port), state: 'CLOSE-WAIT' }]);
  rules.push(`meta nfproto ipv${family} tcp sport ${base + 5} tcp dport ${c5port} drop`);
  ns.setDropRules(rules);
  await server.request({ op: 'shutdown', name: `${v}s5` });
  push('last-ack: client', 'FIN-WAIT-2', ep(c5port), ep(base + 5), client.pid, c5.inode!);
  push('last-ack: server', 'LAST-ACK', ep(base + 5), ep(c5port), server.pid, s5.inode!);

  // +6: CLOSING / FIN-WAIT-1.
  const l6 = await listen(6);
  push('closing listener', 'LISTEN', ep(base + 6), any, server.pid, l6);
  const c6 = await client.request({ op: 'connect', name: `${v}c6`, family, host, port: base + 6, wait: true });
  const s6 = await server.request({ op: 'accept', name: `${v}s6`, listener: `${v}l6` });
  const c6port = c6.local![1];
  const clientToServer = `meta nfproto ipv${family} tcp sport ${c6port} tcp dport ${base + 6} drop`;
  const serverToClient = `meta nfproto ipv${family} tcp sport ${base + 6} tcp dport ${c6port} drop`;
  ns.setDropRules([...rules, clientToServer, serverToClient]);
  await client.request({ op: 'shutdown', name: `${v}c6` });
  await server.request({ op: 'shutdown', name: `${v}s6` });
  await waitForStates(ns, [
    { local: ep(c6port), remote: ep(base + 6), state: 'FIN-WAIT-1' },
    { local: ep(base + 6), remote: ep(c6port), state: 'FIN-WAIT-1' },
  ]);
  rules.push(clientToServer);
  ns.setDropRules(rules);
  push('closing: client', 'CLOSING', ep(c6port), ep(base + 6), client.pid, c6.inode!);
  push('closing: server', 'FIN-WAIT-1', ep(base + 6), ep(c6port), server.pid, s6.inode!);

  // +7: TIME-WAIT on the side that closes first.
  await listen(7);
  const c7 = await client.request({ op: 'connect', name: `${v}c7`, family, host, port: base + 7, wait: true });
  await server.request({ op: 'accept', name: `${v}s7`, listener: `${v}l7` });
  const c7port = c7.local![1];
  await client.request({ op: 'close', name: `${v}c7` });
  await waitForStates(ns, [{ local: ep(base + 7), remote: ep(c7port), state: 'CLOSE-WAIT' }]);
  await server.request({ op: 'close', name: `${v}s7` });
  await server.request({ op: 'close', name: `${v}l7` });
  push('time-wait: client', 'TIME-WAIT', ep(c7port), ep(base + 7), null, 0);

  // The CLOSING side waits for the server's retransmitted FIN (RTO >= TCP_RTO_MIN, 200 ms, doubling).
  await waitForStates(ns, out, 15_000);
  return out;
}

/**
 * Sockets whose IPv4 traffic goes through IPv6 sockets: a dual-stack IPv6 client connected to an IPv4
 * listener (its row is in /proc/net/tcp6 as ::ffff:127.0.0.1), and a dual-stack `[::]` listener with an
 * accepted IPv4 client (the accepted socket is IPv6, IPv4-mapped).
 */
export async function driveMappedSockets(server: SocketHolder, client: SocketHolder, ns: NetNamespace, port4: number, port6: number): Promise<ExpectedSocket[]> {
  const out: ExpectedSocket[] = [];
  const v4: Side = { host: '127.0.0.1', family: 4, text: '127.0.0.1' };
  const mapped: Side = { host: '::ffff:127.0.0.1', family: 6, text: '::ffff:127.0.0.1' };
  const fam = (s: Side): AddressFamily => (s.family === 4 ? 'ipv4' : 'ipv6');

  const l = await server.request({ op: 'listen', name: 'm4l', family: 4, host: '127.0.0.1', port: port4 });
  out.push({ label: 'mapped: v4 listener', state: 'LISTEN', family: 'ipv4', local: { address: '127.0.0.1', port: port4 }, remote: { address: '0.0.0.0', port: 0 }, pid: server.pid, inode: l.inode! });
  const c = await client.request({ op: 'connect', name: 'm4c', family: 6, host: mapped.host, port: port4, wait: true });
  const s = await server.request({ op: 'accept', name: 'm4s', listener: 'm4l' });
  out.push({ label: 'mapped: dual-stack client', state: 'ESTABLISHED', family: fam(mapped), local: { address: mapped.text, port: c.local![1] }, remote: { address: mapped.text, port: port4 }, pid: client.pid, inode: c.inode! });
  out.push({ label: 'mapped: v4 server', state: 'ESTABLISHED', family: fam(v4), local: { address: v4.text, port: port4 }, remote: { address: v4.text, port: c.local![1] }, pid: server.pid, inode: s.inode! });

  const l6 = await server.request({ op: 'listen', name: 'm6l', family: 6, host: '::', port: port6, dualStack: true });
  out.push({ label: 'mapped: dual-stack listener', state: 'LISTEN', family: 'ipv6', local: { address: '::', port: port6 }, remote: { address: '::', port: 0 }, pid: server.pid, inode: l6.inode! });
  const c2 = await client.request({ op: 'connect', name: 'm6c', family: 4, host: '127.0.0.1', port: port6, wait: true });
  const s2 = await server.request({ op: 'accept', name: 'm6s', listener: 'm6l' });
  out.push({ label: 'mapped: v4 client of dual-stack listener', state: 'ESTABLISHED', family: 'ipv4', local: { address: '127.0.0.1', port: c2.local![1] }, remote: { address: '127.0.0.1', port: port6 }, pid: client.pid, inode: c2.inode! });
  out.push({ label: 'mapped: dual-stack accepted', state: 'ESTABLISHED', family: 'ipv6', local: { address: mapped.text, port: port6 }, remote: { address: mapped.text, port: c2.local![1] }, pid: server.pid, inode: s2.inode! });
  await waitForStates(ns, out);
  return out;
}

/** Waits until `ss` inside the namespace shows each wanted (local, remote, state). */
export async function waitForStates(ns: NetNamespace, wanted: readonly Pick<ExpectedSocket, 'local' | 'remote' | 'state'>[], timeoutMs = 10_000): Promise<void> {
  let missing: string[] = [];
  try {
    await waitFor(
      'sockets to reach their states',
      () => {
        const rows = ns.ssRows();
        missing = wanted.filter((w) => !rows.some((r) => r.state === w.state && sameEndpoint(r.local, w.local) && sameEndpoint(r.remote, w.remote))).map((w) => `${w.state} ${w.local.address}:${w.local.port} -> ${w.remote.address}:${w.remote.port}`);
        return missing.length === 0 ? true : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; still missing: ${missing.join(', ')}\n${ns.run('/usr/bin/ss', ['-tan'])}`);
  }
}

/** Endpoints equal, treating every spelling of the wildcard address (`*`, 0.0.0.0, ::) as one. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  const wild = (s: string): string => (s === '*' || s === '0.0.0.0' || s === '::' ? '*' : s);
  return a.port === b.port && wild(a.address) === wild(b.address);
}

/** Every IPv4 + IPv6 + IPv4-mapped socket in all ten states, inside a fresh namespace. */
export interface AllStatesWorld {
  ns: NetNamespace;
  server: SocketHolder;
  client: SocketHolder;
  expected: ExpectedSocket[];
  dispose(): Promise<void>;
}

export async function buildAllStatesWorld(opts: { ipv6?: boolean; mapped?: boolean } = {}): Promise<AllStatesWorld> {
  const ns = NetNamespace.create();
  try {
    const server = await ns.startHolder('server');
    const client = await ns.startHolder('client');
    const rules: string[] = [];
    const expected = await driveAllStates(ns, server, client, { family: 4, base: 5000, rules });
    if (opts.ipv6 !== false) expected.push(...(await driveAllStates(ns, server, client, { family: 6, base: 6000, rules })));
    if (opts.mapped !== false) expected.push(...(await driveMappedSockets(server, client, ns, 7001, 7002)));
    return { ns, server, client, expected, dispose: () => ns.dispose() };
  } catch (e) {
    await ns.dispose();
    throw e;
  }
}
