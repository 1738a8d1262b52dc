// The Windows backend: which way it reads (koffi, or netstat and PowerShell when koffi does not load or bind), its
// command lines, and its parsing glue on recorded netstat output (English -ano, German -an with UDP rows). koffi
// is installed here as an optional dependency (its Linux binary): its real loader and type system are used, which
// is all of it that can run off Windows; binding iphlpapi.dll fails here, so the real fallback path runs too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SamplerError } from '../../../../src/sampling/socketSampler';
import { NETSTAT_ARGS, PROCESS_REFRESH_MS, Win32Source, createWin32Platform } from '../../../../src/sampling/platforms/win32/backend';
import {
  AF_INET,
  ERROR_INSUFFICIENT_BUFFER,
  NO_ERROR,
  PROTOTYPES,
  TCP_TABLE_OWNER_PID_ALL,
  filetimeMs,
  loadKoffi,
  readTcpTableWith,
  win32Types,
  type TcpTableCall,
} from '../../../../src/sampling/platforms/win32/native';
import { parsePowershellProcesses, powershellArgs, powershellScript } from '../../../../src/sampling/platforms/win32/processes';
import { decodeTcpTable, IPV4_ROW_BYTES } from '../../../../src/sampling/platforms/win32/tcpTable';
import { commandLine, replay, type Call } from './replay';
import { fixtureText } from './fixtures';

const en = fixtureText('win32-netstat-ano-en.txt');
const de = fixtureText('win32-netstat-an-de.txt');

// PowerShell's answer in the format the backend's own script prints (processes.ts: ConvertTo-Json -Compress of
// p, pp, n, c, t). No recording of it from a Windows machine was available: this checks the reader against the
// script's format, not the script against Windows.
const PS_JSON = JSON.stringify([
  { p: 0, pp: 0, n: 'System Idle Process', c: null, t: 0 },
  { p: 4, pp: 0, n: 'System', c: null, t: 0 },
  { p: 896, pp: 4, n: 'svchost.exe', c: 'C:\\WINDOWS\\system32\\svchost.exe -k RPCSS -p', t: 1_700_000_000_000 },
  { p: 2276, pp: 896, n: 'node.exe', c: '"C:\\Program Files\\nodejs\\node.exe" server.js', t: 1_700_000_100_000 },
]);

const notKoffi = () => ({ ok: false as const, reason: 'test: not loaded' });

function answers(netstat: string) {
  return (c: Call): string => {
    if (c.file === 'netstat') return netstat;
    if (c.file === 'powershell.exe') return PS_JSON;
    throw new Error(`unexpected ${commandLine(c)}`);
  };
}

