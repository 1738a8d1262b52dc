// The Win32 calls of the Windows backend, through koffi (npm, MIT: a C FFI with prebuilt binaries, no compile step).
// koffi is an optional dependency loaded at run time: when it does not load (not shipped for this target, blocked,
// or a Node it does not support) the backend reads `netstat -ano` and PowerShell instead (backend.ts).
//
// The calls and layouts are Microsoft's (learn.microsoft.com, win32/api): iphlpapi GetExtendedTcpTable with
// TCP_TABLE_OWNER_PID_ALL (decoded by tcpTable.ts); kernel32 CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS),
// Process32FirstW/Process32NextW with PROCESSENTRY32W (tlhelp32.h), OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION),
// GetProcessTimes (its FILETIME creation time: 100 ns ticks since 1601-01-01 UTC) and CloseHandle.
// The process tree comes from the Toolhelp snapshot: one call lists every process with its parent and executable
// name (psutil and gopsutil read parents the same way), without starting a program; start times cost one
// OpenProcess + GetProcessTimes per process (microseconds each).
// Only synchronous calls, on the sampler worker thread; none of these functions starts threads of its own (koffi's
// issue 274: a library that does can keep a worker thread from ending).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AddressFamily } from '../../../domain/types';
import { SamplerError } from '../../socketSampler';
import { IPV4_ROW_BYTES, IPV6_ROW_BYTES } from './tcpTable';

/** The part of koffi's API this backend uses (koffi's own index.d.ts has more). */
export interface KoffiModule {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
  struct(name: string, def: Record<string, unknown>): unknown;
  array(type: string, length: number, hint: 'String'): unknown;
  sizeof(type: unknown): number;
  offsetof(type: unknown, member: string): number;
  proto(definition: string): unknown;
  address(value: unknown): bigint;
}

export type KoffiLoad = { ok: true; koffi: KoffiModule } | { ok: false; reason: string };
export type KoffiLoader = () => KoffiLoad;

function isKoffi(m: unknown): m is KoffiModule {
  if (typeof m !== 'object' || m === null) return false;
  const k = m as Record<string, unknown>;
  return ['load', 'struct', 'array', 'sizeof', 'offsetof', 'proto', 'address'].every((f) => typeof k[f] === 'function');
}

/**
 * koffi as the Windows VSIX ships it (dist/koffi, next to this bundle: scripts/package.mjs), else from node_modules
 * (development). Never throws: a failure is the reason, for the log.
 */
