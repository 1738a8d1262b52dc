// Where a connection of another network namespace is, in the list and the ladder: its container, else its namespace.
import type { Connection } from '../src/domain/types';
import type { WebviewStrings } from '../src/shared/protocol';
import { format } from '../src/domain/format';

/** `in container demo-web-1`, `in network namespace net:[…]`, or '' for a socket of the host's own namespace. */
export function placeText(c: Pick<Connection, 'netns' | 'container'>, s: Pick<WebviewStrings, 'inContainer' | 'inNamespace'>): string {
  if (c.container !== undefined) return format(s.inContainer, c.container.name);
  return c.netns !== undefined ? format(s.inNamespace, c.netns) : '';
}
