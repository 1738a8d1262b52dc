// Scripted connections for the webview tests and the benchmark: the lifecycles of RFC 9293 section 3.5's
// figures as the tracker records them (observed states a sample saw, inferred ones filled in between).
import type { Connection } from '../../src/domain/types';
import { connection } from './harness';

/** Two minutes before the tests load: ages shown are then minutes, not the distance to a fixed date. */
export const T0 = Date.now() - 120_000;

/** A client that connected, closed first, and sits in TIME-WAIT; FIN-WAIT-1 was too short to be sampled. */
export function clientInTimeWait(): Connection {
  return connection('c-timewait', 'client', [
    ['CLOSED', T0, true], // the tracker's inferred opening: first seen in SYN-SENT
    ['SYN-SENT', T0],
    ['ESTABLISHED', T0 + 40],
    ['FIN-WAIT-1', T0 + 5000, true],
    ['FIN-WAIT-2', T0 + 5000],
    ['TIME-WAIT', T0 + 5200],
  ]);
}

/** A listening socket and a set of connections in most states (a busy little server and its clients). */
export function scene(): Connection[] {
  return [
    connection('listener', 'listener', [['LISTEN', T0 - 60_000]], { remote: { address: '0.0.0.0', port: 0 } }),
    connection('srv-est-1', 'server', [['ESTABLISHED', T0 + 10]]),
    connection('srv-est-2', 'server', [['ESTABLISHED', T0 + 20]]),
    connection('srv-cw', 'server', [
      ['ESTABLISHED', T0 + 30],
      ['CLOSE-WAIT', T0 + 1000],
    ]),
    connection('srv-synrecv', 'server', [['SYN-RECEIVED', T0 + 50]]),
    connection('cli-synsent', 'client', [['SYN-SENT', T0 + 60]]),
    connection('cli-fw2', 'client', [
      ['ESTABLISHED', T0 + 70],
      ['FIN-WAIT-2', T0 + 900],
    ]),
    connection('srv-lastack', 'server', [
      ['CLOSE-WAIT', T0 + 80],
      ['LAST-ACK', T0 + 1200],
    ]),
    clientInTimeWait(),
  ];
}