export function loadKoffi(): KoffiLoad {
  const load = createRequire(__filename);
  const reasons: string[] = [];
  for (const id of [join(__dirname, 'koffi'), 'koffi']) {
    try {
      const m: unknown = load(id);
      if (isKoffi(m)) return { ok: true, koffi: m };
      reasons.push(`${id}: not koffi`);
    } catch (e) {
      reasons.push(`${id}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  return { ok: false, reason: reasons.join('; ') };
}

export const AF_INET = 2;
export const AF_INET6 = 23;
export const TCP_TABLE_OWNER_PID_ALL = 5;
export const NO_ERROR = 0;
export const ERROR_INSUFFICIENT_BUFFER = 122;
const TH32CS_SNAPPROCESS = 0x2;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
/** FILETIME of 1970-01-01 UTC, in ms (11644473600 s after 1601-01-01). */
const FILETIME_EPOCH_MS = 11_644_473_600_000;

/** The prototypes, in koffi's C-like syntax (BOOL is a 4-byte int; HANDLE a pointer; DWORD/ULONG 32 bits). */
export const PROTOTYPES = {
  GetExtendedTcpTable: 'uint32_t __stdcall GetExtendedTcpTable(_Out_ uint8_t *pTcpTable, _Inout_ uint32_t *pdwSize, int bOrder, uint32_t ulAf, int TableClass, uint32_t Reserved)',
  CreateToolhelp32Snapshot: 'void * __stdcall CreateToolhelp32Snapshot(uint32_t dwFlags, uint32_t th32ProcessID)',
  Process32FirstW: 'int __stdcall Process32FirstW(void *hSnapshot, _Inout_ PROCESSENTRY32W *lppe)',
  Process32NextW: 'int __stdcall Process32NextW(void *hSnapshot, _Inout_ PROCESSENTRY32W *lppe)',
  OpenProcess: 'void * __stdcall OpenProcess(uint32_t dwDesiredAccess, int bInheritHandle, uint32_t dwProcessId)',
  GetProcessTimes: 'int __stdcall GetProcessTimes(void *hProcess, _Out_ FILETIME *lpCreationTime, _Out_ FILETIME *lpExitTime, _Out_ FILETIME *lpKernelTime, _Out_ FILETIME *lpUserTime)',
  CloseHandle: 'int __stdcall CloseHandle(void *hObject)',
} as const;

export interface Win32Types {
  PROCESSENTRY32W: unknown;
  FILETIME: unknown;
}

const typesByModule = new WeakMap<KoffiModule, Win32Types>();

/** The structs, declared once per koffi module (koffi's type names are global to it). */
export function win32Types(koffi: KoffiModule): Win32Types {
  let types = typesByModule.get(koffi);
  if (types === undefined) {
    types = {
      // tlhelp32.h: th32DefaultHeapID is a ULONG_PTR, so the layout differs between 32 and 64 bits (koffi aligns).
      PROCESSENTRY32W: koffi.struct('PROCESSENTRY32W', {
        dwSize: 'uint32_t',
        cntUsage: 'uint32_t',
        th32ProcessID: 'uint32_t',
        th32DefaultHeapID: 'uintptr_t',
        th32ModuleID: 'uint32_t',
        cntThreads: 'uint32_t',
        th32ParentProcessID: 'uint32_t',
        pcPriClassBase: 'int32_t',
        dwFlags: 'uint32_t',
        szExeFile: koffi.array('char16_t', 260, 'String'),
      }),
      FILETIME: koffi.struct('FILETIME', { dwLowDateTime: 'uint32_t', dwHighDateTime: 'uint32_t' }),
    };
    typesByModule.set(koffi, types);
  }
  return types;
}

/** A FILETIME as ms since the epoch (whole ms, rounded down). */
export function filetimeMs(high: number, low: number): number {
  return Math.floor((high * 2 ** 32 + low) / 10_000) - FILETIME_EPOCH_MS;
}

/** One call of GetExtendedTcpTable: (buffer or null, [size in/out], ...) -> its DWORD result. */
export type TcpTableCall = (buffer: Buffer | null, size: [number], order: number, af: number, tableClass: number, reserved: number) => number;

/**
 * The table of one family, sized as Microsoft documents: a call with a buffer too small (or none) answers
 * ERROR_INSUFFICIENT_BUFFER with the size needed; the table may grow before the next call, so the buffer gets room
 * for 16 more rows, and the call is repeated (a few times at most). The bytes returned end after dwNumEntries rows.
 */
export function readTcpTableWith(call: TcpTableCall, family: AddressFamily): Uint8Array {
  const af = family === 'ipv4' ? AF_INET : AF_INET6;
  const rowBytes = family === 'ipv4' ? IPV4_ROW_BYTES : IPV6_ROW_BYTES;
  const size: [number] = [0];
  let buffer: Buffer | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const rc = call(buffer, size, 0, af, TCP_TABLE_OWNER_PID_ALL, 0);
    if (rc === NO_ERROR && buffer !== null) {
      const entries = buffer.readUInt32LE(0);
      return buffer.subarray(0, Math.min(buffer.length, 4 + entries * rowBytes));
    }
    if (rc !== ERROR_INSUFFICIENT_BUFFER && !(rc === NO_ERROR && buffer === null)) {
      throw new SamplerError('tool-failed', `GetExtendedTcpTable(${family === 'ipv4' ? 'AF_INET' : 'AF_INET6'}, TCP_TABLE_OWNER_PID_ALL) returned ${rc}.`);
    }
    size[0] = Math.max(size[0], 4) + 16 * rowBytes;
    buffer = Buffer.alloc(size[0]);
  }
  throw new SamplerError('tool-failed', 'GetExtendedTcpTable kept answering that the buffer is too small: the table grows faster than it can be read.');
}

export interface NativeProcess {
  pid: number;
  ppid: number;
  /** szExeFile: the executable's file name (`node.exe`). */
  command: string;
}

/** What the backend calls: the tables and the process list, bound to one koffi module. */
export interface Win32Native {
  tcpTable(family: AddressFamily): Uint8Array;
  processes(): NativeProcess[];
  /** Creation time in ms since the epoch, or null when the process cannot be opened (gone, or protected). */
  creationTime(pid: number): number | null;
}

const bindings = new WeakMap<KoffiModule, Win32Native>();

/** The Win32 functions through `koffi`; throws when a library or function cannot be bound (not Windows). */
export function bindWin32(koffi: KoffiModule): Win32Native {
  const known = bindings.get(koffi);
  if (known !== undefined) return known;
  const types = win32Types(koffi);
  const load = (name: string) => {
    try {
      return koffi.load(name);
    } catch (e) {
      throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const iphlpapi = load('iphlpapi.dll');
  const kernel32 = load('kernel32.dll');
  const getTable = iphlpapi.func(PROTOTYPES.GetExtendedTcpTable);
  const snapshot = kernel32.func(PROTOTYPES.CreateToolhelp32Snapshot);
  const first = kernel32.func(PROTOTYPES.Process32FirstW);
  const next = kernel32.func(PROTOTYPES.Process32NextW);
  const openProcess = kernel32.func(PROTOTYPES.OpenProcess);
  const getTimes = kernel32.func(PROTOTYPES.GetProcessTimes);
  const closeHandle = kernel32.func(PROTOTYPES.CloseHandle);
  const entrySize = koffi.sizeof(types.PROCESSENTRY32W);
  /** INVALID_HANDLE_VALUE is (HANDLE)-1: all bits set, whatever the pointer size. */
  const invalid = (h: unknown): boolean => h === null || koffi.address(h) === (1n << BigInt(8 * koffi.sizeof('void *'))) - 1n;
  const native: Win32Native = {
    tcpTable: (family) => readTcpTableWith((buffer, size, order, af, tableClass, reserved) => Number(getTable(buffer, size, order, af, tableClass, reserved)), family),
    processes() {
      const h = snapshot(TH32CS_SNAPPROCESS, 0);
      if (invalid(h)) throw new SamplerError('tool-failed', 'CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS) failed.');
      const out: NativeProcess[] = [];
      try {
        const entry: Record<string, unknown> = { dwSize: entrySize };
        for (let ok = first(h, entry); ok; ok = next(h, entry)) {
          out.push({ pid: Number(entry.th32ProcessID), ppid: Number(entry.th32ParentProcessID), command: String(entry.szExeFile) });
          entry.dwSize = entrySize;
        }
      } finally {
        closeHandle(h);
      }
      return out;
    },
    creationTime(pid) {
      const h = openProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
      if (h === null) return null;
      try {
        const created: Record<string, unknown> = {};
        if (!getTimes(h, created, {}, {}, {})) return null;
        return filetimeMs(Number(created.dwHighDateTime), Number(created.dwLowDateTime));
      } finally {
        closeHandle(h);
      }
    },
  };
  bindings.set(koffi, native);
  return native;
}