test('koffi absent: netstat -ano and one PowerShell query, the table and the process tree from them', async () => {
  const { run, calls } = replay(answers(en));
  const platform = createWin32Platform({ run, loadKoffi: notKoffi });
  const sample = await platform.sample({ scope: { mode: 'all' } });
  assert.equal(sample.backend, 'netstat');
  assert.deepEqual(platform.source.mode(), { kind: 'programs', why: 'koffi did not load (test: not loaded)' });
  assert.equal(platform.describe(), "Windows (experimental): netstat -ano and PowerShell's Win32_Process, because koffi did not load (test: not loaded)");
  const netstat = calls.filter((c) => c.file === 'netstat');
  assert.deepEqual(netstat.map(commandLine), [`netstat ${NETSTAT_ARGS.join(' ')}`]);
  assert.equal(netstat[0].options.encoding, 'latin1', 'the OEM code page, byte for byte');
  const ps = calls.filter((c) => c.file === 'powershell.exe');
  assert.equal(ps.length, 1, 'one query gives the table, the names and the command lines');
  const encoded = ps[0].args[ps[0].args.indexOf('-EncodedCommand') + 1];
  assert.equal(Buffer.from(encoded, 'base64').toString('utf16le'), powershellScript());
  assert.deepEqual(ps[0].args.slice(0, 4), ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass']);
  // Owners named from the process table; pid 4 is System.
  const listener = sample.sockets.find((s) => s.local.port === 135);
  assert.deepEqual(listener?.owners, [{ pid: 896, command: 'svchost.exe' }]);
  assert.ok(sample.sockets.some((s) => s.owners.some((o) => o.pid === 4 && o.command === 'System')));
  assert.deepEqual(platform.capabilities().commandLines, true);
  assert.deepEqual(platform.capabilities().processCwd, false);

  // The workspace: node.exe (2276) under svchost (896) as the root's tree; its command line from the same query.
  const ws = await platform.sample({ scope: { mode: 'workspace', rootPids: [896], folders: [] } });
  assert.deepEqual(ws.scopePids, [896, 2276]);
  assert.deepEqual(ws.sockets.map((s) => s.local.port).sort((a, b) => a - b), [135, 623, 16992]);
  assert.deepEqual(ws.processes.find((p) => p.pid === 2276)?.commandLine, ['"C:\\Program Files\\nodejs\\node.exe" server.js']);
  assert.equal(calls.filter((c) => c.file === 'powershell.exe').length, 1, `PowerShell runs at most every ${PROCESS_REFRESH_MS} ms`);
});

test('German netstat: the UDP lines are left out, the German words read, ABH™REN and the listener rule hold', async () => {
  const { run } = replay(answers(de));
  const sample = await createWin32Platform({ run, loadKoffi: notKoffi }).sample({ scope: { mode: 'all' } });
  const states = new Set(sample.sockets.map((s) => s.state));
  for (const s of ['LISTEN', 'ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-2', 'TIME-WAIT'] as const) assert.ok(states.has(s), s);
  assert.ok(sample.sockets.some((s) => s.family === 'ipv6'));
  assert.ok(sample.sockets.every((s) => s.owners.length === 0), '-an has no PID column: no owner is made up');

  // Without dropping UDP lines first, the parser would have reported them (the test fails without the filter).
  assert.ok(de.split('\n').some((l) => /^\s*UDP\s/.test(l)));
});

test('netstat output that is no table, or a word no table knows, fails the sample with the line or the word', async () => {
  const cases: [string, RegExp][] = [
    ['', /printed no TCP row/],
    ['Der angeforderte Vorgang erfordert erhöhte Rechte.\r\n', /cannot read: "Der angeforderte Vorgang erfordert erhöhte Rechte\."/],
    [en.replace('LISTENING       896', 'ABGEBROCHEN     896').replace('0.0.0.0:135            0.0.0.0:0', '10.0.0.1:135           10.0.0.2:5000'), /the state "ABGEBROCHEN" for 10\.0\.0\.1:135 -> 10\.0\.0\.2:5000/],
  ];
  for (const [text, message] of cases) {
    const { run } = replay(answers(text));
    await assert.rejects(createWin32Platform({ run, loadKoffi: notKoffi }).sample({ scope: { mode: 'all' } }), (e: unknown) => e instanceof SamplerError && e.code === 'unparsable' && message.test(e.message));
  }
});

// On Windows iphlpapi.dll does bind: there, the live smoke test (test/smoke) covers the koffi path instead.
test('the real koffi loads here, but iphlpapi.dll does not: the backend falls back to the programs and says why', { skip: process.platform === 'win32' ? 'iphlpapi.dll binds on Windows' : false }, () => {
  const loaded = loadKoffi();
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
  const source = new Win32Source({ run: replay(answers(en)).run });
  const mode = source.mode();
  assert.equal(mode.kind, 'programs');
  assert.match(mode.kind === 'programs' ? mode.why : '', /^the Win32 functions could not be bound through koffi \(iphlpapi\.dll: /);
  // retryPreferred asks again (after new settings), and the answer is the same here.
  source.retryPreferred();
  assert.equal(source.mode().kind, 'programs');
});

test('the Win32 declarations in koffi\'s type system: PROCESSENTRY32W and FILETIME as tlhelp32.h and minwinbase.h lay them out, every prototype parses', () => {
  const loaded = loadKoffi();
  if (!loaded.ok) throw new Error(loaded.reason);
  const koffi = loaded.koffi;
  const types = win32Types(koffi);
  assert.equal(win32Types(koffi), types, 'declared once per koffi module');
  const pointer = koffi.sizeof('void *');
  // 64-bit: th32DefaultHeapID (ULONG_PTR) is aligned to 8 at offset 16, szExeFile at 44, the size padded to 568;
  // 32-bit: no padding, szExeFile at 36, 556 bytes (sizeof(PROCESSENTRY32W) on each).
  const expected = pointer === 8 ? { heap: 16, parent: 32, exe: 44, size: 568 } : { heap: 12, parent: 24, exe: 36, size: 556 };
  assert.deepEqual(
    {
      heap: koffi.offsetof(types.PROCESSENTRY32W, 'th32DefaultHeapID'),
      parent: koffi.offsetof(types.PROCESSENTRY32W, 'th32ParentProcessID'),
      exe: koffi.offsetof(types.PROCESSENTRY32W, 'szExeFile'),
      size: koffi.sizeof(types.PROCESSENTRY32W),
    },
    expected,
  );
  assert.equal(koffi.sizeof(types.FILETIME), 8);
  for (const [name, prototype] of Object.entries(PROTOTYPES)) assert.doesNotThrow(() => koffi.proto(prototype), name);
});

test('GetExtendedTcpTable\'s sizing as Microsoft documents it: too small, grow, call again; the bytes end after the rows', () => {
  // A call that answers like the documented function, over a table that grows by one row between the calls.
  const rows = (n: number): Buffer => {
    const b = Buffer.alloc(4 + n * IPV4_ROW_BYTES);
    b.writeUInt32LE(n, 0);
    for (let i = 0; i < n; i++) {
      const at = 4 + i * IPV4_ROW_BYTES;
      b.writeUInt32LE(2, at); // MIB_TCP_STATE_LISTEN
      b.set([127, 0, 0, 1], at + 4);
      b.writeUInt16BE(8000 + i, at + 8);
      b.writeUInt32LE(1000 + i, at + 20);
    }
    return b;
  };
  let n = 3;
  const seen: (number | null)[] = [];
  const call: TcpTableCall = (buffer, size, _order, af, tableClass) => {
    assert.equal(af, AF_INET);
    assert.equal(tableClass, TCP_TABLE_OWNER_PID_ALL);
    seen.push(buffer === null ? null : buffer.length);
    const table = rows(n++);
    if (buffer === null || size[0] < table.length) {
      size[0] = table.length;
      return ERROR_INSUFFICIENT_BUFFER;
    }
    table.copy(buffer);
    return NO_ERROR;
  };
  const bytes = readTcpTableWith(call, 'ipv4');
  assert.deepEqual(seen, [null, 4 + 3 * IPV4_ROW_BYTES + 16 * IPV4_ROW_BYTES]);
  const parse = decodeTcpTable(bytes, 'ipv4');
  assert.deepEqual(parse.unparsed, [], 'the room left for growth is not read as bytes after the table');
  assert.deepEqual(parse.rows.map((r) => [r.local.port, r.pid]), [[8000, 1000], [8001, 1001], [8002, 1002], [8003, 1003]]);

  assert.throws(() => readTcpTableWith(() => 87, 'ipv6'), (e: unknown) => e instanceof SamplerError && e.code === 'tool-failed' && /AF_INET6.*returned 87/.test(e.message));
  assert.throws(() => readTcpTableWith((_b, size) => ((size[0] += 10_000), ERROR_INSUFFICIENT_BUFFER), 'ipv4'), /kept answering that the buffer is too small/);
});

test('FILETIME and PowerShell times meet: ms since the epoch', () => {
  // 2024-01-01T00:00:00Z is 133485408000000000 100-ns ticks after 1601-01-01.
  const ticks = 133_485_408_000_000_000n;
  assert.equal(filetimeMs(Number(ticks >> 32n), Number(ticks & 0xffff_ffffn)), Date.UTC(2024, 0, 1));
  const list = parsePowershellProcesses(PS_JSON);
  assert.deepEqual(list?.map((p) => [p.pid, p.ppid, p.command, p.startTime]), [
    [0, 0, 'System Idle Process', 0],
    [4, 0, 'System', 0],
    [896, 4, 'svchost.exe', 1_700_000_000_000],
    [2276, 896, 'node.exe', 1_700_000_100_000],
  ]);
  assert.deepEqual(parsePowershellProcesses('\uFEFF{"p":7,"pp":4,"n":"x.exe","c":"x","t":5}')?.map((p) => p.pid), [7], 'one object, with a BOM');
  assert.deepEqual(parsePowershellProcesses(''), []);
  assert.equal(parsePowershellProcesses('Get-CimInstance : Access denied'), null);
  assert.ok(powershellArgs(powershellScript(42)).every((a) => !a.includes('"')), 'no quote for Windows\' command-line quoting to get wrong');
  assert.match(powershellScript(42), /-Filter "ProcessId=42"/);
});
