// The kernel's TCP states as /proc/net/tcp prints them in its `st` column (include/net/tcp_states.h), written
// down here once for the tests, apart from the parser's own table. 0C is TCP_NEW_SYN_RECV, a request socket.
import type { TcpState } from '../../src/domain/types';

export const ST_CODE_STATES: Readonly<Record<string, TcpState>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN-SENT',
  '03': 'SYN-RECEIVED',
  '04': 'FIN-WAIT-1',
  '05': 'FIN-WAIT-2',
  '06': 'TIME-WAIT',
  '07': 'CLOSED',
  '08': 'CLOSE-WAIT',
  '09': 'LAST-ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'SYN-RECEIVED',
};
