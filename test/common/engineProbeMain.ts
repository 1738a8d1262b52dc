// Lists containers through the engine client and prints the outcome as one JSON line:
//   node out/test/common/engineProbeMain.js <socket path>
//   -> {"ok":true,"count":N} or {"ok":false,"code":"permission","message":"...","hint":"..."}
// A separate process so a root test can run the client as another user (spawn's uid/gid): root's
// CAP_DAC_OVERRIDE connects to any socket, so EACCES is only seen by an unprivileged client.
import { EngineClient, EngineError } from '../../src/sampling/containers/engineApi';

async function main(): Promise<void> {
  const socketPath = process.argv[2];
  if (!socketPath) throw new Error('usage: engineProbeMain.js <socket path>');
  try {
    const list = await new EngineClient({ socketPath, timeoutMs: 5000 }).listContainers();
    process.stdout.write(`${JSON.stringify({ ok: true, count: list.length })}\n`);
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message, hint: e.hint ?? null })}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
